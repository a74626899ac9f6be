"""Every recorded board response parses into well-formed postings, one per listed job.

Set `JOBWATCH_FIXTURES_DIR` to a folder holding `greenhouse/`, `lever/` and `ashby/` subfolders of
saved API responses (e.g. `/work/shared/fixtures/ats`): every file in them is parsed in place with the
real parser, nothing is copied into the repository. With the variable set, finding no file at all is a
failure, so a mistyped path cannot pass silently. Without it, only the self-written fixtures in
tests/fixtures/ run through the same checks.

Skipped on purpose: Greenhouse `departments_*.json`. That is the `/v1/boards/{token}/departments`
endpoint, which lists departments with their jobs reduced to `{id, title}` (no URL, location or
dates); it is not a response `jobwatch parse greenhouse` reads, and the parser refuses it with a
clear error (tested in test_greenhouse.py).
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobwatch.core.postings import Posting
from jobwatch.scrapers.registry import parse_file

SOURCES = ("greenhouse", "lever", "ashby")
ENV = "JOBWATCH_FIXTURES_DIR"
RECORDED_DIR = os.environ.get(ENV)
SELF_WRITTEN_DIR = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED = datetime(2026, 8, 1, tzinfo=UTC)

TAG = re.compile(r"<[A-Za-z/!][^>]*>")
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#\d+|#x[0-9A-Fa-f]+);")


def _files(root: Path) -> list[tuple[str, Path]]:
    found = []
    for source in SOURCES:
        folder = root / source
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if source == "greenhouse" and path.name.startswith("departments_"):
                continue
            found.append((source, path))
    return found


RECORDED = _files(Path(RECORDED_DIR)) if RECORDED_DIR else []
SELF_WRITTEN = [(s, p) for s, p in _files(SELF_WRITTEN_DIR) if p.suffix == ".json"]


def _listed_ids(source: str, data: Any) -> list[str]:
    """The ids of the items the raw file lists, counted without the parser; repeats counted once."""
    if source == "greenhouse":
        items = data["jobs"] if isinstance(data, dict) and "jobs" in data else [data]
    elif source == "lever":
        items = data if isinstance(data, list) else [data]
    else:
        items = data["jobs"]
    return list(dict.fromkeys(str(item["id"]) for item in items))


def _check(source: str, path: Path) -> None:
    raw = json.loads(path.read_bytes())
    listed = _listed_ids(source, raw)
    postings = parse_file(source, path, board=None, fetched_at=FETCHED)

    assert len(postings) == len(listed), f"{path}: {len(postings)} postings for {len(listed)} listed items"
    assert [p.external_id for p in postings] == listed  # board order, first of a repeated id
    for posting in postings:
        where = f"{path.name} #{posting.external_id}"
        assert posting.source == source
        assert posting.title.strip() and posting.title == posting.title.strip(), where
        assert posting.external_id.strip(), where
        assert posting.url is not None and re.match(r"^https?://[^\s/]+", posting.url), where
        for forbidden in ("&amp;", "&lt;", "&gt;", "&quot;", "&#"):
            assert forbidden not in posting.title, where
        assert not TAG.search(posting.title), where
        if posting.description_text is not None:
            assert not TAG.search(posting.description_text), where
            assert not ENTITY.search(posting.description_text), where
        if posting.description_html is not None:
            lowered = posting.description_html.lower()
            assert "<script" not in lowered and "javascript:" not in lowered, where
        for moment in (posting.posted_at, posting.updated_at):
            assert moment is None or (moment.tzinfo is not None and moment.utcoffset() == timedelta(0)), where
        data = posting.to_json()
        assert data["posted_at"] is None or data["posted_at"].endswith("Z"), where
        for location in posting.locations:
            assert location.raw, where
            assert location.country is None or re.fullmatch(r"[A-Z]{2}", location.country), where
        assert posting.workplace in (None, "onsite", "hybrid", "remote"), where
        assert posting.employment_type in (None, "full_time", "part_time", "contract", "temporary", "internship")
        round_tripped = Posting.from_json(json.loads(json.dumps(data)))
        assert round_tripped == posting, where
        assert round_tripped.to_json() == data, where


@pytest.mark.skipif(not RECORDED_DIR, reason=f"{ENV} is not set")
def test_the_recorded_fixtures_were_found() -> None:
    assert RECORDED_DIR is not None
    assert Path(RECORDED_DIR).is_dir(), f"{ENV}={RECORDED_DIR} is not a folder"
    assert RECORDED, f"{ENV}={RECORDED_DIR} holds no file under {', '.join(s + '/' for s in SOURCES)}"


@pytest.mark.parametrize(("source", "path"), RECORDED, ids=[f"{s}/{p.name}" for s, p in RECORDED])
def test_a_recorded_response(source: str, path: Path) -> None:
    _check(source, path)


@pytest.mark.parametrize(("source", "path"), SELF_WRITTEN, ids=[f"{s}/{p.name}" for s, p in SELF_WRITTEN])
def test_a_self_written_response(source: str, path: Path) -> None:
    _check(source, path)


def test_the_self_written_fixtures_cover_every_source() -> None:
    assert {source for source, _ in SELF_WRITTEN} == set(SOURCES)

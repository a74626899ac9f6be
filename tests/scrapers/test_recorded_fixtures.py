"""Every recorded board response parses into well-formed postings, one per listed job.

Set `JOBWATCH_FIXTURES_DIR` to a folder holding one subfolder per source (`greenhouse/`, `lever/`,
`ashby/`, `workday/`, `smartrecruiters/`, `workable/`, `recruitee/`, `personio/`, and `html/` for the
`jsonld` source) of saved responses (e.g. `/work/shared/fixtures/ats`): every file in them is parsed in
place with the real parser, nothing is copied into the repository. With the variable set, finding no
file at all is a failure, so a mistyped path cannot pass silently. Without it, only the self-written
fixtures in tests/fixtures/ run through the same checks.

The expected items are counted from the raw file by this module itself (JSON keys, XML elements,
JSON-LD blocks), never by the parser under test. Files of other endpoints, and how they are checked:

- Workday `job_detail_*.json` (`GET .../job/...`, one `jobPostingInfo`): one posting, id `jobReqId`.
- SmartRecruiters `posting_detail_*.json` (`GET .../postings/{id}`): one posting, id `id`; a detail the
  fixture author trimmed to its `jobAd` alone has no id and lists nothing ([]).
- `html/` pages: the JobPostings of their JSON-LD blocks; pages with empty blocks or no JSON-LD (jobs in
  `window.pageData`, `phApp.ddo` or plain markup) parse to [] and are asserted to.

Workday list files, Personio feeds and JSON-LD pages do not name their board (the board is what gives
their postings a URL), so they are parsed a second time with an invented board and checked for URLs.

Skipped on purpose: Greenhouse `departments_*.json`. That is the `/v1/boards/{token}/departments`
endpoint, which lists departments with their jobs reduced to `{id, title}` (no URL, location or
dates); it is not a response `jobwatch parse greenhouse` reads, and the parser refuses it with a
clear error (tested in test_greenhouse.py).
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jobwatch.core.postings import Posting
from jobwatch.scrapers.registry import parse_file

SOURCES = ("greenhouse", "lever", "ashby", "workday", "smartrecruiters", "workable", "recruitee", "personio", "jsonld")
#: The folder of each source's files, where it differs from the source name.
FOLDERS = {"jsonld": "html"}
#: Boards for files that do not name theirs (invented: only the URL shape is checked).
BOARDS = {"workday": "acme.wd5/External", "personio": "acme", "jsonld": "https://careers.acme.example/jobs/1"}
ENV = "JOBWATCH_FIXTURES_DIR"
RECORDED_DIR = os.environ.get(ENV)
SELF_WRITTEN_DIR = Path(__file__).resolve().parents[1] / "fixtures"
FETCHED = datetime(2026, 8, 1, tzinfo=UTC)

TAG = re.compile(r"<[A-Za-z/!][^>]*>")
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#\d+|#x[0-9A-Fa-f]+);")


def _files(root: Path) -> list[tuple[str, Path]]:
    found = []
    for source in SOURCES:
        folder = root / FOLDERS.get(source, source)
        if root == SELF_WRITTEN_DIR:
            folder = root / source
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if source == "greenhouse" and path.name.startswith("departments_"):
                continue
            found.append((source, path))
    return found


RECORDED = _files(Path(RECORDED_DIR)) if RECORDED_DIR else []
SELF_WRITTEN = [(s, p) for s, p in _files(SELF_WRITTEN_DIR) if p.suffix in (".json", ".xml", ".html")]


def _workday_id(item: dict[str, Any]) -> str:
    bullets = item.get("bulletFields") or []
    first = str(bullets[0]).strip() if bullets else ""
    if first and " " not in first:
        return first
    return str(item["externalPath"]).rstrip("/").rsplit("/", 1)[-1]


def _json_ld_postings(text: str) -> list[dict[str, Any]]:
    """JobPosting objects of a page, found with a regex and json, independently of the adapter."""
    found: list[dict[str, Any]] = []

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            kinds = value.get("@type")
            names = {re.split(r"[:/]", str(k))[-1] for k in (kinds if isinstance(kinds, list) else [kinds])}
            if "JobPosting" in names:
                found.append(value)
                return
            for item in value.values():
                walk(item)

    for block in re.findall(r"<script[^>]*ld\+json[^>]*>(.*?)</script>", text, re.IGNORECASE | re.DOTALL):
        try:
            walk(json.loads(block.strip().rstrip(";"), strict=False))
        except ValueError:
            continue
    return found


def _listed_ids(source: str, path: Path) -> list[str] | None:
    """The ids of the items the raw file lists, counted without the parser; repeats counted once.

    None for JSON-LD pages, whose ids may be hashes: only their number is compared (`_listed_count`)."""
    if source == "personio":
        root = ElementTree.fromstring(path.read_bytes())
        return list(dict.fromkeys((p.findtext("id") or "").strip() for p in root.iter("position")))
    if source == "jsonld":
        return None
    data = json.loads(path.read_bytes())
    if source == "greenhouse":
        items = data["jobs"] if isinstance(data, dict) and "jobs" in data else [data]
    elif source == "lever":
        items = data if isinstance(data, list) else [data]
    elif source == "workday":
        if "jobPostingInfo" in data:
            return [str(data["jobPostingInfo"]["jobReqId"])]
        return list(dict.fromkeys(_workday_id(item) for item in data["jobPostings"]))
    elif source == "smartrecruiters":
        items = data.get("content", [data] if "id" in data else [])
    elif source == "workable":
        return list(dict.fromkeys(str(job["shortcode"]) for job in data["jobs"]))
    elif source == "recruitee":
        items = data["offers"]
    else:
        items = data["jobs"]
    return list(dict.fromkeys(str(item["id"]) for item in items))


def _listed_count(source: str, path: Path) -> int:
    if source == "jsonld":
        return len(_json_ld_postings(path.read_bytes().decode("utf-8", "replace")))
    ids = _listed_ids(source, path)
    assert ids is not None
    return len(ids)


def _needs_board_for_urls(source: str, path: Path) -> bool:
    if source in ("personio", "jsonld"):
        return True
    return source == "workday" and "jobPostings" in json.loads(path.read_bytes())


def _check(source: str, path: Path) -> None:
    listed = _listed_ids(source, path)
    count = _listed_count(source, path)
    postings = parse_file(source, path, board=None, fetched_at=FETCHED)

    assert len(postings) == count, f"{path}: {len(postings)} postings for {count} listed items"
    if listed is not None:
        assert [p.external_id for p in postings] == listed  # board order, first of a repeated id
    if count == 0:
        assert postings == []
    board_named = not _needs_board_for_urls(source, path)
    if not board_named:
        with_board = parse_file(source, path, board=BOARDS[source], fetched_at=FETCHED)
        assert [p.external_id for p in with_board] == [p.external_id for p in postings]
        for posting in with_board:
            assert posting.board == BOARDS[source]
            if source != "jsonld" or len(with_board) == 1:
                assert posting.url is not None and re.match(r"^https?://[^\s/]+", posting.url), posting
    for posting in postings:
        where = f"{path.name} #{posting.external_id}"
        assert posting.source == source
        assert posting.title.strip() and posting.title == posting.title.strip(), where
        assert posting.external_id.strip(), where
        if board_named:
            assert posting.url is not None and re.match(r"^https?://[^\s/]+", posting.url), where
        else:
            assert posting.url is None or re.match(r"^https?://[^\s/]+", posting.url), where
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


@pytest.mark.skipif(not RECORDED_DIR, reason=f"{ENV} is not set")
def test_every_file_of_the_new_source_folders_is_walked() -> None:
    assert RECORDED_DIR is not None
    root = Path(RECORDED_DIR)
    walked = {path for _, path in RECORDED}
    for source in ("workday", "smartrecruiters", "workable", "recruitee", "personio", "jsonld"):
        folder = root / FOLDERS.get(source, source)
        files = {p for p in folder.rglob("*") if p.is_file()}
        assert files, f"no recorded {source} files in {folder}"
        assert files <= walked, sorted(str(p) for p in files - walked)


@pytest.mark.skipif(not RECORDED_DIR, reason=f"{ENV} is not set")
def test_recorded_pages_without_json_ld_postings_list_nothing() -> None:
    assert RECORDED_DIR is not None
    pages = sorted((Path(RECORDED_DIR) / "html").glob("*.html"))
    empty = [p for p in pages if not _json_ld_postings(p.read_text("utf-8", "replace"))]
    assert empty, "expected recorded career pages without JobPosting JSON-LD"
    for page in empty:
        assert parse_file("jsonld", page, board=None, fetched_at=FETCHED) == []


@pytest.mark.parametrize(("source", "path"), RECORDED, ids=[f"{s}/{p.name}" for s, p in RECORDED])
def test_a_recorded_response(source: str, path: Path) -> None:
    _check(source, path)


@pytest.mark.parametrize(("source", "path"), SELF_WRITTEN, ids=[f"{s}/{p.name}" for s, p in SELF_WRITTEN])
def test_a_self_written_response(source: str, path: Path) -> None:
    _check(source, path)


def test_the_self_written_fixtures_cover_every_source() -> None:
    assert {source for source, _ in SELF_WRITTEN} == set(SOURCES)

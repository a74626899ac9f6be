"""Precision of countries and workplaces on the recorded corpus, against hand-checked labels.

`tests/labels/postings.csv` holds values checked by hand against each posting's raw data (file, external_id,
country, workplace, note): `country` is the set of ISO codes of the posting's places (`GB|DE`), `workplace`
one of remote/hybrid/onsite; `-` means the source says nothing (so any value given is wrong), an empty cell
that the value was not labelled. Precision matters more than coverage: a value the parser does not give is
not counted, a value it gives must be right in at least 95% of cases.

Needs `JOBWATCH_FIXTURES_DIR` (e.g. `/work/shared/fixtures/ats`); skipped without it.
"""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from benchmarks.quality_report import corpus, names_a_place
from jobwatch.core.postings import Posting
from jobwatch.scrapers.registry import parse_file

ENV = "JOBWATCH_FIXTURES_DIR"
ROOT = os.environ.get(ENV)
LABELS = Path(__file__).resolve().parents[1] / "labels" / "postings.csv"
SOURCE_OF_FOLDER = {"html": "jsonld"}
#: Boards for files that do not name theirs, as the quality report parses them (only URLs depend on it).
BOARDS = {"workday": "acme.wd5/External", "personio": "acme", "jsonld": "https://careers.acme.example/jobs/1"}
FETCHED = datetime(2026, 8, 1, tzinfo=UTC)

pytestmark = pytest.mark.skipif(not ROOT, reason=f"{ENV} is not set")


def _labels() -> list[dict[str, str]]:
    with LABELS.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def _postings(file: str) -> dict[str, Posting]:
    assert ROOT is not None
    folder = file.split("/", 1)[0]
    source = SOURCE_OF_FOLDER.get(folder, folder)
    postings = parse_file(source, Path(ROOT) / file, board=BOARDS.get(source), fetched_at=FETCHED)
    found: dict[str, Posting] = {}
    for posting in postings:
        found.setdefault(posting.external_id, posting)
    return found


def test_the_labels_cover_fifty_postings_of_every_source() -> None:
    rows = _labels()
    assert len(rows) >= 50
    assert len({(r["file"], r["external_id"]) for r in rows}) == len(rows)
    folders = {r["file"].split("/", 1)[0] for r in rows}
    assert folders == {
        "greenhouse", "lever", "ashby", "workday", "smartrecruiters", "workable", "recruitee", "personio", "html",
    }  # fmt: skip
    for row in rows:
        assert row["external_id"] in _postings(row["file"]), f"{row['file']}: no posting {row['external_id']}"


def _judged(field: str) -> tuple[int, list[str]]:
    """(values the parsers gave for labelled postings, the wrong ones described)."""
    given = 0
    wrong: list[str] = []
    for row in _labels():
        label = row[field].strip()
        if not label:
            continue
        posting = _postings(row["file"])[row["external_id"]]
        if field == "country":
            value = sorted({loc.country for loc in posting.locations if loc.country})
            expected = set() if label == "-" else set(label.split("|"))
            if not value:
                continue
            given += 1
            if not set(value) <= expected:
                wrong.append(f"{row['file']} {row['external_id']}: gave {value}, expected {label}")
        else:
            if posting.workplace is None:
                continue
            given += 1
            if posting.workplace != (None if label == "-" else label):
                wrong.append(f"{row['file']} {row['external_id']}: gave {posting.workplace}, expected {label}")
    return given, wrong


@pytest.mark.parametrize("field", ["country", "workplace"])
def test_at_least_95_percent_of_given_values_are_right(field: str) -> None:
    given, wrong = _judged(field)
    assert given >= 30, f"too few {field} values given to judge ({given})"
    assert (given - len(wrong)) / given >= 0.95, "\n".join(wrong)


def test_a_country_for_95_percent_of_postings_naming_a_place() -> None:
    assert ROOT is not None
    parsed, _skipped = corpus(Path(ROOT))
    placed = with_country = 0
    missing: list[str] = []
    for _source, path, postings in parsed:
        for posting in postings:
            if any(names_a_place(loc.raw) for loc in posting.locations):
                placed += 1
                if any(loc.country for loc in posting.locations):
                    with_country += 1
                else:
                    missing.append(f"{path.name} {posting.external_id}: {[loc.raw for loc in posting.locations]}")
    assert placed >= 500
    assert with_country / placed >= 0.95, f"{with_country}/{placed}; e.g. " + "\n".join(missing[:20])


@pytest.mark.parametrize(
    ("raw", "names"),
    [
        ("London", True),
        ("SF / NY", True),
        ("USA DC Washington", True),
        ("Remote", False),
        ("Remote job", False),
        ("3 Locations", False),
        ("", False),
        ("UNAVAILABLE", False),
    ],
)
def test_what_names_a_place(raw: str, names: bool) -> None:
    assert names_a_place(raw) is names

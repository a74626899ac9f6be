"""Data-quality report over the recorded corpus: what share of postings the parsers fill in, per source.

    .venv/bin/python -m benchmarks.quality_report [FIXTURES_DIR]

Reads `FIXTURES_DIR`, else `JOBWATCH_FIXTURES_DIR`, else `../shared/fixtures/ats` (one folder per source,
`html/` for `jsonld`), parses every file with the real parser (`jobwatch parse`'s `parse_file`) and prints,
per source: files, postings, the share with a country (any location), a workplace, an employment type, a
posted date and a salary; the share of postings whose raw location names a place (a city, region or country,
not only "Remote" or empty) that got a country; and the count of HTML-entity leaks (`&amp;`, `&#39;` ...
left in a title or in the description's plain text). Files the parser refuses (Greenhouse `departments_*`,
other endpoints) are counted as skipped. Nothing touches the network or a database.

Targets (issue 3): no leaks; a country for at least 95% of the postings whose raw location names a place.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from jobwatch.core.postings import Posting
from jobwatch.errors import BadInput
from jobwatch.scrapers.registry import parse_file

SOURCES = ("greenhouse", "lever", "ashby", "workday", "smartrecruiters", "workable", "recruitee", "personio", "jsonld")
FOLDERS = {"jsonld": "html"}
#: Boards for files that do not name theirs (only URLs depend on it).
BOARDS = {"workday": "acme.wd5/External", "personio": "acme", "jsonld": "https://careers.acme.example/jobs/1"}
FETCHED = datetime(2026, 8, 1, tzinfo=UTC)

ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#\d+|#x[0-9A-Fa-f]+);")
#: Raw location texts that name no place: remote-only wording, placeholders.
_NO_PLACE = re.compile(
    r"^\W*(?:(?:fully|100%|full)\s+)?(?:remote|anywhere|worldwide|global|home[- ]?based|work from home|wfh|"
    r"unavailable|n/?a|tbd|various|multiple locations|\d+\s+locations?|flexible|hybrid|on-?site)"
    r"(?:\s+(?:job|work|first|position|role|friendly|ok))?\W*$",
    re.IGNORECASE,
)


def fixtures_dir(argv: list[str]) -> Path:
    """The corpus folder: the first argument, else `JOBWATCH_FIXTURES_DIR`, else `../shared/fixtures/ats`."""
    if argv:
        return Path(argv[0])
    env = os.environ.get("JOBWATCH_FIXTURES_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "ats"


def names_a_place(raw: str) -> bool:
    """Whether a raw location text names a city, region or country (not only "Remote", "Anywhere", "3
    Locations", an empty or placeholder text)."""
    text = raw.strip()
    if not text or not re.search(r"[^\W\d_]", text):
        return False
    return _NO_PLACE.match(text) is None


def corpus(root: Path) -> tuple[list[tuple[str, Path, list[Posting]]], list[tuple[str, Path, str]]]:
    """Every recorded file parsed: `([(source, path, postings)], [(source, path, why skipped)])`."""
    parsed: list[tuple[str, Path, list[Posting]]] = []
    skipped: list[tuple[str, Path, str]] = []
    for source in SOURCES:
        folder = root / FOLDERS.get(source, source)
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".json", ".xml", ".html")):
            try:
                postings = parse_file(source, path, board=None, fetched_at=FETCHED)
                if postings and all(p.url is None for p in postings) and source in BOARDS:
                    postings = parse_file(source, path, board=BOARDS[source], fetched_at=FETCHED)
            except BadInput as exc:
                skipped.append((source, path, str(exc)))
                continue
            parsed.append((source, path, postings))
    return parsed, skipped


@dataclass
class SourceStats:
    """Counts for one source (or the total)."""

    files: int = 0
    postings: int = 0
    country: int = 0
    workplace: int = 0
    employment_type: int = 0
    posted_at: int = 0
    salary: int = 0
    placed: int = 0
    placed_with_country: int = 0
    leaks: int = 0
    leak_examples: list[str] = field(default_factory=list)
    missing_country: list[str] = field(default_factory=list)

    def add(self, posting: Posting) -> None:
        """Count one posting."""
        self.postings += 1
        has_country = any(loc.country for loc in posting.locations)
        self.country += has_country
        self.workplace += posting.workplace is not None
        self.employment_type += posting.employment_type is not None
        self.posted_at += posting.posted_at is not None
        self.salary += posting.salary is not None
        if any(names_a_place(loc.raw) for loc in posting.locations):
            self.placed += 1
            self.placed_with_country += has_country
            if not has_country:
                self.missing_country.append(f"{posting.external_id}: {[loc.raw for loc in posting.locations]}")
        for text in (posting.title, posting.description_text or ""):
            found = ENTITY.findall(text)
            self.leaks += len(found)
            if found and len(self.leak_examples) < 3:
                self.leak_examples.append(f"{posting.external_id}: {found[:3]}")


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def report(root: Path) -> dict[str, SourceStats]:
    """Parse the corpus under `root`; returns the stats per source plus `"all"`, in `SOURCES` order."""
    parsed, _skipped = corpus(root)
    stats = {source: SourceStats() for source in SOURCES}
    total = SourceStats()
    for source, _path, postings in parsed:
        stats[source].files += 1
        total.files += 1
        for posting in postings:
            stats[source].add(posting)
            total.add(posting)
    stats["all"] = total
    return stats


def main(argv: list[str]) -> int:
    """Print the report; exit status 1 when a target is missed (leaks, or under 95% countries for places)."""
    root = fixtures_dir(argv)
    if not root.is_dir():
        print(f"no fixtures folder at {root}; pass one or set JOBWATCH_FIXTURES_DIR", file=sys.stderr)
        return 2
    _parsed, skipped = corpus(root)
    stats = report(root)
    header = (
        f"{'source':<16}{'files':>6}{'posts':>7}{'country':>9}{'workpl.':>9}{'emp.type':>9}{'posted':>9}"
        f"{'salary':>9}{'country|place':>15}{'leaks':>7}"
    )
    print(f"corpus: {root}")
    print(header)
    print("-" * len(header))
    for source, s in stats.items():
        if source == "all":
            print("-" * len(header))
        placed = f"{_share(s.placed_with_country, s.placed)} ({s.placed_with_country}/{s.placed})"
        print(
            f"{source:<16}{s.files:>6}{s.postings:>7}{_share(s.country, s.postings):>9}"
            f"{_share(s.workplace, s.postings):>9}{_share(s.employment_type, s.postings):>9}"
            f"{_share(s.posted_at, s.postings):>9}{_share(s.salary, s.postings):>9}{placed:>15}{s.leaks:>7}"
        )
    print(f"\nskipped {len(skipped)} file(s) the parsers refuse (other endpoints):")
    for source, path, why in skipped:
        print(f"  {source}: {path.name}: {why[:120]}")
    total = stats["all"]
    for source, s in stats.items():
        if source != "all" and s.missing_country:
            print(f"\n{source}: postings naming a place without a country:")
            for line in s.missing_country[:10]:
                print(f"  {line}")
        if source != "all" and s.leak_examples:
            print(f"\n{source}: entity leaks, e.g. {s.leak_examples}")
    ok = total.leaks == 0 and (total.placed == 0 or total.placed_with_country / total.placed >= 0.95)
    print(f"\ntargets (no leaks; a country for >= 95% of postings naming a place): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""`jobwatch match`: postings from one JSON Lines file against alerts from another (CONTRACT section 1).

No database is touched: both files are read here and handed to the core engine
(:func:`jobwatch.core.matching.match_all`), the same one the service uses for stored postings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from jobwatch.core.filters import AlertFilters, FilterError, parse_filters
from jobwatch.core.matching import match_all
from jobwatch.core.postings import Posting
from jobwatch.errors import BadInput

__all__ = ["iter_file_matches", "read_alerts", "read_postings"]


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield `(line number, decoded JSON)` for each non-blank line of `path` (UTF-8, a BOM allowed).

    Raises BadInput for an unreadable file and, naming the line, for bytes that are not UTF-8 or malformed
    JSON.
    """
    where = str(path)
    try:
        # Binary, decoded line by line, so that an encoding error is reported on its own line number.
        handle = path.open("rb")
    except OSError as err:
        raise BadInput(f"cannot read file: {err.strerror or err}", path=where) from err
    with handle:
        number = 0
        try:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError as err:
                    raise BadInput(f"not UTF-8 text: {err.reason}", path=where, line=number) from err
                if not line.strip():
                    continue
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as err:
                    raise BadInput(f"malformed JSON: {err.msg} at column {err.colno}", path=where, line=number) from err
                yield number, value
        except OSError as err:
            raise BadInput(f"cannot read file: {err.strerror or err}", path=where, line=number + 1) from err


def _identifier(value: object) -> str | None:
    # CONTRACT asks for string ids; integers are taken too since they print unambiguously as strings.
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def read_alerts(path: Path) -> list[tuple[str, AlertFilters]]:
    """Read ALERTS.jsonl: one `{"id": "...", "filters": {...}}` per line (CONTRACT section 1 and 3).

    Returns `(alert id, validated filters)` in file order. Raises BadInput naming the file and line for an
    unreadable file, malformed JSON, a line that is not such an object, or filters that `parse_filters`
    refuses (the message includes the FilterError text).
    """
    alerts: list[tuple[str, AlertFilters]] = []
    where = str(path)
    for number, value in _json_lines(path):
        if not isinstance(value, dict):
            raise BadInput("an alert must be a JSON object", path=where, line=number)
        alert_id = _identifier(value.get("id"))
        if alert_id is None:
            raise BadInput('an alert needs a non-empty string "id"', path=where, line=number)
        if "filters" not in value:
            raise BadInput(f'alert {alert_id!r} has no "filters"', path=where, line=number)
        try:
            filters = parse_filters(value["filters"])
        except FilterError as err:
            raise BadInput(f"invalid alert {alert_id!r}: {err}", path=where, line=number) from err
        alerts.append((alert_id, filters))
    return alerts


def read_postings(path: Path) -> Iterator[Posting]:
    """Stream JOBS.jsonl: one CONTRACT section 2 posting per line with an extra string `id`.

    Raises BadInput naming the file and line for an unreadable file, malformed JSON, a missing `id`, or a
    line that `Posting.from_json` cannot read. Errors surface when the bad line is reached.
    """
    where = str(path)
    for number, value in _json_lines(path):
        if not isinstance(value, dict):
            raise BadInput("a posting must be a JSON object", path=where, line=number)
        posting_id = _identifier(value.get("id"))
        if posting_id is None:
            raise BadInput('a posting needs a non-empty string "id"', path=where, line=number)
        try:
            posting = Posting.from_json(value)
        except KeyError as err:
            raise BadInput(f"not a posting: missing key {err}", path=where, line=number) from err
        except (TypeError, ValueError, AttributeError) as err:
            raise BadInput(f"not a posting: {err}", path=where, line=number) from err
        posting.id = posting_id
        yield posting


def iter_file_matches(jobs_path: Path, alerts_path: Path, *, now: datetime) -> Iterator[tuple[str, str]]:
    """Yield `(alert_id, job_id)` for every match between the two files, never the same pair twice.

    All alerts are read and validated before the first pair is yielded, so an invalid alert stops the run
    with no output. Postings are streamed: a bad posting line raises BadInput when it is reached, after the
    pairs of the lines before it. `now` is the reference time for `min_posted_days_ago`.
    """
    alerts = read_alerts(Path(alerts_path))
    yield from match_all(read_postings(Path(jobs_path)), alerts, now=now)

"""Ashby public job posting API adapter (`GET /posting-api/job-board/{name}?includeCompensation=true`).

Reads `{"apiVersion": "1", "jobs": [...]}`; one response is the whole board. Field mapping
(CONTRACT section 2):

| posting field     | Ashby field                                                                     |
| ----------------- | ------------------------------------------------------------------------------- |
| external_id       | `id`                                                                            |
| title             | `title` (leading blanks, as Ashby sometimes sends, trimmed)                     |
| company           | none given: null                                                                |
| url               | `jobUrl`                                                                        |
| description_html  | `descriptionHtml`, sanitized (`descriptionPlain` gives the text when no HTML)   |
| locations         | `location` then each `secondaryLocations[].location`; their                     |
|                   | `address.postalAddress` fills city, region and country the name leaves open     |
| workplace         | `workplaceType` (OnSite, Hybrid, Remote), else `isRemote: true`, else the names |
| department / team | `department` / `team`                                                           |
| employment_type   | `employmentType` (FullTime, PartTime, Intern, Contract, Temporary)              |
| salary            | `compensation.summaryComponents[]` of type Salary with a min or max (equity and |
|                   | bonus components ignored); else the salary components of the tiers              |
| posted_at         | `publishedAt`                                                                   |
| updated_at        | `updatedAt` when present, else null                                             |

An Ashby location name is one named place of the company's and may itself read "SF / NY"; it is
kept as one location (with no city) rather than guessed apart.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from jobwatch.core.normalize import (
    clean_text,
    clean_url,
    country_code,
    detect_workplace,
    html_to_text,
    normalize_employment_type,
    parse_datetime,
    parse_location,
    parse_salary,
    sanitize_html,
)
from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.scrapers.base import (
    FetchResult,
    ParseError,
    Sleep,
    as_dict,
    as_list,
    as_str,
    board_mismatch,
    parse_json_body,
    postings_from_items,
    read_as_fetched,
    require_id,
    with_board,
)
from jobwatch.scrapers.boards import BoardRef, board_argument, board_from_urls, fill_template
from jobwatch.scrapers.http import get_json

SOURCE = "ashby"
DEFAULT_API_URL = "https://api.ashbyhq.com"
API_URL_SETTING = "ASHBY_API_URL"


def job_board_url(ref: BoardRef, api_url: str = DEFAULT_API_URL) -> str:
    """The board URL: `{api_url}/posting-api/job-board/{name}?includeCompensation=true`."""
    return f"{fill_template(api_url, ref)}/posting-api/job-board/{quote(ref.token, safe='')}?includeCompensation=true"


def parse(body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Postings of a saved Ashby job board response, in board order, ids unique.

    `board`: the job board name (`acme` or `ashby:acme`); None derives it from `jobUrl`
    (jobs.ashbyhq.com/NAME/...). `{"jobs": []}` gives []. Raises `ParseError` for malformed JSON,
    a wrong shape or a job without `id`/`title`.
    """
    data = parse_json_body(body, source="Ashby")
    items = _items(data)
    board_value = board_argument(board, SOURCE)
    postings = _postings(items, board_value)
    if board_value is None:
        with_board(postings, board_from_urls((p.url for p in postings), SOURCE))
    return postings


def fetch(
    client: httpx.Client,
    ref: BoardRef,
    *,
    api_url: str = DEFAULT_API_URL,
    fetched_at: datetime,
    sleep: Sleep = time.sleep,
) -> FetchResult:
    """Read a whole Ashby job board with one request to `job_board_url(ref, api_url)`.

    `api_url` is the `ASHBY_API_URL` template. Raises the `ScrapeError`s of `get_json`,
    `UnexpectedContent` when the JSON is not a job board, and `BadInput` for another source's board.
    """
    if ref.family != SOURCE:
        raise board_mismatch(ref, SOURCE)
    url = job_board_url(ref, api_url)
    data = get_json(client, url, sleep=sleep)
    postings = read_as_fetched(url, lambda: _postings(_items(data), ref.token))
    return FetchResult(postings=postings, complete=True, pages=1)


def _items(data: object) -> list[Any]:
    if isinstance(data, dict) and "jobs" in data:
        jobs = data["jobs"]
        if not isinstance(jobs, list):
            raise ParseError("not an Ashby job board response: 'jobs' is not a list")
        return jobs
    if isinstance(data, dict) and ("errors" in data or data.get("success") is False):
        raise ParseError(f"an Ashby error response: {str(data.get('errors') or 'success=false')[:200]}")
    raise ParseError("not an Ashby job board response: expected an object with a 'jobs' list")


def _postings(items: list[Any], board: str | None) -> list[Posting]:
    return postings_from_items(items, lambda item, index: _posting(item, index, board), noun="Ashby job")


def _posting(job: dict[str, Any], index: int, board: str | None) -> Posting:
    external_id = require_id(job, "id", index=index, source="Ashby")
    title = clean_text(as_str(job.get("title")))
    if not title:
        raise ParseError(f"Ashby job #{index + 1} (id {external_id}) has no title")
    description_html = sanitize_html(as_str(job.get("descriptionHtml")))
    description_text = html_to_text(description_html) or _plain(as_str(job.get("descriptionPlain")))
    locations = _locations(job)
    workplace_type = as_str(job.get("workplaceType"))
    workplace = detect_workplace(workplace_type)
    if workplace is None and workplace_type is None and job.get("isRemote") is True:
        workplace = "remote"
    if workplace is None:
        workplace = detect_workplace(*(loc.raw for loc in locations))
    return Posting(
        source=SOURCE,
        board=board,
        external_id=external_id,
        title=title,
        company=None,
        url=clean_url(as_str(job.get("jobUrl"))),
        description_html=description_html,
        description_text=description_text,
        locations=locations,
        workplace=workplace,
        department=clean_text(as_str(job.get("department"))) or None,
        team=clean_text(as_str(job.get("team"))) or None,
        employment_type=normalize_employment_type(as_str(job.get("employmentType"))),
        salary=_salary(as_dict(job.get("compensation"))),
        posted_at=parse_datetime(job.get("publishedAt")),
        updated_at=parse_datetime(job.get("updatedAt")),
    )


def _plain(text: str | None) -> str | None:
    """Ashby's `descriptionPlain` with each line's blanks collapsed and blank-line runs merged."""
    if not text:
        return None
    lines = [" ".join(line.split()) for line in text.replace("\r", "").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() or None


def _address_location(name: str | None, address: dict[str, Any]) -> Location | None:
    postal = as_dict(address.get("postalAddress"))
    city = clean_text(as_str(postal.get("addressLocality"))) or None
    region = clean_text(as_str(postal.get("addressRegion"))) or None
    country_text = clean_text(as_str(postal.get("addressCountry")))
    country = country_code(country_text) if country_text else None
    raw = clean_text(name) or ", ".join(x for x in (city, region, country_text) if x)
    if not raw:
        return None
    parsed = parse_location(raw)
    return Location(
        raw=parsed.raw,
        city=parsed.city or city,
        region=parsed.region or region,
        country=parsed.country or country,
    )


def _locations(job: dict[str, Any]) -> list[Location]:
    found = [_address_location(as_str(job.get("location")), as_dict(job.get("address")))]
    for secondary in as_list(job.get("secondaryLocations")):
        secondary = as_dict(secondary)
        found.append(_address_location(as_str(secondary.get("location")), as_dict(secondary.get("address"))))
    seen: set[str] = set()
    locations = []
    for location in found:
        if location is not None and location.raw.casefold() not in seen:
            seen.add(location.raw.casefold())
            locations.append(location)
    return locations


def _salary(compensation: dict[str, Any]) -> Salary | None:
    """The posting's salary range from Ashby's compensation block (`?includeCompensation=true`)."""
    components = [as_dict(c) for c in as_list(compensation.get("summaryComponents"))]
    if not any(_is_salary(c) for c in components):
        components = [
            as_dict(c)
            for tier in as_list(compensation.get("compensationTiers"))
            for c in as_list(as_dict(tier).get("components"))
        ]
    for component in components:
        if _is_salary(component):
            salary = parse_salary(
                component.get("minValue"),
                component.get("maxValue"),
                component.get("currencyCode"),
                component.get("interval"),
            )
            if salary is not None:
                return salary
    return None


def _is_salary(component: dict[str, Any]) -> bool:
    kind = as_str(component.get("compensationType")) or ""
    has_amount = component.get("minValue") is not None or component.get("maxValue") is not None
    return kind.casefold() == "salary" and has_amount

"""SmartRecruiters Posting API adapter: `GET /v1/companies/{company}/postings`, then one detail per posting.

The list is paginated, `{"offset", "limit", "totalFound", "content": [...]}` (offset and limit are
sometimes left out); its items carry no description, which is in the detail
`GET /v1/companies/{company}/postings/{id}` (`jobAd.sections.*`). Paging (field case B04) asks for
`limit=100` pages at `offset` 0, 100, 200 ... and stops when the offset reaches `totalFound` or a page
holds fewer than 100 items; a page listing only ids already seen (the API ignoring the offset) stops
paging and marks the result incomplete instead of looping.

Field mapping (CONTRACT section 2):

| posting field     | SmartRecruiters field                                                            |
| ----------------- | -------------------------------------------------------------------------------- |
| external_id       | `id`                                                                             |
| title             | `name`                                                                           |
| company           | `company.name`                                                                   |
| url               | detail `postingUrl`, else `https://jobs.smartrecruiters.com/{company}/{id}`      |
|                   | (the public page, which SmartRecruiters redirects to its slugged address)        |
| description_html  | detail `jobAd.sections` (companyDescription, jobDescription, qualifications,     |
|                   | additionalInformation), each non-empty `text` under its `title` as a heading     |
| locations         | `location`: `fullLocation` as raw, `city`, `region`, `country` (ISO, upper-cased)|
| workplace         | `location.remote` true -> remote, `location.hybrid` true -> hybrid, else null    |
|                   | (both false is SmartRecruiters' default, not a statement that it is on-site)     |
| department        | `department.label`                                                               |
| employment_type   | `typeOfEmployment.label` ("Full-time"), else its `id` ("part-time", "intern")    |
| salary            | detail `compensation` `{min, max, currency, period: "HOURLY"}`                   |
| posted_at         | `releasedDate`                                                                   |
| team, updated_at  | not given: null                                                                  |

Detail requests go to the configured `SMARTRECRUITERS_API_URL`, never to the item's `ref` link (which
names the public API host and would bypass a loopback or proxy configuration).
"""

from __future__ import annotations

import html
import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

import httpx

from jobwatch.core.normalize import (
    clean_text,
    clean_url,
    country_code,
    html_to_text,
    normalize_employment_type,
    parse_datetime,
    parse_location,
    parse_salary,
    sanitize_html,
)
from jobwatch.core.postings import Location, Posting
from jobwatch.scrapers.base import (
    DETAIL_WORKERS,
    BoardNotFound,
    FetchResult,
    ParseError,
    Sleep,
    UnexpectedContent,
    as_dict,
    as_str,
    board_mismatch,
    map_bounded,
    parse_json_body,
    postings_from_items,
    require_id,
    with_board,
)
from jobwatch.scrapers.boards import BoardRef, board_argument, board_from_urls, fill_template
from jobwatch.scrapers.http import get_json

SOURCE = "smartrecruiters"
DEFAULT_API_URL = "https://api.smartrecruiters.com"
API_URL_SETTING = "SMARTRECRUITERS_API_URL"

#: Postings per list request (the API's maximum).
PAGE_SIZE = 100
#: List requests one fetch may send (100,000 postings) before giving up as incomplete.
MAX_PAGES = 1000
PUBLIC_HOST = "https://jobs.smartrecruiters.com"

_EMPLOYMENT_IDS = {"intern": "internship", "part-time": "part_time", "full-time": "full_time"}


def postings_url(ref: BoardRef, api_url: str = DEFAULT_API_URL, *, offset: int = 0) -> str:
    """A list page: `{api_url}/v1/companies/{company}/postings?limit=100&offset={offset}`."""
    company = quote(ref.token, safe="")
    return f"{fill_template(api_url, ref)}/v1/companies/{company}/postings?limit={PAGE_SIZE}&offset={offset}"


def posting_url(ref: BoardRef, posting_id: str, api_url: str = DEFAULT_API_URL) -> str:
    """A posting's detail: `{api_url}/v1/companies/{company}/postings/{id}`."""
    company, ident = quote(ref.token, safe=""), quote(posting_id, safe="")
    return f"{fill_template(api_url, ref)}/v1/companies/{company}/postings/{ident}"


def parse(body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Postings of a saved SmartRecruiters list page (`content`) or posting detail, in order, ids unique.

    `board`: the company identifier (`acme` or `smartrecruiters:acme`); None derives it from the
    postings' public URLs (`jobs.smartrecruiters.com/COMPANY/...`), else from `company.identifier`.
    A list page's descriptions are null (they are only in the details). A detail trimmed down to its
    `jobAd` (no `id`, nothing to key a posting by) lists nothing: []. Raises `ParseError` for malformed
    JSON, a wrong shape or a posting without `id`/`name`.
    """
    data = parse_json_body(body, source="SmartRecruiters")
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
    max_workers: int = DETAIL_WORKERS,
) -> FetchResult:
    """Read a whole SmartRecruiters company: every list page, then each posting's detail.

    `api_url` is the `SMARTRECRUITERS_API_URL` template. Details are read `max_workers` at a time
    (threads sharing `client`); a detail answering 404/410 (closed in between) leaves that posting with
    its list fields. `complete` is False, with a `note`, when a page repeats only ids already seen, when
    fewer unique postings were read than the first page's `totalFound`, or after `MAX_PAGES` pages.
    Raises the `ScrapeError`s of `get_json` (a failing page or detail fails the read),
    `UnexpectedContent` for JSON of the wrong shape, and `BadInput` for another source's board.
    """
    if ref.family != SOURCE:
        raise board_mismatch(ref, SOURCE)
    items: dict[str, dict[str, Any]] = {}
    offset = pages = 0
    total: int | None = None
    note: str | None = None
    while True:
        if pages >= MAX_PAGES:
            note = f"stopped after {MAX_PAGES} pages"
            break
        url = postings_url(ref, api_url, offset=offset)
        data = get_json(client, url, sleep=sleep)
        pages += 1
        if not isinstance(data, dict) or not isinstance(data.get("content"), list):
            raise UnexpectedContent(f"{url}: not a SmartRecruiters postings page (no 'content' list)", url=url)
        content = data["content"]
        if pages == 1:
            found = data.get("totalFound")
            total = found if isinstance(found, int) and not isinstance(found, bool) else None
        fresh = 0
        for index, item in enumerate(content):
            if not isinstance(item, dict):
                raise UnexpectedContent(f"{url}: posting #{index + 1} is not an object", url=url)
            try:
                key = require_id(item, "id", index=index, source="SmartRecruiters")
            except ParseError as exc:
                raise UnexpectedContent(f"{url}: {exc}", url=url) from None
            if key not in items:
                items[key] = item
                fresh += 1
        if content and not fresh:
            note = f"the page at offset {offset} repeated postings already read; paging stopped"
            break
        offset += PAGE_SIZE
        if len(content) < PAGE_SIZE or (total is not None and offset >= total):
            break
    if note is None and total is not None and len(items) < total:
        note = f"totalFound is {total} but {len(items)} postings were listed"

    def detail(pair: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        key, item = pair
        url = posting_url(ref, key, api_url)
        try:
            data = get_json(client, url, sleep=sleep)
        except BoardNotFound:
            return item
        if not isinstance(data, dict):
            raise UnexpectedContent(f"{url}: not a SmartRecruiters posting detail", url=url)
        # The detail is a superset of the list item; the item fills what a detail leaves out.
        return {**item, **{k: v for k, v in data.items() if v is not None}}

    merged = map_bounded(detail, list(items.items()), max_workers=max_workers)
    try:
        postings = _postings(merged, ref.token)
    except ParseError as exc:
        raise UnexpectedContent(f"{postings_url(ref, api_url)}: {exc}", url=postings_url(ref, api_url)) from None
    return FetchResult(postings=postings, complete=note is None, pages=pages, note=note)


def _items(data: object) -> list[Any]:
    if isinstance(data, dict):
        if "content" in data:
            content = data["content"]
            if not isinstance(content, list):
                raise ParseError("not a SmartRecruiters postings page: 'content' is not a list")
            return content
        if "id" in data and "name" in data:
            return [data]
        if "jobAd" in data and "id" not in data:
            # A detail trimmed to its job ad: recognisably SmartRecruiters, but no posting to key.
            return []
        if "message" in data or "errors" in data or "code" in data:
            raise ParseError(f"a SmartRecruiters error response: {str(data.get('message') or data)[:200]}")
    raise ParseError(
        "not a SmartRecruiters response: expected a postings page with 'content' or a posting with 'id' and 'name'"
    )


def _postings(items: list[Any], board: str | None) -> list[Posting]:
    return postings_from_items(items, lambda item, index: _posting(item, index, board), noun="SmartRecruiters posting")


def _posting(item: dict[str, Any], index: int, board: str | None) -> Posting:
    external_id = require_id(item, "id", index=index, source="SmartRecruiters")
    title = clean_text(as_str(item.get("name")))
    if not title:
        raise ParseError(f"SmartRecruiters posting #{index + 1} (id {external_id}) has no 'name' (title)")
    company = as_dict(item.get("company"))
    identifier = clean_text(as_str(company.get("identifier"))) or board
    url = clean_url(as_str(item.get("postingUrl")))
    if url is None and identifier:
        url = f"{PUBLIC_HOST}/{quote(identifier, safe='')}/{quote(external_id, safe='')}"
    description_html = sanitize_html(_description(as_dict(item.get("jobAd"))))
    location = as_dict(item.get("location"))
    employment = as_dict(item.get("typeOfEmployment"))
    compensation = as_dict(item.get("compensation"))
    return Posting(
        source=SOURCE,
        board=board,
        external_id=external_id,
        title=title,
        company=clean_text(as_str(company.get("name"))) or None,
        url=url,
        description_html=description_html,
        description_text=html_to_text(description_html),
        locations=_locations(location),
        workplace="remote" if location.get("remote") is True else "hybrid" if location.get("hybrid") is True else None,
        department=clean_text(as_str(as_dict(item.get("department")).get("label"))) or None,
        team=None,
        employment_type=normalize_employment_type(as_str(employment.get("label")))
        or _EMPLOYMENT_IDS.get((as_str(employment.get("id")) or "").lower())
        or normalize_employment_type(as_str(employment.get("id"))),
        salary=parse_salary(
            compensation.get("min"), compensation.get("max"), compensation.get("currency"), compensation.get("period")
        ),
        posted_at=parse_datetime(item.get("releasedDate")),
        updated_at=None,
    )


def _locations(location: dict[str, Any]) -> list[Location]:
    city = clean_text(as_str(location.get("city"))) or None
    region = clean_text(as_str(location.get("region"))) or None
    code = (as_str(location.get("country")) or "").strip().upper()
    country = country_code(code) if code else None
    # `fullLocation` leaves an empty slot for a missing region ("Szczecin, , Poland").
    full = ", ".join(
        p for p in (part.strip() for part in clean_text(as_str(location.get("fullLocation"))).split(",")) if p
    )
    raw = full or ", ".join(x for x in (city, region, code) if x)
    if not raw:
        return []
    if city is None and region is None:
        parsed = parse_location(raw, country=country)
        return [parsed]
    return [Location(raw=raw, city=city, region=region, country=country)]


def _description(job_ad: dict[str, Any]) -> str | None:
    """The sections of `jobAd` in the order SmartRecruiters shows them, each under its own title."""
    parts: list[str] = []
    for section in as_dict(job_ad.get("sections")).values():
        section = as_dict(section)
        text = as_str(section.get("text"))
        if not text or not text.strip():
            continue
        heading = clean_text(as_str(section.get("title")))
        if heading:
            parts.append(f"<h3>{html.escape(heading)}</h3>")
        parts.append(text)
    return "".join(parts) or None

"""Lever Postings API adapter (`GET /v0/postings/{site}?mode=json`, on api.lever.co or api.eu.lever.co).

Reads the list response (a bare JSON array of postings, all of them: the API is not paginated
unless asked to be) and the single-posting response (`/v0/postings/{site}/{id}`, one object).
Field mapping (CONTRACT section 2):

| posting field     | Lever field                                                                   |
| ----------------- | ----------------------------------------------------------------------------- |
| external_id       | `id`                                                                          |
| title             | `text`                                                                        |
| company           | none given: null                                                              |
| url               | `hostedUrl`                                                                   |
| description_html  | `description` (else `descriptionPlain`), each of `lists[]` as a heading and a  |
|                   | list, then `additional` (else `additionalPlain`); sanitized                   |
| locations         | `categories.allLocations`, else `categories.location`; `country` (ISO) is the |
|                   | country of the posting's main location                                        |
| workplace         | `workplaceType` (`unspecified` is null), else the location text               |
| department / team | `categories.department` / `categories.team`                                   |
| employment_type   | `categories.commitment`                                                       |
| salary            | `salaryRange` `{min, max, currency, interval: "per-year-salary"}`             |
| posted_at         | `createdAt` (epoch milliseconds)                                              |
| updated_at        | `updatedAt` when present, else null                                           |

`lever-eu:SITE` boards use the same adapter with the `LEVER_EU_API_URL` template; their postings
have `source` "lever".
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
    detect_workplace,
    html_to_text,
    normalize_employment_type,
    parse_datetime,
    parse_location,
    parse_salary,
    plain_to_html,
    sanitize_html,
)
from jobwatch.core.postings import Location, Posting
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

SOURCE = "lever"
DEFAULT_API_URL = "https://api.lever.co"
DEFAULT_EU_API_URL = "https://api.eu.lever.co"
API_URL_SETTING = "LEVER_API_URL"
EU_API_URL_SETTING = "LEVER_EU_API_URL"


def postings_url(ref: BoardRef, api_url: str = DEFAULT_API_URL) -> str:
    """The list URL of a board: `{api_url}/v0/postings/{site}?mode=json`."""
    return f"{fill_template(api_url, ref)}/v0/postings/{quote(ref.token, safe='')}?mode=json"


def parse(body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Postings of a saved Lever postings list (JSON array) or single posting (object), in order, ids unique.

    `board`: the site (`acme`, `lever:acme` or `lever-eu:acme`); None derives it from `hostedUrl`
    (jobs.lever.co/SITE/...). `[]` gives []. Raises `ParseError` for malformed JSON, a Lever error
    object (`{"ok": false, "error": ...}`), a wrong shape or a posting without `id`/`text`.
    """
    data = parse_json_body(body, source="Lever")
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
    """Read a whole Lever site with one request to `postings_url(ref, api_url)`.

    `api_url` is the `LEVER_API_URL` template (`LEVER_EU_API_URL` for `lever-eu` boards). Raises the
    `ScrapeError`s of `get_json`, `UnexpectedContent` when the JSON is not a postings array, and
    `BadInput` for a board of another source.
    """
    if ref.family != SOURCE:
        raise board_mismatch(ref, SOURCE)
    url = postings_url(ref, api_url)
    data = get_json(client, url, sleep=sleep)

    def read() -> list[Posting]:
        if not isinstance(data, list):
            raise ParseError(_describe_error(data) or "expected a JSON array of postings")
        return _postings(data, ref.token)

    postings = read_as_fetched(url, read)
    return FetchResult(postings=postings, complete=True, pages=1)


def _describe_error(data: object) -> str | None:
    if isinstance(data, dict) and ("error" in data or data.get("ok") is False):
        return f"a Lever error response: {str(data.get('error') or data.get('message') or 'ok=false')[:200]}"
    return None


def _items(data: object) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        error = _describe_error(data)
        if error:
            raise ParseError(error)
        if "id" in data and "text" in data:
            return [data]
    raise ParseError(
        "not a Lever postings response: expected a JSON array of postings or one posting with 'id' and 'text'"
    )


def _postings(items: list[Any], board: str | None) -> list[Posting]:
    return postings_from_items(items, lambda item, index: _posting(item, index, board), noun="Lever posting")


def _posting(item: dict[str, Any], index: int, board: str | None) -> Posting:
    external_id = require_id(item, "id", index=index, source="Lever")
    title = clean_text(as_str(item.get("text")))
    if not title:
        raise ParseError(f"Lever posting #{index + 1} (id {external_id}) has no 'text' (title)")
    categories = as_dict(item.get("categories"))
    locations = _locations(categories, as_str(item.get("country")))
    description_html = sanitize_html(_description(item))
    salary_range = as_dict(item.get("salaryRange"))
    workplace_type = as_str(item.get("workplaceType"))
    return Posting(
        source=SOURCE,
        board=board,
        external_id=external_id,
        title=title,
        company=None,
        url=clean_url(as_str(item.get("hostedUrl"))),
        description_html=description_html,
        description_text=html_to_text(description_html),
        locations=locations,
        workplace=detect_workplace(workplace_type) or detect_workplace(*(loc.raw for loc in locations)),
        department=clean_text(as_str(categories.get("department"))) or None,
        team=clean_text(as_str(categories.get("team"))) or None,
        employment_type=normalize_employment_type(as_str(categories.get("commitment"))),
        salary=parse_salary(
            salary_range.get("min"),
            salary_range.get("max"),
            salary_range.get("currency"),
            salary_range.get("interval"),
        ),
        posted_at=parse_datetime(item.get("createdAt")),
        updated_at=parse_datetime(item.get("updatedAt")),
    )


def _locations(categories: dict[str, Any], country: str | None) -> list[Location]:
    """`allLocations` (else `location`); `country` applies to the main `location` only, since Lever
    gives one country for a posting that may list places in several ("London", "Stockholm")."""
    main = clean_text(as_str(categories.get("location")))
    raws = [clean_text(x) for x in as_list(categories.get("allLocations")) if isinstance(x, str)]
    raws = [r for r in raws if r] or ([main] if main else [])
    seen: set[str] = set()
    locations = []
    for raw in raws:
        if raw.casefold() in seen:
            continue
        seen.add(raw.casefold())
        applies = len(raws) == 1 or raw.casefold() == main.casefold()
        locations.append(parse_location(raw, country=country if applies else None))
    return locations


def _description(item: dict[str, Any]) -> str | None:
    """The posting page's body as Lever lays it out: description, each list under its heading, closing."""
    parts: list[str] = []
    description = as_str(item.get("description")) or plain_to_html(as_str(item.get("descriptionPlain")))
    if description:
        parts.append(description)
    for entry in as_list(item.get("lists")):
        entry = as_dict(entry)
        heading = clean_text(as_str(entry.get("text")))
        content = as_str(entry.get("content")) or ""
        if heading:
            parts.append(f"<h3>{html.escape(heading)}</h3>")
        if content.strip():
            parts.append(f"<ul>{content}</ul>")
    additional = as_str(item.get("additional")) or plain_to_html(as_str(item.get("additionalPlain")))
    if additional:
        parts.append(additional)
    return "".join(parts) or None

"""Recruitee careers site API adapter (`GET https://{company}.recruitee.com/api/offers/`).

Reads `{"offers": [...]}`; one response is the whole careers site. Timestamps read
`2025-01-02 10:00:00 UTC`, salary amounts may be strings (`"60000"`) and a salary object may be all
nulls. Field mapping (CONTRACT section 2):

| posting field     | Recruitee field                                                                |
| ----------------- | ------------------------------------------------------------------------------ |
| external_id       | `id`                                                                           |
| title             | `title`                                                                        |
| company           | `company_name`                                                                 |
| url               | `careers_url`                                                                  |
| description_html  | `description` followed by `requirements`, sanitized                            |
| locations         | `locations[]` `{city, state, country, country_code}`, else the top-level       |
|                   | `city`, `state_name`, `country`, `country_code`, else the `location` text      |
|                   | (not "Remote job", which is a workplace, not a place)                          |
| workplace         | the booleans `remote`, `hybrid`, `on_site`; remote wins over hybrid over       |
|                   | on-site when several are true (as `detect_workplace` ranks them)               |
| department        | `department`                                                                   |
| employment_type   | `employment_type_code` (`fulltime_permanent`, `parttime`, `contract`,          |
|                   | `freelance`, `internship`, `temporary` ...)                                    |
| salary            | `salary` `{min, max, currency, period}`                                        |
| posted_at         | `published_at`, else `created_at`                                              |
| updated_at        | `updated_at`                                                                   |

A company's Recruitee site may live on its own domain (`careers_url` on jobs.acme.com); the board is
then read from the offer's `mailbox_email` (`job.x@acme.recruitee.com`) when `--board` is not given.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

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

SOURCE = "recruitee"
DEFAULT_API_URL = "https://{token}.recruitee.com"
API_URL_SETTING = "RECRUITEE_API_URL"

_NOT_A_PLACE = {"remote job", "remote", ""}


def offers_url(ref: BoardRef, api_url: str = DEFAULT_API_URL) -> str:
    """The offers URL: `{api_url}/api/offers/` (the default `api_url` is `https://{token}.recruitee.com`)."""
    return f"{fill_template(api_url, ref)}/api/offers/"


def parse(body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Postings of a saved Recruitee offers response, in order, ids unique.

    `board`: the company (`acme` or `recruitee:acme`); None derives it from `careers_url`
    (COMPANY.recruitee.com), else from `mailbox_email`, else null. `{"offers": []}` gives []. Raises
    `ParseError` for malformed JSON, a wrong shape or an offer without `id`/`title`.
    """
    data = parse_json_body(body, source="Recruitee")
    offers = _items(data)
    board_value = board_argument(board, SOURCE)
    postings = _postings(offers, board_value)
    if board_value is None:
        mail_hosts = [
            f"https://{mail.rsplit('@', 1)[1]}"
            for mail in (as_str(as_dict(o).get("mailbox_email")) for o in offers)
            if mail and "@" in mail
        ]
        with_board(postings, board_from_urls([*(p.url for p in postings), *mail_hosts], SOURCE))
    return postings


def fetch(
    client: httpx.Client,
    ref: BoardRef,
    *,
    api_url: str = DEFAULT_API_URL,
    fetched_at: datetime,
    sleep: Sleep = time.sleep,
) -> FetchResult:
    """Read a whole Recruitee careers site with one request to `offers_url(ref, api_url)`.

    `api_url` is the `RECRUITEE_API_URL` template. Raises the `ScrapeError`s of `get_json`,
    `UnexpectedContent` when the JSON is not an offers list, and `BadInput` for another source's board.
    """
    if ref.family != SOURCE:
        raise board_mismatch(ref, SOURCE)
    url = offers_url(ref, api_url)
    data = get_json(client, url, sleep=sleep)
    postings = read_as_fetched(url, lambda: _postings(_items(data), ref.token))
    return FetchResult(postings=postings, complete=True, pages=1)


def _items(data: object) -> list[Any]:
    if isinstance(data, dict) and "offers" in data:
        offers = data["offers"]
        if not isinstance(offers, list):
            raise ParseError("not a Recruitee offers response: 'offers' is not a list")
        return offers
    if isinstance(data, dict) and "offer" in data and isinstance(data["offer"], dict):
        # GET /api/offers/{slug}: one offer.
        return [data["offer"]]
    if isinstance(data, dict) and ("error" in data or "errors" in data):
        raise ParseError(f"a Recruitee error response: {str(data.get('error') or data.get('errors'))[:200]}")
    raise ParseError("not a Recruitee offers response: expected an object with an 'offers' list")


def _postings(offers: list[Any], board: str | None) -> list[Posting]:
    return postings_from_items(offers, lambda offer, index: _posting(offer, index, board), noun="Recruitee offer")


def _posting(offer: dict[str, Any], index: int, board: str | None) -> Posting:
    external_id = require_id(offer, "id", index=index, source="Recruitee")
    title = clean_text(as_str(offer.get("title")))
    if not title:
        raise ParseError(f"Recruitee offer #{index + 1} (id {external_id}) has no title")
    parts = [as_str(offer.get("description")), as_str(offer.get("requirements"))]
    description_html = sanitize_html("".join(p for p in parts if p and p.strip()) or None)
    salary = as_dict(offer.get("salary"))
    return Posting(
        source=SOURCE,
        board=board,
        external_id=external_id,
        title=title,
        company=clean_text(as_str(offer.get("company_name"))) or None,
        url=clean_url(as_str(offer.get("careers_url"))),
        description_html=description_html,
        description_text=html_to_text(description_html),
        locations=_locations(offer),
        workplace=_workplace(offer),
        department=clean_text(as_str(offer.get("department"))) or None,
        team=None,
        employment_type=normalize_employment_type(as_str(offer.get("employment_type_code"))),
        salary=parse_salary(salary.get("min"), salary.get("max"), salary.get("currency"), salary.get("period")),
        posted_at=parse_datetime(offer.get("published_at")) or parse_datetime(offer.get("created_at")),
        updated_at=parse_datetime(offer.get("updated_at")),
    )


def _workplace(offer: dict[str, Any]) -> str | None:
    for key, kind in (("remote", "remote"), ("hybrid", "hybrid"), ("on_site", "onsite")):
        if offer.get(key) is True:
            return kind
    return None


def _place(city: object, state: object, country_name: object, code: object) -> Location | None:
    city_text, state_text, country_text = (clean_text(as_str(x)) or None for x in (city, state, country_name))
    code_text = (as_str(code) or "").strip().upper()
    iso = country_code(code_text) if code_text else None
    iso = iso or country_code(country_text)
    parts: list[str] = []
    for part in (city_text, state_text, country_text or code_text or None):
        # "Berlin, Berlin, Germany": a city-state is named once.
        if part and part.casefold() not in {p.casefold() for p in parts}:
            parts.append(part)
    if not parts:
        return None
    return Location(raw=", ".join(parts), city=city_text, region=state_text, country=iso)


def _locations(offer: dict[str, Any]) -> list[Location]:
    found = [
        _place(loc.get("city"), loc.get("state"), loc.get("country"), loc.get("country_code"))
        for loc in map(as_dict, as_list(offer.get("locations")))
    ]
    if not any(found):
        found = [_place(offer.get("city"), offer.get("state_name"), offer.get("country"), offer.get("country_code"))]
    if not any(found):
        text = clean_text(as_str(offer.get("location")))
        found = [parse_location(text)] if text.casefold() not in _NOT_A_PLACE else []
    seen: set[str] = set()
    locations = []
    for location in found:
        if location is not None and location.raw.casefold() not in seen:
            seen.add(location.raw.casefold())
            locations.append(location)
    return locations

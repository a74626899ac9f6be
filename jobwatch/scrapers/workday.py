"""Workday career-site (CXS) adapter: `POST /wday/cxs/{tenant}/{site}/jobs`, then one detail per posting.

The list endpoint takes `{"limit": 20, "offset": N, "searchText": "", "appliedFacets": {...}}` and answers
`{"total": N, "jobPostings": [...], "facets": [...]}`. Its quirks (recorded fixtures, SOURCES.md):

- `total` is only meaningful on the first page; later pages may say 0. Paging stops on a short page.
- The listing never goes past 2,000 results (`LISTING_CAP`). A board with more is read facet by facet:
  a facet from the first page whose values each count at most 2,000 and that together cover the board
  (locations, job family, time type ...) is applied one value at a time; a value still above the cap is
  split again by another facet. Postings seen under several values are kept once. When nothing splits a
  part of the board, what can be read is returned with `complete=False`.
- A list item has no posting date and no description: `postedOn` is relative English text ("Posted
  Today", "Posted Yesterday", "Posted 3 Days Ago", "Posted 30+ Days Ago") and the description is in the
  detail `GET /wday/cxs/{tenant}/{site}{externalPath}` (`jobPostingInfo`).

Field mapping (CONTRACT section 2):

| posting field     | Workday field                                                                     |
| ----------------- | --------------------------------------------------------------------------------- |
| external_id       | the requisition id `bulletFields[0]` (detail `jobReqId`), else the last segment   |
|                   | of `externalPath` (detail: of `externalUrl`)                                      |
| title             | `title`                                                                           |
| company           | detail `hiringOrganization.name`, else null                                       |
| url               | detail `externalUrl`, else `{site root}/{site}{externalPath}`, the site root      |
|                   | being the `WORKDAY_API_URL` host (`https://{tenant}.{dc}.myworkdayjobs.com`)      |
| description_html  | detail `jobPostingInfo.jobDescription`, sanitized                                 |
| locations         | detail `location` + `additionalLocations[]` (the main one's country from          |
|                   | `jobRequisitionLocation.country.alpha2Code`); else the list's `locationsText`     |
|                   | unless it only counts places ("3 Locations")                                      |
| workplace         | `remoteType` when given, else the location texts ("US, NC, Remote")               |
| employment_type   | detail `timeType` ("Full time", "Part time")                                      |
| posted_at         | `postedOn` resolved against `fetched_at` (field case B01): Today = fetched_at,    |
|                   | Yesterday = -24 h, "N Days Ago" = -N x 24 h; "30+ Days Ago" is the detail's       |
|                   | `startDate` when known (and not later than 30 days before the fetch), else null   |
| department, team, salary, updated_at | not given: null                                                |
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlsplit

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
    sanitize_html,
)
from jobwatch.core.postings import Location, Posting
from jobwatch.errors import BadInput
from jobwatch.scrapers.base import (
    DETAIL_WORKERS,
    BoardNotFound,
    FetchResult,
    ParseError,
    Sleep,
    UnexpectedContent,
    as_dict,
    as_list,
    as_str,
    board_mismatch,
    map_bounded,
    parse_json_body,
)
from jobwatch.scrapers.boards import BoardRef, board_argument, board_ref_from_url, fill_template, parse_board_token
from jobwatch.scrapers.http import get_json

SOURCE = "workday"
DEFAULT_API_URL = "https://{tenant}.{dc}.myworkdayjobs.com"
API_URL_SETTING = "WORKDAY_API_URL"

#: Postings per list request; Workday's own site asks for 20 and refuses more on some tenants.
PAGE_SIZE = 20
#: The listing returns no result past this offset, whatever `total` says.
LISTING_CAP = 2000
#: List requests one fetch may send before giving up as incomplete (a 20,000-posting board needs ~1,000).
MAX_LIST_REQUESTS = 3000
#: How many facets may be combined to bring one part of a board under the cap.
MAX_SPLIT_DEPTH = 3

_POSTED = re.compile(
    r"^posted\s+(?:(?P<today>today)|(?P<yesterday>yesterday)|(?P<days>\d{1,4})(?P<plus>\+)?\s+days?\s+ago)$",
    re.IGNORECASE,
)
_PLACE_COUNT = re.compile(r"^\d+\s+locations?$", re.IGNORECASE)
# A requisition id is one short token ("R264661", "JR354232", "2601695"); a bullet field holding a
# phrase ("Full time", "Boston, MA") is something else the tenant chose to show.
_REQ_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/#]{0,63}$")


def cxs_url(ref: BoardRef, api_url: str = DEFAULT_API_URL) -> str:
    """The board's CXS API root: `{api_url}/wday/cxs/{tenant}/{site}` (no trailing slash)."""
    tenant, site = quote(ref.parts["tenant"], safe=""), quote(ref.parts["site"], safe="")
    return f"{fill_template(api_url, ref)}/wday/cxs/{tenant}/{site}"


def site_url(ref: BoardRef, api_url: str = DEFAULT_API_URL) -> str:
    """The public career site: `{api_url}/{site}`; a posting's page is this plus its `externalPath`."""
    return f"{fill_template(api_url, ref)}/{quote(ref.parts['site'], safe='')}"


def resolve_posted_on(text: str | None, fetched_at: datetime, start_date: object = None) -> datetime | None:
    """The posting time a `postedOn` phrase denotes, measured back from `fetched_at` (field case B01).

    "Posted Today" -> `fetched_at`; "Posted Yesterday" -> 24 h before; "Posted N Days Ago" -> N x 24 h
    before; "Posted 30+ Days Ago" is an open bound, never "30": it is `start_date` (the detail's
    `startDate`, a date) when that is at least 30 days before `fetched_at`, else None. Other text
    (another language, a missing field) -> None.
    """
    match = _POSTED.match(" ".join((text or "").split()))
    if match is None:
        return None
    fetched = parse_datetime(fetched_at)
    if fetched is None:
        return None
    if match.group("today"):
        return fetched
    if match.group("yesterday"):
        return fetched - timedelta(days=1)
    days = int(match.group("days"))
    if match.group("plus"):
        start = parse_datetime(start_date)
        # A start date inside the last `days` days contradicts the phrase (a re-posted requisition): unknown.
        if start is not None and start <= fetched - timedelta(days=days):
            return start
        return None
    return fetched - timedelta(days=days)


def parse(body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Postings of a saved Workday list response (`jobPostings`) or detail response (`jobPostingInfo`).

    `board`: `TENANT.wdN/SITE` (or `workday:TENANT.wdN/SITE`); it gives list items their URL
    (`https://TENANT.wdN.myworkdayjobs.com/SITE{externalPath}`). None derives it from a detail's
    `externalUrl`; a list alone names no board, so its postings then have `board` and `url` null.
    `postedOn` is resolved against `fetched_at`. A list's descriptions are null (they are only in the
    details). Raises `ParseError` for malformed JSON, a wrong shape, an item without title or id, or a
    `board` that is not a Workday board token.
    """
    data = parse_json_body(body, source="Workday")
    ref = _board_ref(board)
    if isinstance(data, dict) and "jobPostingInfo" in data:
        info = as_dict(data["jobPostingInfo"])
        if not info:
            raise ParseError("a Workday detail response whose 'jobPostingInfo' is not an object")
        if ref is None:
            derived = board_ref_from_url(as_str(info.get("externalUrl")) or "")
            ref = derived if derived is not None and derived.family == SOURCE else None
        base = site_url(ref) if ref is not None else None
        return [_posting({}, data, index=0, ref=ref, base=base, fetched_at=fetched_at)]
    items = _list_items(data)
    base = site_url(ref) if ref is not None else None
    postings: list[Posting] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        posting = _posting(item, None, index=index, ref=ref, base=base, fetched_at=fetched_at)
        if posting.external_id not in seen:
            seen.add(posting.external_id)
            postings.append(posting)
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
    """Read a whole Workday board: the list (split by facets past 2,000 results), then every detail.

    `api_url` is the `WORKDAY_API_URL` template (default `https://{tenant}.{dc}.myworkdayjobs.com`); list
    requests go to `{api_url}/wday/cxs/{tenant}/{site}/jobs`, details to `.../{tenant}/{site}{externalPath}`,
    `max_workers` at a time (threads sharing `client`). `complete` is False, with a `note`, when part of the
    board was beyond the listing cap and no facet split it, when fewer postings were read than the first
    page's `total`, or when the request budget ran out. A detail answering 404/410 (the posting closed
    in between) leaves that posting with its list fields only. Raises the `ScrapeError`s of `get_json`
    (a failing detail fails the whole read), `UnexpectedContent` for JSON of the wrong shape, and
    `BadInput` for another source's board.
    """
    if ref.family != SOURCE:
        raise board_mismatch(ref, SOURCE)
    root = cxs_url(ref, api_url)
    lister = _Lister(client, f"{root}/jobs", sleep)
    lister.read({}, depth=0)
    items = list(lister.items.values())

    def detail(item: dict[str, Any]) -> dict[str, Any] | None:
        path = as_str(item.get("externalPath"))
        if not path:
            return None
        url = root + (path if path.startswith("/") else "/" + path)
        try:
            data = get_json(client, url, sleep=sleep)
        except BoardNotFound:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("jobPostingInfo"), dict):
            raise UnexpectedContent(f"{url}: not a Workday job detail (no 'jobPostingInfo' object)", url=url)
        return data

    details = map_bounded(detail, items, max_workers=max_workers)
    base = site_url(ref, api_url)
    postings = [
        _posting(item, info, index=index, ref=ref, base=base, fetched_at=fetched_at)
        for index, (item, info) in enumerate(zip(items, details, strict=True))
    ]
    notes = list(lister.notes)
    if lister.total is not None and len(postings) < lister.total and not notes:
        notes.append(f"the first page's total is {lister.total} but {len(postings)} postings were listed")
    return FetchResult(
        postings=postings, complete=not notes, pages=lister.pages, note="; ".join(notes) if notes else None
    )


# ------------------------------------------------------------------------------------------------
# Listing
# ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Facet:
    parameter: str
    values: list[tuple[str, int]]  # (id, count)

    @property
    def covered(self) -> int:
        return sum(count for _, count in self.values)

    @property
    def largest(self) -> int:
        return max((count for _, count in self.values), default=0)


@dataclass
class _Lister:
    """Reads every list item of a board once, splitting by facets where the listing cap cuts it off."""

    client: httpx.Client
    url: str
    sleep: Sleep
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    pages: int = 0
    total: int | None = None
    notes: list[str] = field(default_factory=list)

    def page(self, applied: dict[str, list[str]], offset: int) -> tuple[list[dict[str, Any]], int | None, list[_Facet]]:
        if self.pages >= MAX_LIST_REQUESTS:
            raise _Budget
        body = {"limit": PAGE_SIZE, "offset": offset, "searchText": "", "appliedFacets": applied}
        data = get_json(self.client, self.url, method="POST", json_body=body, sleep=self.sleep)
        self.pages += 1
        try:
            items = _list_items(data)
        except ParseError as exc:
            raise UnexpectedContent(f"{self.url}: {exc}", url=self.url) from None
        assert isinstance(data, dict)  # _list_items accepted it
        total = data.get("total")
        facets = _facets(data.get("facets"))
        for index, item in enumerate(items):
            try:
                key = _list_id(item, index)
            except ParseError as exc:
                raise UnexpectedContent(f"{self.url}: {exc}", url=self.url) from None
            self.items.setdefault(key, item)
        return items, total if isinstance(total, int) and not isinstance(total, bool) else None, facets

    def read(self, applied: dict[str, list[str]], *, depth: int) -> None:
        try:
            self._read(applied, depth=depth)
        except _Budget:
            self.notes.append(f"stopped after {MAX_LIST_REQUESTS} list requests")

    def _read(self, applied: dict[str, list[str]], *, depth: int) -> None:
        first, total, facets = self.page(applied, 0)
        if not applied:
            self.total = total or None
        # A first page saying 0 while listing postings is the later-page quirk: the size is unknown.
        known = total if total else None
        if known is not None and known > LISTING_CAP:
            facet = _choose_facet(facets, applied, known) if depth < MAX_SPLIT_DEPTH else None
            if facet is not None:
                for value_id, _count in facet.values:
                    self._read({**applied, facet.parameter: [value_id]}, depth=depth + 1)
                return
            where = f" within {applied}" if applied else ""
            self.notes.append(
                f"{known} postings{where} exceed Workday's listing cap of {LISTING_CAP} and no facet splits them"
            )
        self._rest(applied, len(first), known)

    def _rest(self, applied: dict[str, list[str]], offset: int, total: int | None) -> None:
        """Pages after the first until a short page, the known total or the cap."""
        if offset < PAGE_SIZE:
            return
        limit = min(total, LISTING_CAP) if total is not None else LISTING_CAP
        while offset < limit:
            items, _, _ = self.page(applied, offset)
            offset += len(items)
            if len(items) < PAGE_SIZE:
                return
        if total is None and offset >= LISTING_CAP:
            self.notes.append(f"the listing reached Workday's cap of {LISTING_CAP} without saying its size")


class _Budget(Exception):
    """The list request budget of one fetch ran out."""


def _facets(value: object) -> list[_Facet]:
    """Every facet of a list response, nested groups (`locationMainGroup` -> `locations`) flattened."""
    found: list[_Facet] = []
    for facet in as_list(value):
        facet = as_dict(facet)
        parameter = as_str(facet.get("facetParameter"))
        values = [as_dict(v) for v in as_list(facet.get("values"))]
        if any("values" in v for v in values):
            found.extend(_facets(values))
            continue
        counted = [
            (str(v["id"]), v["count"])
            for v in values
            if isinstance(v.get("id"), str) and isinstance(v.get("count"), int) and v["count"] > 0
        ]
        if parameter and counted:
            found.append(_Facet(parameter, counted))
    return found


def _choose_facet(facets: list[_Facet], applied: dict[str, list[str]], total: int) -> _Facet | None:
    """The facet to split `total` postings by, or None.

    It must cover the postings (its counts add up to at least `total`, so no posting lacks a value) and
    narrow them (its largest value is below `total`). One whose every value fits under the cap is preferred,
    the least overlapping (smallest sum) first; else the one with the smallest largest value, whose values
    above the cap are split again.
    """
    usable = [f for f in facets if f.parameter not in applied and f.covered >= total and f.largest < total]
    if not usable:
        return None
    fitting = [f for f in usable if f.largest <= LISTING_CAP]
    if fitting:
        return min(fitting, key=lambda f: (f.covered, len(f.values)))
    return min(usable, key=lambda f: (f.largest, f.covered))


# ------------------------------------------------------------------------------------------------
# Postings
# ------------------------------------------------------------------------------------------------


def _board_ref(board: str | None) -> BoardRef | None:
    value = board_argument(board, SOURCE)
    if value is None:
        return None
    try:
        return parse_board_token(f"{SOURCE}:{value}")
    except BadInput as exc:
        raise ParseError(str(exc)) from None


def _list_items(data: object) -> list[dict[str, Any]]:
    if isinstance(data, dict) and "jobPostings" in data:
        items = data["jobPostings"]
        if items is None:
            return []
        if not isinstance(items, list):
            raise ParseError("not a Workday jobs response: 'jobPostings' is not a list")
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                raise ParseError(f"Workday posting #{index + 1} is not an object")
        return items
    if isinstance(data, dict) and ("errorCode" in data or "httpStatus" in data):
        raise ParseError(f"a Workday error response: {str(data.get('errorCode') or data.get('httpStatus'))[:200]}")
    raise ParseError(
        "not a Workday response: expected a jobs list with 'jobPostings' or a job detail with 'jobPostingInfo'"
    )


def _last_segment(path: str | None) -> str | None:
    if not path:
        return None
    tail = urlsplit(path).path.rstrip("/").rsplit("/", 1)[-1]
    return tail or None


def _list_id(item: dict[str, Any], index: int, info: dict[str, Any] | None = None) -> str:
    """CONTRACT: the requisition id (`bulletFields[0]`, a detail's `jobReqId`), else the path's last segment."""
    bullets = as_list(item.get("bulletFields"))
    candidates = [bullets[0] if bullets else None, (info or {}).get("jobReqId")]
    for candidate in candidates:
        if isinstance(candidate, int | str) and not isinstance(candidate, bool):
            text = str(candidate).strip()
            if _REQ_ID.match(text):
                return text
    tail = _last_segment(as_str(item.get("externalPath"))) or _last_segment(as_str((info or {}).get("externalUrl")))
    if tail:
        return tail
    title = clean_text(as_str(item.get("title")) or as_str((info or {}).get("title")))
    raise ParseError(f"Workday posting #{index + 1}{f' ({title!r})' if title else ''} has no requisition id or path")


def _posting(
    item: dict[str, Any],
    detail: dict[str, Any] | None,
    *,
    index: int,
    ref: BoardRef | None,
    base: str | None,
    fetched_at: datetime,
) -> Posting:
    info = as_dict((detail or {}).get("jobPostingInfo"))
    external_id = _list_id(item, index, info)
    title = clean_text(as_str(item.get("title")) or as_str(info.get("title")))
    if not title:
        raise ParseError(f"Workday posting #{index + 1} (id {external_id}) has no title")
    path = as_str(item.get("externalPath"))
    url = clean_url(as_str(info.get("externalUrl")))
    if url is None and base is not None and path:
        url = clean_url(base + (path if path.startswith("/") else "/" + path))
    description_html = sanitize_html(as_str(info.get("jobDescription")))
    locations = _locations(item, info)
    posted_on = as_str(item.get("postedOn")) or as_str(info.get("postedOn"))
    return Posting(
        source=SOURCE,
        board=ref.token if ref is not None else None,
        external_id=external_id,
        title=title,
        company=clean_text(as_str(as_dict((detail or {}).get("hiringOrganization")).get("name"))) or None,
        url=url,
        description_html=description_html,
        description_text=html_to_text(description_html),
        locations=locations,
        workplace=detect_workplace(as_str(item.get("remoteType")) or as_str(info.get("remoteType")))
        or detect_workplace(*(loc.raw for loc in locations)),
        department=None,
        team=None,
        employment_type=normalize_employment_type(as_str(info.get("timeType")) or as_str(item.get("timeType"))),
        salary=None,
        posted_at=resolve_posted_on(posted_on, fetched_at, info.get("startDate")),
        updated_at=None,
    )


def _locations(item: dict[str, Any], info: dict[str, Any]) -> list[Location]:
    """The detail's main and additional locations, else the list's `locationsText` when it names a place."""
    main = clean_text(as_str(info.get("location")))
    raws = [main] if main else []
    raws += [clean_text(x) for x in as_list(info.get("additionalLocations")) if isinstance(x, str)]
    if not raws:
        text = clean_text(as_str(item.get("locationsText")))
        if text and not _PLACE_COUNT.match(text):
            raws = [text]
    requisition_country = as_dict(as_dict(info.get("jobRequisitionLocation")).get("country"))
    hint = as_str(requisition_country.get("alpha2Code")) or country_code(
        as_str(as_dict(info.get("country")).get("descriptor"))
    )
    seen: set[str] = set()
    locations = []
    for position, raw in enumerate(raws):
        if not raw or raw.casefold() in seen:
            continue
        seen.add(raw.casefold())
        # The requisition's country belongs to the main location; additional ones name their own.
        locations.append(parse_location(raw, country=hint if position == 0 and main else None))
    return locations

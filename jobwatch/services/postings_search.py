"""Searching the stored postings with facets, and one posting's page: what `/jobs` and `/jobs/{id}` show.

A search is free text plus facet selections (`SearchRequest`). The text is read as an alert's `keywords`
(comma-separated; tokens, plurals and quoted phrases as CONTRACT section 3 says), so "Save this search as an
alert" finds exactly what the search found. Facets (company, country, workplace, employment type, department,
posted within) are counted in the database with `GROUP BY`, each under every selection except its own, so a
user can widen a facet without first clearing it (the usual "disjunctive" facets of job sites).

The text goes through the database's full-text index as the alert preview does (`alerts.full_text_query`);
when the index decides the text exactly (one-token keywords), the whole search is SQL. Otherwise (phrases of
several tokens) the core predicate checks the index's candidates, newest first, and the first
`TEXT_MATCH_CAP` matching ids bound the search (`SearchResult.capped`).
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import nh3
import pycountry
from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    literal_column,
    select,
    true,
    union_all,
)
from sqlmodel import Session, col
from sqlmodel import select as select_rows

from jobwatch.core.matching import (
    CompiledAlert,
    compile_alert,
    document_filter,
    encode_term,
    matches,
    plan_fits_documents,
    prepare,
    residual,
    search_plan,
)
from jobwatch.core.postings import Posting
from jobwatch.errors import BadInput
from jobwatch.models import Board, JobPosting, UserJobInteraction, utcnow
from jobwatch.services.alerts import (
    PostingSummary,
    full_text_condition,
    full_text_query,
    full_text_scans,
    summarize_posting,
    validate_filters,
)
from jobwatch.storage import locations_text

#: Facet names, in the order the page shows them.
FACETS = ("company", "location", "workplace", "employment_type", "department", "posted_within")
#: The choices of the "posted within" facet, in days.
POSTED_WITHIN_CHOICES = (1, 7, 30)
WORKPLACES = ("remote", "hybrid", "onsite")
EMPLOYMENT_TYPES = ("full_time", "part_time", "contract", "temporary", "internship")
#: The most values a facet lists (the most frequent ones, then the selected ones).
FACET_LIMIT = 12
#: The most matching ids collected when the core predicate must check the text (phrases).
TEXT_MATCH_CAP = 5000
MAX_PAGE_SIZE = 100
#: Tags and attributes a posting's description keeps on its page: the stored HTML is sanitized at ingest
#: (CONTRACT section 2); this second pass is defence in depth against anything stored before that rule.
ALLOWED_TAGS = {
    "p", "br", "ul", "ol", "li", "strong", "b", "em", "i", "u", "h1", "h2", "h3", "h4", "h5", "h6",
    "a", "blockquote", "pre", "code", "table", "thead", "tbody", "tr", "th", "td", "hr", "span", "div",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What to search: `text` (comma-separated keywords, may be empty) and the selected facet values.

    `countries` are ISO 3166-1 alpha-2 codes; `workplaces` and `employment_types` CONTRACT section 2 values;
    `posted_within` days (one of `POSTED_WITHIN_CHOICES`, or None); `include_closed` also lists closed postings.
    """

    text: str = ""
    companies: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    workplaces: tuple[str, ...] = ()
    employment_types: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    posted_within: int | None = None
    include_closed: bool = False

    def keywords(self) -> list[str]:
        """The text's comma-separated keywords, trimmed, empty ones left out."""
        return [part.strip() for part in self.text.split(",") if part.strip()]


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One value of a facet: `value` as selected, `label` as shown, `count` postings, whether `selected`."""

    value: str
    label: str
    count: int
    selected: bool = False


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One page of a search: `total` postings (at least, when `capped`), the page's postings, the facets."""

    total: int
    capped: bool
    postings: list[PostingSummary]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    page: int = 1
    page_size: int = 25


def country_name(code: str) -> str:
    """A country's common (else ISO) name for an alpha-2 code; the code itself when unknown."""
    country = pycountry.countries.get(alpha_2=code.upper()) if len(code) == 2 else None
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def _label(facet: str, value: str) -> str:
    if facet == "location":
        return country_name(value)
    if facet in ("workplace", "employment_type"):
        return value.replace("_", " ").capitalize()
    if facet == "posted_within":
        return "Last 24 hours" if value == "1" else f"Last {value} days"
    return value


# --- the text part -----------------------------------------------------------------------------------------


def _index_decides(alert: CompiledAlert) -> bool:
    # Whether every term of the search plan is one the stored documents hold (then the index is exact for
    # the plan's exact groups).
    plan = search_plan(alert)
    terms = list(plan.excluded)
    pending: list[Any] = list(plan.groups)
    while pending:
        query = pending.pop()
        if isinstance(query[1], str):
            terms.append((query[0], query[1]))
        else:
            pending.extend(query[1])
    return all(encode_term(name, value) is not None for name, value in terms)


def _text_condition(session: Session, keywords: list[str], *, open_only: bool) -> tuple[ColumnElement[bool], bool]:
    """The SQL condition for postings whose title or description holds one of `keywords`, and whether it
    was capped at `TEXT_MATCH_CAP`. Raises `BadInput` (the core's message) for an unusable keyword.

    The matching ids are read once and the condition lists them (`id IN (...)`), so the count, the page and
    the facets do not each run the full-text query again; past `TEXT_MATCH_CAP` ids an exact full-text query
    stays a subquery (nothing is capped then)."""
    compiled = compile_alert("search", validate_filters({"keywords": keywords}))
    dialect = session.get_bind().dialect.name
    query = full_text_query(compiled, dialect)
    condition = full_text_condition(query, dialect) if query is not None else None
    left: CompiledAlert | None = compiled
    if condition is not None and _index_decides(compiled):
        left = residual(compiled, search_plan(compiled))
    where: list[ColumnElement[bool]] = [condition] if condition is not None else []
    if open_only:
        where.append(col(JobPosting.closed_at).is_(None))
    if condition is not None and left is None:
        ids = list(session.exec(select_rows(JobPosting.id).where(*where).limit(TEXT_MATCH_CAP + 1)).all())
        if len(ids) > TEXT_MATCH_CAP:
            return condition, False
        return (col(JobPosting.id).in_(ids) if ids else false()), False
    # The core predicate decides: check the candidates, newest first; a quick look at the stored document
    # skips most candidates that the index could only prune (as the alert preview does).
    from_documents = plan_fits_documents(compiled)
    may_match = document_filter(left or compiled) if from_documents else None
    texts = JobPosting.search_tokens if from_documents else JobPosting.description_text
    columns: tuple[Any, ...] = (
        JobPosting.id, JobPosting.source, JobPosting.board, JobPosting.external_id, JobPosting.title, texts,
    )  # fmt: skip
    rows = session.exec(
        select_rows(*columns)
        .where(*where)
        .order_by(col(JobPosting.first_seen_at).desc(), col(JobPosting.id).desc())
        .execution_options(yield_per=1000)
    )
    found: list[int] = []
    now = utcnow()
    check = left or compiled
    for row in rows:
        if may_match is not None and not may_match(row[5] or ""):
            continue
        posting = Posting(
            source=row[1],
            board=row[2],
            external_id=row[3],
            title=row[4],
            description_text=None if from_documents else row[5],
            id=str(row[0]),
        )
        if matches(prepare(posting, document=row[5] if from_documents else None), check, now=now):
            found.append(int(row[0]))
            if len(found) >= TEXT_MATCH_CAP:
                return col(JobPosting.id).in_(found), True
    return (col(JobPosting.id).in_(found) if found else false()), False


# --- facets ------------------------------------------------------------------------------------------------


def _countries_condition(dialect: str, countries: tuple[str, ...]) -> ColumnElement[bool]:
    codes = [c.upper() for c in countries]
    if dialect == "postgresql":
        element = func.json_array_elements(JobPosting.locations).table_valued("value").alias("loc")
        return exists(
            select(literal_column("1")).select_from(element).where(element.c.value.op("->>")("country").in_(codes))
        )
    element = func.json_each(JobPosting.locations).table_valued("value").alias("loc")
    return exists(
        select(literal_column("1"))
        .select_from(element)
        .where(func.json_extract(element.c.value, "$.country").in_(codes))
    )


def _conditions(
    session: Session, request: SearchRequest, text_condition: ColumnElement[bool] | None, now: datetime
) -> dict[str, ColumnElement[bool]]:
    """Every condition of the request by the facet it belongs to (`text` and `status` are not facets)."""
    dialect = session.get_bind().dialect.name
    found: dict[str, ColumnElement[bool]] = {}
    if not request.include_closed:
        found["status"] = col(JobPosting.closed_at).is_(None)
    if text_condition is not None:
        found["text"] = text_condition
    if request.companies:
        found["company"] = col(JobPosting.company).in_(request.companies)
    if request.countries:
        found["location"] = _countries_condition(dialect, request.countries)
    if request.workplaces:
        found["workplace"] = col(JobPosting.workplace).in_(request.workplaces)
    if request.employment_types:
        found["employment_type"] = col(JobPosting.employment_type).in_(request.employment_types)
    if request.departments:
        found["department"] = col(JobPosting.department).in_(request.departments)
    if request.posted_within is not None:
        found["posted_within"] = col(JobPosting.posted_at) >= now - timedelta(days=request.posted_within)
    return found


def _all_but(conditions: dict[str, ColumnElement[bool]], facet: str | None) -> ColumnElement[bool]:
    parts = [condition for name, condition in conditions.items() if name != facet]
    return and_(true(), *parts)


def _grouped(session: Session, column: Any, where: ColumnElement[bool], limit: int) -> list[tuple[str, int]]:
    count = func.count()  # one row per posting: no DISTINCT needed (unlike the countries of `locations`)
    rows = session.exec(
        select_rows(column, count)
        .where(where, column.is_not(None))
        .group_by(column)
        .order_by(count.desc(), column)
        .limit(limit + 10)  # a few spare for blank values, which are left out
    ).all()
    return [(str(value), int(n)) for value, n in rows if str(value).strip()][:limit]


def _location_key(session: Session, key: str) -> tuple[Any, Any]:
    """`(places, value)`: a table-valued expression over each stored place of a posting (its `locations` JSON
    array, joined with `true()`) and the SQL expression of one place's `key` ("country", "city") as text."""
    if session.get_bind().dialect.name == "postgresql":
        element = func.json_array_elements(JobPosting.locations).table_valued("value").alias("loc")
        return element, element.c.value.op("->>")(key)
    element = func.json_each(JobPosting.locations).table_valued("value").alias("loc")
    return element, func.json_extract(element.c.value, f"$.{key}")


def _country_counts(session: Session, where: ColumnElement[bool], limit: int) -> list[tuple[str, int]]:
    element, code = _location_key(session, "country")
    count = func.count(func.distinct(JobPosting.id))
    rows = session.exec(
        select_rows(code, count).select_from(JobPosting).join(element, true()).where(where, code.is_not(None))
        .group_by(code).order_by(count.desc(), code)
    ).all()  # fmt: skip
    return [(str(value), int(n)) for value, n in rows if value][:limit]


def _facet(facet: str, counted: list[tuple[str, int]], selected: tuple[str, ...] | tuple[int, ...]) -> list[FacetValue]:
    chosen = {str(s) for s in selected}
    values = [FacetValue(value=v, label=_label(facet, v), count=n, selected=v in chosen) for v, n in counted]
    shown = {v.value for v in values}
    # A selected value with no posting left under the other selections stays visible, so it can be cleared.
    values += [FacetValue(value=v, label=_label(facet, v), count=0, selected=True) for v in sorted(chosen - shown)]
    return values


#: How long facet counts are reused for the same request on the same database (seconds; 0 turns reuse off).
#: Counting a facet reads every matching posting (most of the table for a wide search), so the page's common
#: requests (the unfiltered first page above all) are counted once a minute rather than once a visit; the
#: results and their total are always read fresh.
FACET_CACHE_SECONDS = 60.0
FACET_CACHE_SIZE = 256
_facet_cache: OrderedDict[tuple[str, SearchRequest], tuple[float, dict[str, list[FacetValue]]]] = OrderedDict()
_facet_lock = threading.Lock()


def clear_facet_cache() -> None:
    """Forget every cached facet count (tests; after bulk changes)."""
    with _facet_lock:
        _facet_cache.clear()


def _cached_facets(
    session: Session, request: SearchRequest, conditions: dict[str, ColumnElement[bool]], now: datetime
) -> dict[str, list[FacetValue]]:
    if FACET_CACHE_SECONDS <= 0:
        return _facets(session, request, conditions, now)
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), request)
    moment = time.monotonic()
    with _facet_lock:
        hit = _facet_cache.get(key)
        if hit is not None and hit[0] > moment:
            _facet_cache.move_to_end(key)
            return hit[1]
    facets = _facets(session, request, conditions, now)
    with _facet_lock:
        _facet_cache[key] = (moment + FACET_CACHE_SECONDS, facets)
        _facet_cache.move_to_end(key)
        while len(_facet_cache) > FACET_CACHE_SIZE:
            _facet_cache.popitem(last=False)
    return facets


#: Facet name -> the request's selection for it (empty: nothing selected).
def _selections(request: SearchRequest) -> dict[str, tuple[Any, ...]]:
    return {
        "company": request.companies,
        "location": request.countries,
        "workplace": request.workplaces,
        "employment_type": request.employment_types,
        "department": request.departments,
        "posted_within": (request.posted_within,) if request.posted_within is not None else (),
    }


_FACET_COLUMNS: dict[str, Any] = {
    "company": JobPosting.company,
    "workplace": JobPosting.workplace,
    "employment_type": JobPosting.employment_type,
    "department": JobPosting.department,
}
_FACET_LIMITS = {"company": FACET_LIMIT, "workplace": 10, "employment_type": 10, "department": FACET_LIMIT}


def _top(counter: Counter[str], limit: int) -> list[tuple[str, int]]:
    # The order of the SQL queries: most postings first, then by value.
    return sorted(((v, n) for v, n in counter.items() if v.strip()), key=lambda item: (-item[1], item[0]))[:limit]


def _one_scan(
    session: Session, names: list[str], where: ColumnElement[bool], now: datetime
) -> dict[str, list[tuple[str, int]]]:
    """The counts of several facets under the same conditions from one pass over the matching postings.

    Every facet of a search with no selection of its own shares the search's conditions. The facet columns
    lie after the long description columns, so each scan of them reads most of the table: the matching rows'
    facet columns are read once into a materialized CTE, and one `UNION ALL` groups it per facet."""
    rows_cte = (
        select(
            JobPosting.id.label("pid"),  # type: ignore[union-attr]
            *(column.label(name) for name, column in _FACET_COLUMNS.items()),
            JobPosting.posted_at.label("posted_at"),  # type: ignore[union-attr]
            col(JobPosting.locations).label("locations"),
        )
        .where(where)
        .cte("facet_rows")
        .prefix_with("MATERIALIZED")
    )
    parts: list[Any] = []
    for name in names:
        if name in _FACET_COLUMNS:
            column = rows_cte.c[name]
            parts.append(
                select(literal(name, String).label("facet"), cast(column, String).label("value"), func.count())
                .where(column.is_not(None))
                .group_by(column)
            )
        elif name == "location":
            code: Any
            if session.get_bind().dialect.name == "postgresql":
                element = func.json_array_elements(rows_cte.c.locations).table_valued("value").alias("loc")
                code = element.c.value.op("->>")("country")
            else:
                element = func.json_each(rows_cte.c.locations).table_valued("value").alias("loc")
                code = func.json_extract(element.c.value, "$.country")
            parts.append(
                select(literal(name, String), cast(code, String), func.count(func.distinct(rows_cte.c.pid)))
                .select_from(rows_cte)
                .join(element, true())
                .where(code.is_not(None))
                .group_by(code)
            )
        elif name == "posted_within":
            for days in POSTED_WITHIN_CHOICES:
                fresh = case((rows_cte.c.posted_at >= now - timedelta(days=days), 1), else_=0)
                parts.append(
                    select(
                        literal(name, String), literal(str(days), String), func.coalesce(func.sum(fresh), 0)
                    ).select_from(rows_cte)
                )
    counters: dict[str, Counter[str]] = {name: Counter() for name in names}
    for facet, value, count in session.execute(union_all(*parts)).all():
        if value is not None:
            counters[facet][str(value)] += int(count)
    found: dict[str, list[tuple[str, int]]] = {}
    for name in names:
        if name == "posted_within":
            found[name] = [(str(days), counters[name][str(days)]) for days in POSTED_WITHIN_CHOICES]
        else:
            found[name] = _top(counters[name], _FACET_LIMITS.get(name, FACET_LIMIT))
    return found


def _facets(
    session: Session, request: SearchRequest, conditions: dict[str, ColumnElement[bool]], now: datetime
) -> dict[str, list[FacetValue]]:
    selections = _selections(request)
    # Facets with nothing selected all count under the whole search: one scan. A facet with a selection
    # counts under every condition but its own (so the user can widen it): one query each.
    shared = [name for name in FACETS if not selections[name]]
    counted = _one_scan(session, shared, _all_but(conditions, None), now) if shared else {}
    for name in FACETS:
        if name in counted:
            continue
        where = _all_but(conditions, name)
        if name == "location":
            counted[name] = _country_counts(session, where, FACET_LIMIT)
        elif name == "posted_within":
            sums = [
                func.coalesce(func.sum(case((col(JobPosting.posted_at) >= now - timedelta(days=days), 1), else_=0)), 0)
                for days in POSTED_WITHIN_CHOICES
            ]
            totals = session.exec(select_rows(*sums).select_from(JobPosting).where(where)).one()
            counted[name] = [(str(days), int(n)) for days, n in zip(POSTED_WITHIN_CHOICES, totals, strict=True)]
        else:
            counted[name] = _grouped(session, col(_FACET_COLUMNS[name]), where, _FACET_LIMITS[name])
    facets = {name: _facet(name, counted[name], selections[name]) for name in FACETS if name != "posted_within"}
    facets["posted_within"] = [
        FacetValue(
            value=value,
            label=_label("posted_within", value),
            count=count,
            selected=request.posted_within is not None and str(request.posted_within) == value,
        )
        for value, count in counted["posted_within"]
    ]
    return facets


def validate_request(request: SearchRequest) -> SearchRequest:
    """`request` with its values checked: raises `BadInput` for an unknown workplace, employment type or
    posted-within choice, or for more than 50 values in a facet."""
    for name, values in (
        ("companies", request.companies),
        ("countries", request.countries),
        ("workplaces", request.workplaces),
        ("employment_types", request.employment_types),
        ("departments", request.departments),
    ):
        if len(values) > 50:
            raise BadInput(f"{name}: at most 50 values")
    if any(w not in WORKPLACES for w in request.workplaces):
        raise BadInput(f"workplaces must be among {', '.join(WORKPLACES)}")
    if any(t not in EMPLOYMENT_TYPES for t in request.employment_types):
        raise BadInput(f"employment types must be among {', '.join(EMPLOYMENT_TYPES)}")
    if request.posted_within is not None and request.posted_within not in POSTED_WITHIN_CHOICES:
        raise BadInput(f"posted within must be one of {', '.join(map(str, POSTED_WITHIN_CHOICES))} days")
    if len(request.text) > 500:
        raise BadInput("the search text is too long (at most 500 characters)")
    return replace(request, countries=tuple(c.strip().upper() for c in request.countries if c.strip()))


def search_postings(
    *,
    session: Session,
    request: SearchRequest,
    page: int = 1,
    page_size: int = 25,
    now: datetime | None = None,
    with_facets: bool = True,
) -> SearchResult:
    """One page (1-based, `page_size` at most `MAX_PAGE_SIZE`) of the postings that `request` finds, newest
    first (first seen), with the facets counted in the database. Raises `BadInput` for an invalid request or
    keyword (the core's filter message)."""
    request = validate_request(request)
    now = now or utcnow()
    page = max(1, page)
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    keywords = request.keywords()
    if not keywords:
        return _search(session, request, [], page, page_size, now, with_facets=with_facets)
    with full_text_scans(session):
        return _search(session, request, keywords, page, page_size, now, with_facets=with_facets)


def _search(
    session: Session,
    request: SearchRequest,
    keywords: list[str],
    page: int,
    page_size: int,
    now: datetime,
    *,
    with_facets: bool = True,
) -> SearchResult:
    text_condition, capped = (
        _text_condition(session, keywords, open_only=not request.include_closed) if keywords else (None, False)
    )
    conditions = _conditions(session, request, text_condition, now)
    where = _all_but(conditions, None)
    total = int(session.exec(select_rows(func.count()).select_from(JobPosting).where(where)).one())
    rows = session.exec(
        select_rows(JobPosting)
        .where(where)
        .order_by(col(JobPosting.first_seen_at).desc(), col(JobPosting.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return SearchResult(
        total=total,
        capped=capped,
        postings=[summarize_posting(row) for row in rows],
        facets=_cached_facets(session, request, conditions, now) if with_facets else {},
        page=page,
        page_size=page_size,
    )


def alert_filters_for(request: SearchRequest) -> dict[str, Any]:
    """The alert filters (CONTRACT section 3) that find what `request` finds, as far as filters can say it:
    keywords, companies, countries as locations, employment types, departments, remote (only when the one
    workplace chosen is `remote`) and freshness. Hybrid or on-site choices have no filter and are left out."""
    filters: dict[str, Any] = {}
    if request.keywords():
        filters["keywords"] = request.keywords()
    if request.companies:
        filters["companies"] = list(request.companies)
    if request.countries:
        filters["locations"] = [country_name(c) for c in request.countries]
    if request.employment_types:
        filters["employment_types"] = list(request.employment_types)
    if request.departments:
        filters["departments"] = list(request.departments)
    if set(request.workplaces) == {"remote"}:
        filters["is_remote"] = True
    if request.posted_within is not None:
        filters["min_posted_days_ago"] = request.posted_within
    return filters


# --- one posting -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PostingDetail:
    """One posting's page: public fields, the description as sanitized HTML (`description_html`, safe to
    render), the board, whether it is closed, and what the user did with it."""

    id: int
    title: str
    company: str | None
    url: str | None
    location: str
    workplace: str | None
    department: str | None
    employment_type: str | None
    salary: str
    posted_at: datetime | None
    first_seen_at: datetime
    closed_at: datetime | None
    board_key: str
    description_html: str
    saved: bool
    applied: bool
    hidden: bool


def sanitize_html(html: str | None) -> str:
    """`html` cleaned by nh3 to `ALLOWED_TAGS` (links keep `href` and get `rel="noopener noreferrer nofollow"`,
    http(s) and mailto only); empty for None."""
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def salary_text(salary: dict[str, Any] | None) -> str:
    """`"90,000–120,000 EUR a year"` from a stored salary (CONTRACT section 2), or an empty string."""
    if not salary:
        return ""
    low, high = salary.get("min"), salary.get("max")
    numbers = [f"{int(n):,}" for n in (low, high) if isinstance(n, int | float)]
    if not numbers:
        return ""
    amount = "–".join(dict.fromkeys(numbers))
    period = salary.get("period") or "year"
    return f"{amount} {salary.get('currency') or ''} a {period}".replace("  ", " ")


def posting_detail(*, session: Session, posting_id: int, user_id: int) -> PostingDetail | None:
    """The page of one posting (open or closed) as `user_id` sees it, or None when there is no such posting.
    Postings are public within the app: any signed-in user may read any of them."""
    posting = session.get(JobPosting, posting_id)
    if posting is None or posting.id is None:
        return None
    board = session.get(Board, posting.board_id)
    mark = session.exec(
        select_rows(UserJobInteraction).where(
            UserJobInteraction.user_id == user_id, UserJobInteraction.posting_id == posting.id
        )
    ).first()
    return PostingDetail(
        id=posting.id,
        title=posting.title,
        company=posting.company,
        url=posting.url,
        location=locations_text(posting.locations),
        workplace=posting.workplace,
        department=posting.department,
        employment_type=posting.employment_type,
        salary=salary_text(posting.salary),
        posted_at=posting.posted_at,
        first_seen_at=posting.first_seen_at,
        closed_at=posting.closed_at,
        board_key=board.key if board is not None else "",
        description_html=sanitize_html(posting.description_html),
        saved=mark is not None and mark.saved_at is not None,
        applied=mark is not None and mark.applied_at is not None,
        hidden=mark is not None and mark.hidden_at is not None,
    )


# --- suggestions for the alert builder ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestions:
    """What the alert builder suggests as the user types: companies of the watched boards, places (cities,
    then countries, then `Remote`) and departments of the stored postings, most frequent first."""

    companies: list[str]
    locations: list[str]
    departments: list[str]


#: Places and departments are suggested from this many of the newest open postings (what is hiring now).
SUGGESTION_SAMPLE = 5000


def builder_suggestions(*, session: Session, limit: int = 200) -> Suggestions:
    """The builder's suggestions (at most `limit` of each), read from the database only: companies of the
    watched boards and of the stored postings; places and departments of the `SUGGESTION_SAMPLE` newest
    open postings."""
    from jobwatch.models import Company

    names = session.exec(
        select_rows(Company.name).join(Board, col(Board.company_id) == Company.id).distinct().order_by(Company.name)
    ).all()
    companies = list(
        dict.fromkeys([*names, *(c for c, _ in _grouped(session, col(JobPosting.company), true(), limit))])
    )
    recent_ids = (
        select_rows(JobPosting.id)
        .where(col(JobPosting.closed_at).is_(None))
        .order_by(col(JobPosting.first_seen_at).desc(), col(JobPosting.id).desc())
        .limit(SUGGESTION_SAMPLE)
    )
    recent = col(JobPosting.id).in_(recent_ids.scalar_subquery())
    element, city = _location_key(session, "city")
    count = func.count()
    cities = session.exec(
        select_rows(city, count).select_from(JobPosting).join(element, true())
        .where(recent, city.is_not(None)).group_by(city).order_by(count.desc(), city).limit(limit)
    ).all()  # fmt: skip
    countries = [country_name(c) for c, _ in _country_counts(session, recent, 60)]
    locations = list(dict.fromkeys([*(str(c) for c, _ in cities if c), *countries, "Remote"]))
    departments = [d for d, _ in _grouped(session, col(JobPosting.department), recent, limit)]
    return Suggestions(companies=companies[:limit], locations=locations[: limit + 61], departments=departments)

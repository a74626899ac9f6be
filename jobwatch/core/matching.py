"""The matching engine: which postings an alert's filters accept (CONTRACT section 3).

The work is split so that each side is prepared once however many pairs are tested:

- :func:`prepare` tokenizes and folds one :class:`~jobwatch.core.postings.Posting` into a
  :class:`PreparedPosting`;
- :func:`compile_alert` turns one alert's :class:`~jobwatch.core.filters.AlertFilters` into a
  :class:`CompiledAlert` (keyword token sequences, folded name sets, location matchers);
- :func:`matches` is the one predicate deciding a (posting, alert) pair; everything that decides whether
  a posting fits an alert (the live preview, ingestion, digests, `jobwatch match`) goes through it;
- :func:`match_all` runs many postings against many alerts, using an :class:`AlertIndex` so that each posting
  is tested only against alerts that could accept it. The index only prunes; :func:`matches` still decides.
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice, pairwise, repeat
from typing import Any

from jobwatch.core.filters import AlertFilters
from jobwatch.core.geo import country_names
from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.core.text import fold_key, tokenize

__all__ = [
    "SEARCH_FIELDS",
    "SEARCH_VALUE_LIMIT",
    "AlertIndex",
    "CompiledAlert",
    "CompiledKeyword",
    "LocationMatcher",
    "PreparedLocation",
    "PreparedPosting",
    "PreparedText",
    "SearchPlan",
    "SearchQuery",
    "Term",
    "TermStatistics",
    "collector_paused",
    "compile_alert",
    "compile_alerts",
    "compile_keyword",
    "compile_location",
    "document_filter",
    "document_patterns",
    "document_tokens",
    "encode_term",
    "flat_terms",
    "match_all",
    "matches",
    "plan_fits_documents",
    "posting_terms",
    "prepare",
    "residual",
    "search_document",
    "search_plan",
]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (`gc`) for the `with` block, then resume it as it was.

    For building an index of many alerts or matching a batch of postings: those allocate hundreds of
    thousands of sets and tuples, most of which stay alive, and each time the number of tracked objects grows
    by a quarter the collector walks all of them, finding nothing (they form no reference cycles); that walk
    cost as much as the building itself. Reference counting still frees everything else at once.
    """
    if not gc.isenabled():  # paused by an outer block (or by the application): leave it to that
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# Straight, curly and fullwidth double quotes: a keyword wrapped in any of them is an exact phrase.
_OPENING_QUOTES = '"“”„‟＂'
_CLOSING_QUOTES = '"”“‟＂'
_PLURAL_SUFFIXES = ("s", "es")
_REMOTE = "remote"


class PreparedText:
    """One text (a title, a description, a location's raw text) as its tokens.

    `tokens` is the token tuple in order; `vocabulary` the set of distinct tokens (for the single-token
    keywords that are most alerts, a set lookup decides). The vocabulary and the pairs of adjacent tokens
    that multi-token keywords need are built on first use: an :class:`AlertIndex` meets a description's
    tokens without either, and most texts never meet a multi-token keyword.
    """

    __slots__ = ("_pairs", "_vocabulary", "tokens")

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens: tuple[str, ...] = tuple(tokens)
        self._vocabulary: frozenset[str] | None = None
        self._pairs: frozenset[tuple[str, str]] | None = None

    @property
    def vocabulary(self) -> frozenset[str]:
        """The distinct tokens."""
        vocabulary = self._vocabulary
        if vocabulary is None:
            vocabulary = self._vocabulary = frozenset(self.tokens)
        return vocabulary

    @classmethod
    def of(cls, text: str | None) -> PreparedText:
        """Tokenize `text` (None is an empty text)."""
        return cls(tokenize(text) if text else ())

    def pairs(self) -> frozenset[tuple[str, str]]:
        """Every pair of adjacent tokens, `(tokens[i], tokens[i + 1])`."""
        pairs = self._pairs
        if pairs is None:
            tokens = self.tokens
            pairs = self._pairs = frozenset(pairwise(tokens))
        return pairs


@dataclass(frozen=True, slots=True)
class CompiledKeyword:
    """A keyword as a token sequence (CONTRACT section 3, "Occurs").

    `tokens` is non-empty. `phrase` is True for a keyword typed in double quotes, which turns the plural rule
    off; otherwise `last_forms` holds the last token and the same plus "s" and "es". `last_pairs` holds the
    last two tokens as pairs, the last one in each of its forms (empty for a keyword of one token).
    """

    text: str
    tokens: tuple[str, ...]
    phrase: bool
    last_forms: frozenset[str]
    last_pairs: frozenset[tuple[str, str]] = frozenset()

    def __hash__(self) -> int:
        # Equal keywords have equal texts: hashing the text alone (its hash is cached by `str`) is enough,
        # and compiled alerts are looked up by their keyword tuples while an index is built.
        return hash(self.text)

    def index_keys(self) -> frozenset[str]:
        """Text tokens of which at least one must occur wherever this keyword occurs (for pruning)."""
        return frozenset((self.tokens[0],)) if len(self.tokens) > 1 else self.last_forms

    def occurs_in(self, text: PreparedText) -> bool:
        """Whether the keyword's tokens stand consecutively, in order, among `text`'s tokens; the last one
        may also be matched by itself plus "s" or "es" unless the keyword is a phrase."""
        vocabulary = text.vocabulary
        if vocabulary.isdisjoint(self.last_forms):
            return False
        count = len(self.tokens)
        if count == 1:
            return True
        first = self.tokens[0]
        if first not in vocabulary:
            return False
        # Two tokens (most phrases): one set test on the text's adjacent pairs decides.
        if self.last_pairs.isdisjoint(text.pairs()):
            return False
        if count == 2:
            return True
        tokens = text.tokens
        middle = self.tokens[1:-1]
        last = len(tokens) - count
        start = -1
        while True:
            # `tuple.index` walks in C; building a position table per text cost more than it saved.
            try:
                start = tokens.index(first, start + 1, last + 1)
            except ValueError:
                return False
            end = start + count - 1
            if tokens[end] in self.last_forms and tokens[start + 1 : end] == middle:
                return True


def _unquote(text: str) -> tuple[str, bool]:
    """`text` trimmed, without its surrounding double quotes if it has them, and whether it had them."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] in _OPENING_QUOTES and stripped[-1] in _CLOSING_QUOTES:
        return stripped[1:-1], True
    return stripped, False


@lru_cache(maxsize=65536)  # users type the same keywords over and over; the result is immutable
def compile_keyword(keyword: str) -> CompiledKeyword:
    """Compile one keyword string into its token sequence (CONTRACT section 3, "Occurs").

    A keyword whose first and last characters (after trimming whitespace) are double quotes, straight or
    curly, is an exact phrase: the quotes are dropped and the plural rule is off. Raises ValueError for a
    string without a token (which `parse_filters` refuses): dropping it silently would widen the alert.
    """
    body, phrase = _unquote(keyword)
    tokens = tuple(tokenize(body))
    if not tokens:
        raise ValueError(f"keyword {keyword!r} has no letters or digits")
    last = tokens[-1]
    forms = frozenset((last,)) if phrase else frozenset((last, *(last + suffix for suffix in _PLURAL_SUFFIXES)))
    pairs = frozenset((tokens[-2], form) for form in forms) if len(tokens) > 1 else frozenset()
    return CompiledKeyword(text=keyword, tokens=tokens, phrase=phrase, last_forms=forms, last_pairs=pairs)


@dataclass(frozen=True, slots=True)
class PreparedLocation:
    """A posting location folded for matching: `city`, `region` and `country` (alpha-2 folded to lower case)
    as `fold_key` gives them (None when unknown), the country's folded names, and the raw text's tokens."""

    city: str | None
    region: str | None
    country: str | None
    country_names: frozenset[str]
    raw: PreparedText

    @classmethod
    def of(cls, location: Location) -> PreparedLocation:
        """Prepare one :class:`~jobwatch.core.postings.Location`."""
        country = location.country
        return cls(
            city=fold_key(location.city) if location.city else None,
            region=fold_key(location.region) if location.region else None,
            country=fold_key(country) if country else None,
            country_names=country_names(country) if country else frozenset(),
            raw=PreparedText.of(location.raw),
        )


@dataclass(frozen=True, slots=True)
class LocationMatcher:
    """One `locations` filter string, compiled (CONTRACT section 3, "Locations").

    `key` is the string folded by `fold_key` (quotes dropped), compared for equality with a location's city,
    region, country code and country names; `keyword` is compared with the raw text's tokens as a keyword
    is; `remote` says whether the string is "remote", which also accepts postings whose workplace is remote.
    """

    text: str
    key: str
    keyword: CompiledKeyword
    remote: bool

    def __hash__(self) -> int:
        return hash(self.text)  # as `CompiledKeyword.__hash__`

    def matches_location(self, location: PreparedLocation) -> bool:
        """Whether this filter string matches one posting location."""
        key = self.key
        if key == location.city or key == location.region or key == location.country:
            return True
        if key in location.country_names:
            return True
        return self.keyword.occurs_in(location.raw)


@lru_cache(maxsize=16384)
def compile_location(text: str) -> LocationMatcher:
    """Compile one `locations` filter string into a :class:`LocationMatcher` (ValueError without a token)."""
    key = fold_key(_unquote(text)[0])
    return LocationMatcher(text=text, key=key, keyword=compile_keyword(text), remote=key == _REMOTE)


@dataclass(frozen=True, slots=True)
class PreparedPosting:
    """A posting tokenized and folded once, for matching against any number of alerts.

    `title` and `description` (from `description_text`) are separate texts: a keyword never spans them.
    `company_keys` holds the folded company and board token (the `board` field and `source:board`);
    `department_keys` the folded department and team. `posted_at` is aware UTC or None.
    """

    id: str | None
    title: PreparedText
    description: PreparedText
    company_keys: frozenset[str]
    department_keys: frozenset[str]
    locations: tuple[PreparedLocation, ...]
    workplace: str | None
    employment_type: str | None
    salary: Salary | None
    posted_at: datetime | None
    #: Every location's city, region, country code and country names, and every raw-text token: a filter
    #: string of one token matches some location exactly when it meets one of these sets.
    location_keys: frozenset[str] = frozenset()
    location_vocabulary: frozenset[str] = frozenset()


def _aware(moment: datetime) -> datetime:
    # Postings and `--now` are UTC by CONTRACT; a naive datetime from a caller is read as UTC, not local time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


# Companies, boards, departments and places repeat from posting to posting: their folded forms are cached.
@lru_cache(maxsize=8192)
def _company_keys(company: str | None, source: str, board: str | None) -> frozenset[str]:
    keys: set[str] = set()
    if company:
        keys.add(fold_key(company))
    if board:
        keys.add(fold_key(board))
        keys.add(fold_key(f"{source}:{board}"))
    return frozenset(keys)


@lru_cache(maxsize=4096)
def _department_keys(department: str | None, team: str | None) -> frozenset[str]:
    return frozenset(fold_key(value) for value in (department, team) if value)


@lru_cache(maxsize=8192)
def _prepared_locations(
    locations: tuple[Location, ...],
) -> tuple[tuple[PreparedLocation, ...], frozenset[str], frozenset[str]]:
    prepared = tuple(PreparedLocation.of(location) for location in locations)
    keys: set[str] = set()
    vocabulary: set[str] = set()
    for location in prepared:
        keys.update(key for key in (location.city, location.region, location.country) if key)
        keys.update(location.country_names)
        vocabulary.update(location.raw.vocabulary)
    return prepared, frozenset(keys), frozenset(vocabulary)


@lru_cache(maxsize=16384)
def _title_text(title: str | None) -> PreparedText:
    # Boards post the same titles over and over ("Senior Software Engineer"); a prepared text is never changed
    # but for its pairs, which are built the same way on first use, so one can be shared.
    return PreparedText.of(title)


def prepare(posting: Posting, *, document: str | None = None) -> PreparedPosting:
    """Tokenize and fold `posting` once (CONTRACT section 2 fields read: title, description_text, company,
    source, board, department, team, locations, workplace, employment_type, salary, posted_at).

    With `document` (the posting's stored :func:`search_document`), title and description tokens are read
    from it instead of tokenizing `title` and `description_text` again, which is several times faster.
    """
    if document is not None:
        title_tokens, description_tokens = document_tokens(document)
        title, description = PreparedText(title_tokens), PreparedText(description_tokens)
    else:
        title, description = _title_text(posting.title), PreparedText.of(posting.description_text)
    locations, location_keys, location_vocabulary = _prepared_locations(tuple(posting.locations))
    return PreparedPosting(
        id=posting.id,
        title=title,
        description=description,
        company_keys=_company_keys(posting.company, posting.source, posting.board),
        department_keys=_department_keys(posting.department, posting.team),
        locations=locations,
        workplace=posting.workplace,
        employment_type=posting.employment_type,
        salary=posting.salary,
        posted_at=_aware(posting.posted_at) if posting.posted_at is not None else None,
        location_keys=location_keys,
        location_vocabulary=location_vocabulary,
    )


@dataclass(frozen=True, slots=True)
class CompiledAlert:
    """An alert's filters compiled once for matching (CONTRACT section 3).

    Keyword lists are :class:`CompiledKeyword` tuples; `companies` and `departments` are `fold_key` sets;
    `locations` are :class:`LocationMatcher` tuples; an empty tuple or set, or None, means the key is unset.
    `salary_currency` only counts together with `salary_min`, as CONTRACT says.
    """

    alert_id: str
    filters: AlertFilters
    keywords: tuple[CompiledKeyword, ...]
    title_keywords: tuple[CompiledKeyword, ...]
    exclude_keywords: tuple[CompiledKeyword, ...]
    companies: frozenset[str]
    departments: frozenset[str]
    locations: tuple[LocationMatcher, ...]
    location_remote: bool
    employment_types: frozenset[str]
    is_remote: bool | None
    posted_within: timedelta | None
    salary_min: int | None
    salary_currency: str | None
    # The same filters split for speed: one-token keywords as one set of all their forms (one set
    # operation tests them all), longer keywords as they are; likewise the location strings.
    keyword_forms: frozenset[str] = frozenset()
    keyword_phrases: tuple[CompiledKeyword, ...] = ()
    title_forms: frozenset[str] = frozenset()
    title_phrases: tuple[CompiledKeyword, ...] = ()
    exclude_forms: frozenset[str] = frozenset()
    exclude_phrases: tuple[CompiledKeyword, ...] = ()
    location_keys: frozenset[str] = frozenset()
    location_forms: frozenset[str] = frozenset()
    location_phrases: tuple[CompiledKeyword, ...] = ()


def _split(keywords: Sequence[CompiledKeyword]) -> tuple[frozenset[str], tuple[CompiledKeyword, ...]]:
    forms = frozenset().union(*(keyword.last_forms for keyword in keywords if len(keyword.tokens) == 1))
    return forms, tuple(keyword for keyword in keywords if len(keyword.tokens) > 1)


# Users' alerts repeat the same keyword lists, places and companies: each distinct list is compiled once, and
# equal lists then share their compiled objects (which also makes the index's per-group lookups cheap).
@lru_cache(maxsize=65536)
def _keyword_list(
    values: tuple[str, ...],
) -> tuple[tuple[CompiledKeyword, ...], frozenset[str], tuple[CompiledKeyword, ...]]:
    # The keywords; the forms of those of one token; those of several tokens.
    keywords = tuple(compile_keyword(value) for value in values)
    return (keywords, *_split(keywords))


@lru_cache(maxsize=65536)
def _location_list(
    values: tuple[str, ...],
) -> tuple[tuple[LocationMatcher, ...], frozenset[str], frozenset[str], tuple[CompiledKeyword, ...]]:
    # The matchers; their keys; the forms of those of one token; those of several tokens.
    locations = tuple(compile_location(value) for value in values)
    forms, phrases = _split([matcher.keyword for matcher in locations])
    return locations, frozenset(matcher.key for matcher in locations), forms, phrases


@lru_cache(maxsize=65536)
def _name_keys(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(fold_key(value) for value in values)


def compile_alert(alert_id: str, filters: AlertFilters) -> CompiledAlert:
    """Compile one alert's validated filters (from `parse_filters`) for :func:`matches`.

    Raises ValueError for a keyword or location without a token, which `parse_filters` refuses.
    """
    locations, location_keys, location_forms, location_phrases = _location_list(filters.locations)
    days = filters.min_posted_days_ago
    keywords, keyword_forms, keyword_phrases = _keyword_list(filters.keywords)
    title_keywords, title_forms, title_phrases = _keyword_list(filters.title_keywords)
    exclude_keywords, exclude_forms, exclude_phrases = _keyword_list(filters.exclude_keywords)
    return CompiledAlert(
        alert_id=alert_id,
        filters=filters,
        keywords=keywords,
        title_keywords=title_keywords,
        exclude_keywords=exclude_keywords,
        companies=_name_keys(filters.companies),
        departments=_name_keys(filters.departments),
        locations=locations,
        location_remote=any(matcher.remote for matcher in locations),
        employment_types=frozenset(filters.employment_types),
        is_remote=filters.is_remote,
        posted_within=timedelta(days=days) if days is not None else None,
        salary_min=filters.salary_min,
        salary_currency=filters.salary_currency.upper() if filters.salary_currency else None,
        keyword_forms=keyword_forms,
        keyword_phrases=keyword_phrases,
        title_forms=title_forms,
        title_phrases=title_phrases,
        exclude_forms=exclude_forms,
        exclude_phrases=exclude_phrases,
        location_keys=location_keys,
        location_forms=location_forms,
        location_phrases=location_phrases,
    )


def _salary_passes(salary: Salary | None, minimum: int, currency: str | None) -> bool:
    if salary is None:
        return True
    if currency is not None and salary.currency.strip().upper() != currency:
        return False
    yearly = salary.yearly()
    # A salary object with neither bound says nothing about pay: it passes as "no salary" does.
    return yearly is None or yearly >= minimum


def _locations_pass(posting: PreparedPosting, alert: CompiledAlert) -> bool:
    # Equal to "some filter string matches some location" (LocationMatcher.matches_location over all pairs):
    # the key sets and one-token raw matches are unions over locations; phrases need one raw text each.
    if alert.location_remote and posting.workplace == _REMOTE:
        return True
    if not alert.location_keys.isdisjoint(posting.location_keys):
        return True
    if not alert.location_forms.isdisjoint(posting.location_vocabulary):
        return True
    for keyword in alert.location_phrases:
        for location in posting.locations:
            if keyword.occurs_in(location.raw):
                return True
    return False


def _occurs(forms: frozenset[str], phrases: tuple[CompiledKeyword, ...], text: PreparedText) -> bool:
    if not forms.isdisjoint(text.vocabulary):
        return True
    return any(keyword.occurs_in(text) for keyword in phrases)


def matches(posting: PreparedPosting, alert: CompiledAlert, *, now: datetime) -> bool:
    """Whether `posting` passes every filter of `alert` (CONTRACT section 3), keys ANDed, lists ORed.

    `now` is the reference time for `min_posted_days_ago` (a naive datetime is read as UTC); a posting
    passes when `posted_at >= now - N x 24 h` (the boundary included) or `posted_at` is null.
    Cheap checks run first; keyword checks, the dearest, run last.
    """
    if alert.employment_types and posting.employment_type not in alert.employment_types:
        return False
    if alert.is_remote is not None and (posting.workplace == _REMOTE) != alert.is_remote:
        return False
    if (
        alert.posted_within is not None
        and posting.posted_at is not None
        and posting.posted_at < _aware(now) - alert.posted_within
    ):
        return False
    if alert.salary_min is not None and not _salary_passes(posting.salary, alert.salary_min, alert.salary_currency):
        return False
    if alert.companies and alert.companies.isdisjoint(posting.company_keys):
        return False
    if alert.departments and alert.departments.isdisjoint(posting.department_keys):
        return False
    if alert.locations and not _locations_pass(posting, alert):
        return False
    title, description = posting.title, posting.description
    if alert.title_keywords and not _occurs(alert.title_forms, alert.title_phrases, title):
        return False
    if alert.keywords and not (
        _occurs(alert.keyword_forms, alert.keyword_phrases, title)
        or _occurs(alert.keyword_forms, alert.keyword_phrases, description)
    ):
        return False
    return not alert.exclude_keywords or not (
        _occurs(alert.exclude_forms, alert.exclude_phrases, title)
        or _occurs(alert.exclude_forms, alert.exclude_phrases, description)
    )


# --- Search terms: what both the in-memory index and the database's full-text index look for -------------
#
# A posting is described by *terms*: (field, value) pairs such as ("t", "python") for a title token. An
# alert's filters give a *search plan*: groups of terms that are ANDed, each a boolean formula of terms,
# such that whenever `matches()` accepts a posting, every group is true of the posting's terms. The plan
# only prunes (it may be true of postings that `matches()` refuses); `matches()` always decides. The same
# plan files an alert in :class:`AlertIndex` and becomes the full-text query of the live preview, so the
# two can never prune differently.

#: Term fields: title token, description token, company key, department key, location key (city, region,
#: country code or name), location raw-text token, employment type, workplace.
FIELD_TITLE, FIELD_DESCRIPTION, FIELD_COMPANY, FIELD_DEPARTMENT = "t", "d", "c", "p"
FIELD_LOCATION, FIELD_LOCATION_TEXT, FIELD_EMPLOYMENT, FIELD_WORKPLACE = "l", "r", "e", "w"
SEARCH_FIELDS: tuple[str, ...] = ("t", "d", "c", "p", "l", "r", "e", "w")

Term = tuple[str, str]
#: A term, or ("and" | "or", children). An empty "and" is true, an empty "or" false.
SearchQuery = Term | tuple[str, tuple["SearchQuery", ...]]


@dataclass(frozen=True, slots=True)
class SearchPlan:
    """What a posting must contain for an alert to accept it (see the section comment above).

    `groups` are ANDed; `excluded` are terms whose presence alone makes `matches()` refuse the posting
    (single-token exclude keywords, and the workplace "remote" for `is_remote: false`).
    """

    groups: tuple[SearchQuery, ...]
    excluded: tuple[Term, ...]
    #: The filter key each group comes from ("keywords", ..., "is_remote"), and whether the group is
    #: *exact*: true of a posting's terms exactly when `matches()`'s test of that key passes (every keyword
    #: and location string of one token). `exclusions_exact`: `excluded` says all of `exclude_keywords`.
    keys: tuple[str, ...] = ()
    exact: tuple[bool, ...] = ()
    exclusions_exact: bool = True


def _and(children: Iterable[SearchQuery]) -> SearchQuery:
    items = tuple(children)
    return items[0] if len(items) == 1 else ("and", items)


def _or(children: Iterable[SearchQuery]) -> SearchQuery:
    items = tuple(dict.fromkeys(children))  # de-duplicated, order kept
    return items[0] if len(items) == 1 else ("or", items)


def _keyword_query(keyword: CompiledKeyword, field: str) -> SearchQuery:
    # Every token must stand in the text; the last one in one of its forms (itself, or with "s"/"es").
    parts: list[SearchQuery] = [(field, token) for token in dict.fromkeys(keyword.tokens[:-1])]
    parts.append(_or((field, form) for form in sorted(keyword.last_forms)))
    return _and(parts)


#: The filter keys that give a search-plan group, in plan order (`is_remote` only when true).
_GROUP_KEYS: tuple[str, ...] = (
    "keywords",
    "title_keywords",
    "companies",
    "departments",
    "locations",
    "employment_types",
    "is_remote",
)


def _group_keys(alert: CompiledAlert) -> list[str]:
    """The keys of `alert` that give a group of its search plan, in plan order."""
    # The compiled attributes, not `alert.filters`: a residual alert (see `residual`) has keys cleared.
    keys = [key for key in _GROUP_KEYS[:-1] if getattr(alert, key)]
    if alert.is_remote:
        keys.append("is_remote")
    return keys


def _plan_group(alert: CompiledAlert, key: str) -> tuple[SearchQuery, bool]:
    """The search-plan group of one set key of `alert` (one of `_group_keys(alert)`), and whether it is exact.

    The group depends only on that key's filter value, so callers may share it among alerts.
    """
    if key == "keywords":
        query = _or(
            _keyword_query(keyword, field) for keyword in alert.keywords for field in (FIELD_TITLE, FIELD_DESCRIPTION)
        )
        return query, not alert.keyword_phrases
    if key == "title_keywords":
        return _or(_keyword_query(keyword, FIELD_TITLE) for keyword in alert.title_keywords), not alert.title_phrases
    if key == "companies":
        return _or((FIELD_COMPANY, value) for value in sorted(alert.companies)), True
    if key == "departments":
        return _or((FIELD_DEPARTMENT, value) for value in sorted(alert.departments)), True
    if key == "locations":
        options: list[SearchQuery] = []
        for matcher in alert.locations:
            options.append((FIELD_LOCATION, matcher.key))
            options.append(_keyword_query(matcher.keyword, FIELD_LOCATION_TEXT))
            if matcher.remote:
                options.append((FIELD_WORKPLACE, _REMOTE))
        # Exact: a key equals a city, region, country code or name exactly when it is among the posting's
        # location keys, and a one-token string occurs in a raw text exactly when one of its forms does.
        return _or(options), not alert.location_phrases
    if key == "employment_types":
        return _or((FIELD_EMPLOYMENT, value) for value in sorted(alert.employment_types)), True
    if key == "is_remote":
        return (FIELD_WORKPLACE, _REMOTE), True
    raise ValueError(f"{key!r} gives no search-plan group")


def _excluded_terms(alert: CompiledAlert) -> tuple[Term, ...]:
    """The terms whose presence alone makes `matches()` refuse a posting (see `SearchPlan.excluded`)."""
    excluded: list[Term] = []
    for keyword in alert.exclude_keywords:
        # Only a one-token keyword is excluded by one term; a phrase needs its tokens in order, which terms
        # cannot say, so it is left to `matches()`.
        if len(keyword.tokens) == 1:
            excluded.extend((field, form) for form in sorted(keyword.last_forms) for field in ("t", "d"))
    if alert.is_remote is False:
        excluded.append((FIELD_WORKPLACE, _REMOTE))
    return tuple(dict.fromkeys(excluded))


def search_plan(alert: CompiledAlert) -> SearchPlan:
    """The :class:`SearchPlan` of a compiled alert: one group per set list key (keywords, title_keywords,
    companies, departments, locations, employment_types) plus `is_remote: true`."""
    keys = _group_keys(alert)
    groups = [_plan_group(alert, key) for key in keys]
    return SearchPlan(
        groups=tuple(query for query, _ in groups),
        excluded=_excluded_terms(alert),
        keys=tuple(keys),
        exact=tuple(is_exact for _, is_exact in groups),
        exclusions_exact=not alert.exclude_phrases,
    )


#: What :func:`residual` clears for each exact key (and for exclusions said by terms).
_CLEARED: dict[str, dict[str, object]] = {
    "keywords": {"keywords": (), "keyword_forms": frozenset(), "keyword_phrases": ()},
    "title_keywords": {"title_keywords": (), "title_forms": frozenset(), "title_phrases": ()},
    "companies": {"companies": frozenset()},
    "departments": {"departments": frozenset()},
    "locations": {
        "locations": (),
        "location_remote": False,
        "location_keys": frozenset(),
        "location_forms": frozenset(),
        "location_phrases": (),
    },
    "employment_types": {"employment_types": frozenset()},
    "is_remote": {"is_remote": None},
}


def residual(alert: CompiledAlert, plan: SearchPlan, *, freshness: bool = True) -> CompiledAlert | None:
    """What :func:`matches` must still test of `alert` for a posting of whose terms every exact group of
    `plan` (its :func:`search_plan`) is true and none of whose terms is `excluded`: the alert with those
    keys cleared, or None when nothing is left (the terms alone decide).

    Left are the groups that are not exact (keywords or locations of several tokens), the exclusions of
    several tokens, salary, and freshness unless `freshness` is False (for a caller that tests it itself).
    """
    left = _residual(alert, [key for key, is_exact in zip(plan.keys, plan.exact, strict=True) if is_exact])
    if left is not None and not freshness and left.posted_within is not None:
        return _residual(left, (), limits=True, freshness=False)
    return left


def _residual(
    alert: CompiledAlert,
    exact_keys: Iterable[str],
    *,
    limits: bool = True,
    exclusions: bool = True,
    freshness: bool = True,
) -> CompiledAlert | None:
    # `alert` without the keys in `exact_keys`, its one-token exclusions and `is_remote: false` (both said
    # by excluded terms), its phrase exclusions too unless `exclusions`, without freshness and salary
    # unless `limits`, and without freshness unless `freshness`; None when nothing is left.
    changes: dict[str, object] = {}
    if not freshness:
        changes["posted_within"] = None
    for key in exact_keys:
        changes.update(_CLEARED[key])
    if alert.is_remote is False:
        changes["is_remote"] = None
    if alert.exclude_keywords:
        phrases = alert.exclude_phrases if exclusions else ()
        changes.update(exclude_keywords=phrases, exclude_forms=frozenset(), exclude_phrases=phrases)
    if not limits:
        changes.update(posted_within=None, salary_min=None, salary_currency=None)
    left = replace(alert, **changes)  # type: ignore[arg-type]
    if (
        left.keywords
        or left.title_keywords
        or left.exclude_keywords
        or left.companies
        or left.departments
        or left.locations
        or left.employment_types
        or left.is_remote is not None
        or left.posted_within is not None
        or left.salary_min is not None
    ):
        return left
    return None


def posting_terms(posting: PreparedPosting) -> dict[str, Collection[str]]:
    """The values of each term field of `posting` (only non-empty fields), for probing an index."""
    terms: dict[str, Collection[str]] = {
        FIELD_TITLE: posting.title.vocabulary,
        FIELD_DESCRIPTION: posting.description.vocabulary,
        FIELD_COMPANY: posting.company_keys,
        FIELD_DEPARTMENT: posting.department_keys,
        FIELD_LOCATION: posting.location_keys,
        FIELD_LOCATION_TEXT: posting.location_vocabulary,
        FIELD_EMPLOYMENT: (posting.employment_type,) if posting.employment_type else (),
        FIELD_WORKPLACE: (posting.workplace,) if posting.workplace else (),
    }
    return {field: values for field, values in terms.items() if values}


# --- The stored search document ------------------------------------------------------------------------
#
# The live preview stores each posting's terms as one text of words, "field letter + encoded value", so that
# a database full-text index (SQLite FTS5, PostgreSQL `to_tsvector('simple', ...)`) indexes jobwatch's own
# tokens. The encoding leaves only ASCII letters and digits, so no database tokenizer can split, stem or
# drop a word: `x` escapes (`xx` x, `xp` +, `xh` #, `xd` ., `xs` space, `xuHHHHHH` any other character).
# Title and description words come first, in text order, so the token sequences can be read back without
# tokenizing the text again (:func:`prepare` with `document=`).

#: Values longer than this (characters) are stored as the placeholder `xz`; no keyword of up to 100
#: characters folds to a token this long in practice, and a plan that would need one is marked so.
SEARCH_VALUE_LIMIT = 200
_PLACEHOLDER = "\x00"  # a "token" that no keyword token equals (tokens never hold NUL)
_ESCAPES = {"x": "xx", "+": "xp", "#": "xh", ".": "xd", " ": "xs"}
_UNSAFE_RE = re.compile(r"[^a-wyz0-9]")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"xu{ord(char):06x}"


def encode_term(field: str, value: str) -> str | None:
    """The document word of one term (`field` + escaped `value`); None when `value` exceeds
    `SEARCH_VALUE_LIMIT` and so cannot be looked up."""
    if len(value) > SEARCH_VALUE_LIMIT:
        return None
    return field + _UNSAFE_RE.sub(_escape_char, value)


def _encode_values(field: str, values: Iterable[str]) -> list[str]:
    return [
        field + ("xz" if len(value) > SEARCH_VALUE_LIMIT else _UNSAFE_RE.sub(_escape_char, value)) for value in values
    ]


def search_document(posting: PreparedPosting) -> str:
    """The search document of `posting`: its terms as space-separated ASCII words (see above).

    Title tokens come first, in order, then description tokens, in order, then the other fields' values.
    """
    terms = posting_terms(posting)
    words = _encode_values(FIELD_TITLE, posting.title.tokens)
    words += _encode_values(FIELD_DESCRIPTION, posting.description.tokens)
    for field in SEARCH_FIELDS[2:]:
        words += _encode_values(field, sorted(terms.get(field, ())))
    return " ".join(words)


_HEX_ESCAPE_RE = re.compile(r"xu([0-9a-f]{6})")
# One field's run of words at the start of what is left of a document (after a space, or at its start).
_TITLE_RUN_RE = re.compile(r"(?:^| )t[^ ]*(?: t[^ ]*)*")
_DESCRIPTION_RUN_RE = re.compile(r" ?d[^ ]*(?: d[^ ]*)*")


def _unescape(text: str) -> str:
    # Decodes the escapes of `encode_term` in C: decoding reads each `x` with the character
    # after it, left to right, as `str.replace` scans; `xx` is the only escape whose code is an `x`, so once
    # the `xx` are set aside (as \x01, which no token holds) every `x` left starts one escape of its own.
    text = text.replace("xx", "\x01")
    if "x" in text:
        for char, code in _ESCAPES.items():
            if char != "x":
                text = text.replace(code, char)
        text = text.replace("xz", _PLACEHOLDER)
        if "xu" in text:
            text = _HEX_ESCAPE_RE.sub(lambda match: chr(int(match.group(1), 16)), text)
    return text.replace("\x01", "x")


def _field_tokens(run: str, field: str) -> list[str]:
    # " tfoo tbar" -> ["foo", "bar"]: no word holds a space, so " " + letter starts each word.
    text = (run if run.startswith(" ") else " " + run).replace(" " + field, " ")[1:]
    return (_unescape(text) if "x" in text else text).split(" ")


def document_tokens(document: str) -> tuple[list[str], list[str]]:
    """The title tokens and description tokens stored in a search document, in order (a token longer than
    `SEARCH_VALUE_LIMIT` comes back as a placeholder that no keyword matches)."""
    # Title words come first, then description words (see `search_document`): two runs at the start.
    title = _TITLE_RUN_RE.match(document)
    end = title.end() if title else 0
    description = _DESCRIPTION_RUN_RE.match(document, end)
    return (
        _field_tokens(title.group(), FIELD_TITLE) if title else [],
        _field_tokens(description.group(), FIELD_DESCRIPTION) if description else [],
    )


def document_patterns(alert: CompiledAlert) -> tuple[tuple[str, ...], ...] | None:
    """Substrings that a posting's stored :func:`search_document` must hold for :func:`matches` to accept
    it: one tuple per set key of `keywords` and `title_keywords`, of which some pattern must be in the
    document (the encoded words of a keyword, one space apart as its tokens are, the last in each of its
    forms). None when neither key is set or a keyword is too long for the documents. Only prunes:
    :func:`matches` still decides.
    """
    if not (alert.keywords or alert.title_keywords) or not plan_fits_documents(alert):
        return None
    groups: list[tuple[str, ...]] = []
    if alert.keywords:
        groups.append(
            tuple(
                pattern
                for keyword in alert.keywords
                for field in (FIELD_TITLE, FIELD_DESCRIPTION)
                for pattern in _document_patterns(keyword, field)
            )
        )
    if alert.title_keywords:
        groups.append(
            tuple(pattern for keyword in alert.title_keywords for pattern in _document_patterns(keyword, FIELD_TITLE))
        )
    return tuple(groups)


def document_filter(alert: CompiledAlert) -> Callable[[str], bool] | None:
    """A quick test on a posting's stored :func:`search_document` that is false only when :func:`matches`
    would refuse the posting for its `keywords` or `title_keywords`: every group of
    :func:`document_patterns` has a pattern in the document (None when there are no patterns)."""
    groups = document_patterns(alert)
    if groups is None:
        return None

    def may_match(document: str) -> bool:
        return all(any(pattern in document for pattern in patterns) for patterns in groups)

    return may_match


def _document_patterns(keyword: CompiledKeyword, field: str) -> list[str]:
    # The keyword's words as `search_document` writes them, one space apart, the last in each of its forms.
    head = "".join(encode_term(field, token) + " " for token in keyword.tokens[:-1])  # type: ignore[operator]
    return [head + encode_term(field, form) for form in sorted(keyword.last_forms)]  # type: ignore[operator]


def plan_fits_documents(alert: CompiledAlert) -> bool:
    """Whether every keyword token of `alert` (plural forms included) is short enough to be stored in a
    search document, so that :func:`matches` on a posting prepared from its document decides as on the
    posting itself (always true for filters of up to 100 characters but pathological Unicode)."""
    keywords = (*alert.keywords, *alert.title_keywords, *alert.exclude_keywords)
    forms = (form for keyword in keywords for form in (*keyword.tokens, *keyword.last_forms))
    return all(len(form) <= SEARCH_VALUE_LIMIT for form in forms)


# --- The alert index -------------------------------------------------------------------------------------


class TermStatistics:
    """How often each term occurs among a sample of postings, to file each alert under its rarest group.

    Without a sample, per-field guesses stand in (a company name is rarer than a description word).
    """

    _GUESS = {"t": 0.01, "d": 0.05, "c": 0.002, "p": 0.01, "l": 0.02, "r": 0.02, "e": 0.2, "w": 0.3}

    def __init__(self, sample: Iterable[PreparedPosting] = ()) -> None:
        counts: dict[str, Counter[str]] = {field: Counter() for field in SEARCH_FIELDS}
        size = 0
        for posting in sample:
            size += 1
            for field, values in posting_terms(posting).items():
                counts[field].update(values)  # counted in C
        self.size = size
        self._counts = counts

    def frequency(self, term: Term) -> float:
        """Estimated share of postings holding `term` (0 < f <= 1)."""
        field, value = term
        if self.size == 0:
            return self._GUESS[field]
        # Half a posting for a term the sample never saw: rare, but not free.
        return (self._counts[field].get(value, 0) + 0.5) / (self.size + 1)


def _cover(query: SearchQuery, stats: TermStatistics) -> tuple[float, frozenset[Term]]:
    """A set of terms of which at least one is present whenever `query` holds, and its estimated cost."""
    if isinstance(query[1], str):
        term: Term = (query[0], query[1])
        return stats.frequency(term), frozenset((term,))
    operator, children = query[0], query[1]
    assert isinstance(children, tuple)
    covers = [_cover(child, stats) for child in children]
    if operator == "or":
        return sum(cost for cost, _ in covers), frozenset().union(*(terms for _, terms in covers))
    # An AND holds only when each child holds: the cheapest child's cover is enough.
    return min(covers, key=lambda item: item[0])


# Flat terms: each term as one string, for C-level set tests. A description token, by far the most
# numerous, stands for itself (so a posting's description vocabulary is already its flat description
# terms); any other term is " " + field letter + value. Tokens never hold a space, so the two never meet.
def _flat_term(field: str, value: str) -> str:
    return value if field == FIELD_DESCRIPTION else " " + field + value


def _flat(terms: Iterable[Term]) -> frozenset[str]:
    return frozenset(_flat_term(field, value) for field, value in terms)


def flat_terms(posting: PreparedPosting) -> set[str]:
    """Every term of `posting` as one string (a description token as itself, any other term as a space,
    its field letter and its value), for one C-level set test per group."""
    flat = set(posting.description.vocabulary)
    for field, values in posting_terms(posting).items():
        if field != FIELD_DESCRIPTION:
            prefix = " " + field
            flat.update([prefix + value for value in values])
    return flat


#: Phrases of up to this many tokens in titles and location texts are looked up as one term (n-gram).
NGRAM_TOKENS = 4
# Flat n-gram terms: a title's ("T") and a location raw text's ("R") runs of 2..NGRAM_TOKENS tokens joined
# by a space (tokens never hold one). Upper-case letters are not term fields, so they cannot collide.
_TITLE_NGRAM, _RAW_NGRAM = " T", " R"


def _ngrams(prefix: str, tokens: Sequence[str]) -> list[str]:
    grams = []
    for size in range(2, min(NGRAM_TOKENS, len(tokens)) + 1):
        grams += [prefix + " ".join(tokens[start : start + size]) for start in range(len(tokens) - size + 1)]
    return grams


def _index_terms(posting: PreparedPosting, known: set[Term | str]) -> set[Term | str]:
    """Those of the posting's index terms that are in `known` (the terms some entry of an index tests): its
    flat terms, its title and location n-grams, and "" (which every second group of one term-less entry is
    filed under). Every later test meets the same terms of its own as with all of them, on a set a tenth
    the size. A `set`, not a frozenset: `dict.keys() & set` walks the smaller side only when the set is
    exactly a `set`."""
    # The description's tokens, by far the most, are met with `known` in C, without a set of their own.
    terms = known.intersection(posting.description.tokens)
    # Titles, places, companies and departments recur from posting to posting: their terms are cached.
    terms.update(known.intersection(_title_terms(posting.title.tokens)))
    terms.update(known.intersection(_place_terms(posting.locations)))
    terms.update(known.intersection(_name_terms(FIELD_COMPANY, posting.company_keys)))
    others = [""]
    if posting.department_keys:
        others += _name_terms(FIELD_DEPARTMENT, posting.department_keys)
    if posting.employment_type:
        others.append(_flat_term(FIELD_EMPLOYMENT, posting.employment_type))
    if posting.workplace:
        others.append(_flat_term(FIELD_WORKPLACE, posting.workplace))
    terms.update(known.intersection(others))
    return terms


@lru_cache(maxsize=16384)
def _title_terms(tokens: tuple[str, ...]) -> tuple[str, ...]:
    # A title's flat terms and n-grams.
    return (*(_flat_term(FIELD_TITLE, token) for token in tokens), *_ngrams(_TITLE_NGRAM, tokens))


@lru_cache(maxsize=16384)
def _place_terms(locations: tuple[PreparedLocation, ...]) -> tuple[str, ...]:
    # The flat location keys and raw-text terms of a posting's locations, and the raw texts' n-grams.
    terms: list[str] = []
    for location in locations:
        keys = (location.city, location.region, location.country, *location.country_names)
        terms += [_flat_term(FIELD_LOCATION, key) for key in keys if key]
        terms += [_flat_term(FIELD_LOCATION_TEXT, token) for token in location.raw.vocabulary]
        terms += _ngrams(_RAW_NGRAM, location.raw.tokens)
    return tuple(terms)


@lru_cache(maxsize=16384)
def _name_terms(field: str, keys: frozenset[str]) -> tuple[str, ...]:
    # The flat terms of a posting's company or department keys.
    return tuple(_flat_term(field, key) for key in keys)


def _phrase_terms(keyword: CompiledKeyword, field: str) -> frozenset[Term | str] | None:
    """The index terms of which one is present exactly when `keyword` occurs in the text of `field`
    (title, description or a location's raw text); None when there is no such set (a longer phrase).

    One token: its forms as flat terms. In titles and raw texts, a phrase of up to `NGRAM_TOKENS` tokens:
    its n-grams, the last token in each form. In descriptions, a phrase of two tokens: its adjacent pairs
    (tuples, which the description's `PreparedText.pairs` gives).
    """
    count = len(keyword.tokens)
    if count == 1:
        return frozenset(_flat_term(field, form) for form in keyword.last_forms)
    if field == FIELD_DESCRIPTION:
        return frozenset(keyword.last_pairs) if count == 2 else None
    if count > NGRAM_TOKENS:
        return None
    head = (_TITLE_NGRAM if field == FIELD_TITLE else _RAW_NGRAM) + " ".join(keyword.tokens[:-1]) + " "
    return frozenset(head + form for form in keyword.last_forms)


def _any_of(parts: Iterable[frozenset[Term | str] | None]) -> frozenset[Term | str] | None:
    # The union of `parts`, or None when one of them is None.
    union: set[Term | str] = set()
    for part in parts:
        if part is None:
            return None
        union |= part
    return frozenset(union)


def _exact_cover(alert: CompiledAlert, key: str, plan_cover: frozenset[str]) -> frozenset[Term | str] | None:
    """Index terms (flat terms, n-grams, description pairs) of which one is present exactly when `alert`'s
    test of `key` passes; None when no such set exists (a phrase too long for n-grams or pairs)."""
    if key == "keywords":
        return _any_of(
            _phrase_terms(keyword, field) for keyword in alert.keywords for field in (FIELD_TITLE, FIELD_DESCRIPTION)
        )
    if key == "title_keywords":
        return _any_of(_phrase_terms(keyword, FIELD_TITLE) for keyword in alert.title_keywords)
    if key == "locations":
        parts = [_phrase_terms(matcher.keyword, FIELD_LOCATION_TEXT) for matcher in alert.locations]
        parts.append(frozenset(_flat_term(FIELD_LOCATION, matcher.key) for matcher in alert.locations))
        if alert.location_remote:
            parts.append(frozenset((_flat_term(FIELD_WORKPLACE, _REMOTE),)))
        return _any_of(parts)
    return plan_cover  # companies, departments, employment types, is_remote: always exact


def _exclusions(alert: CompiledAlert) -> tuple[frozenset[Term | str], bool]:
    """Index terms whose presence refuses a posting, and whether they say every exclusion of `alert`."""
    excluded = frozenset(_flat(_excluded_terms(alert)))
    parts: list[frozenset[Term | str] | None] = [excluded]
    parts += [
        _phrase_terms(keyword, field) for keyword in alert.exclude_phrases for field in (FIELD_TITLE, FIELD_DESCRIPTION)
    ]
    exact = _any_of(parts)
    return (exact, True) if exact is not None else (excluded, False)


@dataclass(frozen=True, slots=True)
class _Group:
    """One search-plan group as the index uses it (shared by every alert with the same value of its key)."""

    cost: float  # estimated share of postings meeting `cover`
    cover: frozenset[str]  # flat terms of which one is present whenever the group holds
    exact: frozenset[Term | str] | None  # index terms of which one is present exactly when the key passes
    phrases: bool  # `exact` differs from `cover` (phrases: the cover is met, the phrases decide)
    pairs: bool  # `exact` holds description pairs


@dataclass(slots=True)
class _Entry:
    """One distinct set of filters in an :class:`AlertIndex`, and the positions of the alerts that have it."""

    alert: CompiledAlert  # the first alert added with these filters
    filed: frozenset[str] | None  # flat terms; None: not filed under any term (tested against every posting)
    second: frozenset[str]  # the second-rarest group's cover, flat ("" alone when there is none)
    checks: tuple[frozenset[Term | str], ...]  # index term sets that must each meet the posting's terms
    excluded: frozenset[Term | str]  # index terms whose presence refuses the posting
    pairs: bool  # whether `checks` or `excluded` hold description pairs
    within: timedelta | None  # freshness
    salary_min: int | None
    salary_currency: str | None
    residual: CompiledAlert | None  # what `matches()` must still decide (phrases); None: nothing
    owners: list[int]  # positions of the alerts with these filters, ascending

    @property
    def direct(self) -> bool:
        """Whether meeting both filing groups decides, but for freshness and salary (no other check,
        exclusion or residual)."""
        return not (self.checks or self.excluded or self.residual is not None)


_NO_SECOND = frozenset(("",))


def _pairs_from(text: PreparedText, heads: Iterable[str]) -> list[tuple[str, str]]:
    """The pairs of adjacent tokens of `text` whose first token is in `heads` (`text.pairs()` restricted)."""
    present = list(heads)
    if not present:
        return []
    # A description has hundreds of pairs but holds few heads. In the tokens joined by single spaces (no
    # token holds one), `str.find` reaches each " head " in C, and the token after it ends at the next space.
    joined = " " + " ".join(text.tokens) + " "
    pairs = []
    for head in present:
        needle = " " + head + " "
        position = joined.find(needle)
        while position != -1:
            start = position + len(needle)
            end = joined.find(" ", start)
            if end > start:  # -1 after the last token
                pairs.append((head, joined[start:end]))
            position = joined.find(needle, start - 1)  # the next occurrence may share this one's last space
    return pairs


@dataclass(frozen=True, slots=True)
class _Pay:
    """A posting's salary read once for comparing with many floors: yearly amount and currency code."""

    yearly: float | None
    currency: str

    @classmethod
    def of(cls, salary: Salary | None) -> _Pay | None:
        return None if salary is None else cls(salary.yearly(), salary.currency.strip().upper())

    def passes(self, minimum: int, currency: str | None) -> bool:
        """`_salary_passes` for this salary."""
        if currency is not None and self.currency != currency:
            return False
        # A salary object with neither bound says nothing about pay: it passes as "no salary" does.
        return self.yearly is None or self.yearly >= minimum


def _discard(table: dict[Any, set[int]], key: object, number: int) -> None:
    numbers = table[key]
    numbers.discard(number)
    if not numbers:
        del table[key]


class AlertIndex:
    """Compiled alerts, indexed so that a posting meets only the alerts that could accept it.

    Alerts with equal filters (users' alerts repeat a lot) share one *entry*, tested once per posting and
    fanned out to every alert that has it. Each entry is filed under the terms of the group of its
    :func:`search_plan` estimated rarest by `stats` (a :class:`TermStatistics`, by default per-field
    guesses), and under each of those, by the terms of its second-rarest group (groups are ANDed, so any of
    them prunes soundly): a posting reaches an entry only through a pair of its own terms, one of each
    group. Then each key is decided by one C-level set operation where a set of terms says it exactly:
    every key but keywords of several tokens (in titles and location texts, phrases of up to
    `NGRAM_TOKENS` tokens are looked up as n-gram terms), and the one-token exclusions; freshness and salary
    are compared inline. Only what is left (see :func:`residual`) goes through :func:`matches`, and an entry
    with nothing left after its two filing groups is accepted without any per-entry work.
    :meth:`candidates` may return alerts that do not match; it never leaves out one that does.
    Alerts can be added and removed (:meth:`add`, :meth:`remove`) to follow changes.
    """

    def __init__(self, alerts: Iterable[CompiledAlert] = (), *, stats: TermStatistics | None = None) -> None:
        self.stats = stats or TermStatistics()
        self._reset()
        with collector_paused():
            for alert in alerts:
                self.add(alert)

    def _reset(self) -> None:
        self._alerts: list[CompiledAlert | None] = []  # by position, in the order added
        self._ids: list[str | None] = []  # alert id by position
        self._entry_of: list[int] = []  # entry number by position
        self._by_id: dict[str, list[int]] = {}
        self._entries: list[_Entry | None] = []
        self._by_filters: dict[AlertFilters, int] = {}
        self._direct: set[int] = set()  # entry numbers whose filing groups decide (but for the limits below)
        # Direct entries by freshness and by salary floor: per posting, each limit value is compared once and
        # the entries of a limit it fails are dropped with one set operation.
        self._by_within: dict[timedelta, set[int]] = {}
        self._by_salary: dict[tuple[int, str | None], set[int]] = {}
        self._repeated_ids = 0  # ids held by more than one alert (their filters are ORed)
        # first-group flat term -> second-group flat term ("" when none) -> entry numbers
        self._table: dict[str, dict[str, list[int]]] = {}
        # Every term that some entry is filed under or tests (with "", the filing of no second group): a
        # posting's terms outside it change no answer, so a posting's terms are cut down to it first. It only
        # grows (a stale term costs nothing) until the next rebuild.
        self._known: set[Term | str] = {""}
        # First tokens of the description pairs that some entry tests: only a posting's pairs that start with
        # one of them can meet a test, so only those are built (a description has hundreds of pairs).
        self._pair_heads: set[str] = set()
        self._unindexed: set[int] = set()
        self._size = 0
        self._shared: dict[frozenset[Term | str], frozenset[Term | str]] = {}  # see `_share`
        self._groups: dict[tuple[str, object], _Group] = {}  # (key, compiled value) -> group; see `_group`
        self._excluded: dict[tuple[object, bool], tuple[frozenset[Term | str], bool, bool]] = {}

    @property
    def alerts(self) -> list[CompiledAlert]:
        """The indexed alerts, in the order they were added."""
        return [alert for alert in self._alerts if alert is not None]

    def __len__(self) -> int:
        return self._size

    def add(self, alert: CompiledAlert) -> None:
        """Index one more alert (another alert with the same id is kept too: their filters are ORed)."""
        position = len(self._alerts)
        self._alerts.append(alert)
        self._ids.append(alert.alert_id)
        same_id = self._by_id.setdefault(alert.alert_id, [])
        same_id.append(position)
        self._repeated_ids += len(same_id) == 2
        self._size += 1
        number = self._by_filters.get(alert.filters)
        if number is None:
            number = self._by_filters[alert.filters] = self._file(alert)
        self._entry_of.append(number)
        entry = self._entries[number]
        assert entry is not None
        entry.owners.append(position)

    def _file(self, alert: CompiledAlert) -> int:
        number = len(self._entries)
        groups = sorted(((self._group(alert, key), key) for key in _group_keys(alert)), key=lambda item: item[0].cost)
        checks: list[frozenset[Term | str]] = []
        exact_keys: list[str] = []
        pairs = False
        for rank, (group, key) in enumerate(groups):
            exact = group.exact
            if exact is not None:
                exact_keys.append(key)
            if rank >= 2:
                # A later group: its exact set decides it; else its cover prunes and `matches` decides.
                checks.append(group.cover if exact is None else exact)
                pairs = pairs or group.pairs
            elif group.phrases:
                checks.append(group.exact)  # type: ignore[arg-type]  # a filing group of phrases: the phrases decide
                pairs = pairs or group.pairs
        excluded, exclusions_exact, excluded_pairs = self._exclusions(alert)
        # Something is left for `matches` only where a group or the exclusions are not said by terms exactly.
        residual = (
            _residual(alert, exact_keys, limits=False, exclusions=not exclusions_exact)
            if len(exact_keys) < len(groups) or not exclusions_exact
            else None
        )
        entry = _Entry(
            alert=alert,
            filed=groups[0][0].cover if groups else None,
            second=groups[1][0].cover if len(groups) > 1 else _NO_SECOND,
            checks=tuple(checks),
            excluded=excluded,
            pairs=pairs or excluded_pairs,
            within=alert.posted_within,
            salary_min=alert.salary_min,
            salary_currency=alert.salary_currency,
            residual=residual,
            owners=[],
        )
        self._entries.append(entry)
        if entry.direct:
            self._direct.add(number)
            if entry.within is not None:
                self._by_within.setdefault(entry.within, set()).add(number)
            if entry.salary_min is not None:
                self._by_salary.setdefault((entry.salary_min, entry.salary_currency), set()).add(number)
        if entry.filed is None:
            self._unindexed.add(number)
            return number
        for first in entry.filed:
            branch = self._table.setdefault(first, {})
            for term in entry.second:
                filed = branch.get(term)
                if filed is None:
                    branch[term] = [number]
                else:
                    filed.append(number)
        return number

    def _share(self, terms: frozenset[Term | str]) -> frozenset[Term | str]:
        # Entries share their term sets where equal (most are: the same cities, skills and companies recur),
        # which keeps the sets a posting meets few and hot in the CPU caches. Every set an entry is filed
        # under or tests passes through here, so here its terms become known.
        shared = self._shared.get(terms)
        if shared is None:
            shared = self._shared[terms] = terms
            self._known.update(terms)
        return shared

    def _paired(self, terms: frozenset[Term | str]) -> bool:
        # Whether `terms` holds description pairs; their first tokens become heads (see `_pairs_from`).
        heads = [term[0] for term in terms if isinstance(term, tuple)]
        self._pair_heads.update(heads)
        self._known.update(heads)
        return bool(heads)

    def _group(self, alert: CompiledAlert, key: str) -> _Group:
        """The search-plan group of `alert`'s `key`, made once per distinct value of that key (a city, a skill
        list, a company recur across many alerts)."""
        value = getattr(alert, key)
        group = self._groups.get((key, value))
        if group is None:
            query, _ = _plan_group(alert, key)
            cost, terms = _cover(query, self.stats)
            cover = _flat(terms)
            exact = _exact_cover(alert, key, cover)
            group = self._groups[(key, value)] = _Group(
                cost=cost,
                cover=self._share(cover),  # type: ignore[arg-type]
                exact=None if exact is None else self._share(exact),
                phrases=exact is not None and exact != cover,
                pairs=exact is not None and self._paired(exact),
            )
        return group

    def _exclusions(self, alert: CompiledAlert) -> tuple[frozenset[Term | str], bool, bool]:
        """`_exclusions(alert)` (terms, whether exact), made once per distinct exclusion list; and whether the
        terms hold description pairs."""
        value = (alert.exclude_keywords, alert.is_remote is False)
        known = self._excluded.get(value)
        if known is None:
            terms, exact = _exclusions(alert)
            known = self._excluded[value] = (self._share(terms), exact, self._paired(terms))
        return known

    def remove(self, alert_id: str) -> int:
        """Drop every alert with `alert_id`; returns how many were dropped."""
        positions = self._by_id.pop(alert_id, [])
        self._repeated_ids -= len(positions) > 1
        for position in positions:
            self._alerts[position] = None
            self._ids[position] = None
            self._size -= 1
            number = self._entry_of[position]
            entry = self._entries[number]
            assert entry is not None
            entry.owners.remove(position)
            if not entry.owners:
                self._unfile(number, entry)
        # Slots of removed alerts are reused by no one; rebuild when most of the list is holes.
        if len(self._alerts) > 64 and self._size < len(self._alerts) // 2:
            alerts = self.alerts
            self._reset()
            with collector_paused():
                for alert in alerts:
                    self.add(alert)
        return len(positions)

    def _unfile(self, number: int, entry: _Entry) -> None:
        self._entries[number] = None
        del self._by_filters[entry.alert.filters]
        self._direct.discard(number)
        if entry.direct and entry.within is not None:
            _discard(self._by_within, entry.within, number)
        if entry.direct and entry.salary_min is not None:
            _discard(self._by_salary, (entry.salary_min, entry.salary_currency), number)
        if entry.filed is None:
            self._unindexed.discard(number)
            return
        for first in entry.filed:
            branch = self._table[first]
            for term in entry.second:
                filed = branch[term]
                filed.remove(number)
                if not filed:
                    del branch[term]
            if not branch:
                del self._table[first]

    def _found(self, terms: set[Term | str]) -> set[int]:
        """The entries reached through a pair of the posting's terms (`terms`: its `_index_terms`)."""
        found = set(self._unindexed)
        table = self._table
        # Both sides are hashed: each intersection walks the smaller side in C.
        for first in table.keys() & terms:
            branch = table[first]
            for term in branch.keys() & terms:
                found.update(branch[term])
        return found

    def _accepted(self, posting: PreparedPosting, *, now: datetime | None) -> list[int]:
        """Positions of the alerts whose entries pass every set test (and, with `now`, every other test),
        ascending."""
        terms = _index_terms(posting, self._known)
        found = self._found(terms)
        if not found:
            return []
        direct = found & self._direct
        posted_at, salary = posting.posted_at, posting.salary
        age = None if now is None or posted_at is None else _aware(now) - posted_at
        pay = _Pay.of(salary)
        accepted = direct
        if accepted and now is not None:
            if age is not None:
                for within, numbers in self._by_within.items():
                    if age > within:
                        accepted = accepted - numbers  # walks `accepted`, the smaller set
            if pay is not None:
                for (floor, currency), numbers in self._by_salary.items():
                    if not pay.passes(floor, currency):
                        accepted = accepted - numbers
        entries = self._entries
        positions: list[int] = []
        for number in accepted:
            positions += entries[number].owners  # type: ignore[union-attr]
        paired = False
        for number in found - direct:
            entry = entries[number]
            if entry is None:
                continue
            if entry.pairs and not paired:
                # The heads are known terms, so those in the description are among the posting's terms.
                terms.update(_pairs_from(posting.description, self._pair_heads.intersection(terms)))
                paired = True
            if not entry.excluded.isdisjoint(terms):
                continue
            for check in entry.checks:
                if check.isdisjoint(terms):
                    break
            else:
                if now is not None:
                    if entry.within is not None and age is not None and age > entry.within:
                        continue
                    minimum = entry.salary_min
                    if minimum is not None and pay is not None and not pay.passes(minimum, entry.salary_currency):
                        continue
                    if entry.residual is not None and not matches(posting, entry.residual, now=now):
                        continue
                positions += entry.owners
        positions.sort()
        return positions

    def candidates(self, posting: PreparedPosting) -> list[CompiledAlert]:
        """The alerts that may accept `posting`, each once, in the order they were added."""
        return [self._alerts[position] for position in self._accepted(posting, now=None)]  # type: ignore[misc]

    def match(self, posting: PreparedPosting, *, now: datetime) -> list[str]:
        """The ids of the alerts that accept `posting` (each once, in the order they were added)."""
        return self._ids_of(self._accepted(posting, now=now))

    def _ids_of(self, positions: list[int]) -> list[str]:
        ids = map(self._ids.__getitem__, positions)
        # Positions are distinct; so are their ids unless some id is held by several alerts.
        return list(dict.fromkeys(ids) if self._repeated_ids else ids)  # type: ignore[arg-type]


#: How many postings `match_all` reads ahead to estimate how rare each term is.
SAMPLE_SIZE = 1000
#: How many postings `match_all` matches between two runs of yielding their pairs.
MATCH_CHUNK = 100


def match_all(
    postings: Iterable[Posting],
    alerts: Iterable[tuple[str, AlertFilters]],
    *,
    now: datetime,
) -> Iterator[tuple[str, str]]:
    """Yield `(alert_id, posting.id)` for every pair where :func:`matches` holds, never the same pair twice.

    `alerts` is read once, up front; `postings` is streamed, each tokenized once, through an
    :class:`AlertIndex` whose term statistics come from the first `SAMPLE_SIZE` postings (read ahead; an
    error raised while reading them surfaces after the pairs of the postings before it). Every posting must
    have an `id` (ValueError otherwise). Alerts that share an id act as one alert whose filter sets are ORed;
    a repeated posting id yields only alert ids not yet yielded for it (which keeps the alert ids yielded
    per posting id in memory). Cost grows with the candidates each posting meets, not alerts x postings.
    """
    stream = iter(postings)
    sample: list[PreparedPosting] = []
    failure: BaseException | None = None
    with collector_paused():
        compiled = compile_alerts(alerts)
        try:
            for posting in stream:
                sample.append(_prepare_with_id(posting))
                if len(sample) >= SAMPLE_SIZE:
                    break
        except Exception as error:  # re-raised below, after the pairs of the postings read before it
            failure = error
        index = AlertIndex(compiled, stats=TermStatistics(sample))
        del compiled
    # The alert ids yielded per posting id: the list `match` returned, made a set only if the id repeats.
    yielded: dict[str, list[str] | set[str]] = {}

    def emit(posting_id: str, hits: list[str]) -> Iterator[tuple[str, str]]:
        done = yielded.get(posting_id)
        if done is None:
            yielded[posting_id] = hits
        else:
            if isinstance(done, list):
                done = yielded[posting_id] = set(done)
            hits = [alert_id for alert_id in hits if alert_id not in done]
            done.update(hits)
        return zip(hits, repeat(posting_id))

    # Postings are matched a chunk at a time with the collector paused; the pairs are yielded outside, so
    # the caller's code runs as it would.
    with collector_paused():
        chunk = [(prepared.id or "", index.match(prepared, now=now)) for prepared in sample]
    del sample
    with _heap_frozen():
        while True:
            for posting_id, hits in chunk:
                yield from emit(posting_id, hits)
            if failure is not None:
                raise failure
            with collector_paused():
                chunk = []
                try:
                    for posting in islice(stream, MATCH_CHUNK):
                        prepared = _prepare_with_id(posting)
                        chunk.append((prepared.id or "", index.match(prepared, now=now)))
                except Exception as error:  # re-raised above, after the pairs of the postings before it
                    failure = error
            if not chunk and failure is None:
                return


@contextmanager
def _heap_frozen() -> Iterator[None]:
    # While `match_all` streams its pairs, the caller keeps collecting them (millions at 100K alerts), and
    # each time they grow the heap by a quarter the collector walks all of it, the index's hundreds of
    # thousands of sets included. `gc.freeze` sets what exists now aside from those walks until the end;
    # nothing is lost (frozen garbage is collected after `gc.unfreeze`). Left alone if someone else froze.
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def compile_alerts(alerts: Iterable[tuple[str, AlertFilters]]) -> list[CompiledAlert]:
    """:func:`compile_alert` over `(alert_id, filters)` pairs, compiling equal filters once (users' alerts
    repeat a lot); the copies differ only in `alert_id`."""
    compiled: list[CompiledAlert] = []
    known: dict[AlertFilters, CompiledAlert] = {}
    with collector_paused():
        for alert_id, filters in alerts:
            alert = known.get(filters)
            if alert is None:
                alert = known[filters] = compile_alert(alert_id, filters)
            elif alert.alert_id != alert_id:
                alert = replace(alert, alert_id=alert_id)
            compiled.append(alert)
    return compiled


def _prepare_with_id(posting: Posting) -> PreparedPosting:
    if posting.id is None:
        raise ValueError(f"posting {posting.source}:{posting.external_id} has no id")
    return prepare(posting)

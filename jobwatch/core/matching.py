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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jobwatch.core.filters import AlertFilters
from jobwatch.core.geo import country_names
from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.core.text import fold_key, tokenize

__all__ = [
    "AlertIndex",
    "CompiledAlert",
    "CompiledKeyword",
    "LocationMatcher",
    "PreparedLocation",
    "PreparedPosting",
    "PreparedText",
    "compile_alert",
    "compile_keyword",
    "compile_location",
    "match_all",
    "matches",
    "prepare",
]

# Straight, curly and fullwidth double quotes: a keyword wrapped in any of them is an exact phrase.
_OPENING_QUOTES = '"“”„‟＂'
_CLOSING_QUOTES = '"”“‟＂'
_PLURAL_SUFFIXES = ("s", "es")
_REMOTE = "remote"


class PreparedText:
    """One text (a title, a description, a location's raw text) as its tokens.

    `tokens` is the token tuple in order; `vocabulary` the set of distinct tokens (for the single-token
    keywords that are most alerts, a set lookup decides). The token positions that multi-token keywords need
    are built on first use, since most texts never meet one.
    """

    __slots__ = ("_positions", "tokens", "vocabulary")

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens: tuple[str, ...] = tuple(tokens)
        self.vocabulary: frozenset[str] = frozenset(self.tokens)
        self._positions: dict[str, list[int]] | None = None

    @classmethod
    def of(cls, text: str | None) -> PreparedText:
        """Tokenize `text` (None is an empty text)."""
        return cls(tokenize(text) if text else ())

    def positions(self, token: str) -> Sequence[int]:
        """Ascending indexes in `tokens` where `token` stands (empty when it does not occur)."""
        if self._positions is None:
            table: dict[str, list[int]] = {}
            for index, item in enumerate(self.tokens):
                table.setdefault(item, []).append(index)
            self._positions = table
        return self._positions.get(token, ())


@dataclass(frozen=True, slots=True)
class CompiledKeyword:
    """A keyword as a token sequence (CONTRACT section 3, "Occurs").

    `tokens` is non-empty. `phrase` is True for a keyword typed in double quotes, which turns the plural rule
    off; otherwise `last_forms` holds the last token and the same plus "s" and "es".
    """

    text: str
    tokens: tuple[str, ...]
    phrase: bool
    last_forms: frozenset[str]

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
        tokens = text.tokens
        middle = self.tokens[1:-1]
        for start in text.positions(first):
            end = start + count - 1
            if end >= len(tokens):
                break
            if tokens[end] in self.last_forms and tokens[start + 1 : end] == middle:
                return True
        return False


def _unquote(text: str) -> tuple[str, bool]:
    """`text` trimmed, without its surrounding double quotes if it has them, and whether it had them."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] in _OPENING_QUOTES and stripped[-1] in _CLOSING_QUOTES:
        return stripped[1:-1], True
    return stripped, False


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
    return CompiledKeyword(text=keyword, tokens=tokens, phrase=phrase, last_forms=forms)


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

    def matches_location(self, location: PreparedLocation) -> bool:
        """Whether this filter string matches one posting location."""
        key = self.key
        if key == location.city or key == location.region or key == location.country:
            return True
        if key in location.country_names:
            return True
        return self.keyword.occurs_in(location.raw)


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


def _aware(moment: datetime) -> datetime:
    # Postings and `--now` are UTC by CONTRACT; a naive datetime from a caller is read as UTC, not local time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def prepare(posting: Posting) -> PreparedPosting:
    """Tokenize and fold `posting` once (CONTRACT section 2 fields read: title, description_text, company,
    source, board, department, team, locations, workplace, employment_type, salary, posted_at)."""
    company_keys: set[str] = set()
    if posting.company:
        company_keys.add(fold_key(posting.company))
    if posting.board:
        company_keys.add(fold_key(posting.board))
        company_keys.add(fold_key(f"{posting.source}:{posting.board}"))
    department_keys = {fold_key(value) for value in (posting.department, posting.team) if value}
    return PreparedPosting(
        id=posting.id,
        title=PreparedText.of(posting.title),
        description=PreparedText.of(posting.description_text),
        company_keys=frozenset(company_keys),
        department_keys=frozenset(department_keys),
        locations=tuple(PreparedLocation.of(location) for location in posting.locations),
        workplace=posting.workplace,
        employment_type=posting.employment_type,
        salary=posting.salary,
        posted_at=_aware(posting.posted_at) if posting.posted_at is not None else None,
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


def _keywords(values: Iterable[str]) -> tuple[CompiledKeyword, ...]:
    return tuple(compile_keyword(value) for value in values)


def compile_alert(alert_id: str, filters: AlertFilters) -> CompiledAlert:
    """Compile one alert's validated filters (from `parse_filters`) for :func:`matches`.

    Raises ValueError for a keyword or location without a token, which `parse_filters` refuses.
    """
    locations = tuple(compile_location(value) for value in filters.locations)
    days = filters.min_posted_days_ago
    return CompiledAlert(
        alert_id=alert_id,
        filters=filters,
        keywords=_keywords(filters.keywords),
        title_keywords=_keywords(filters.title_keywords),
        exclude_keywords=_keywords(filters.exclude_keywords),
        companies=frozenset(fold_key(value) for value in filters.companies),
        departments=frozenset(fold_key(value) for value in filters.departments),
        locations=locations,
        location_remote=any(matcher.remote for matcher in locations),
        employment_types=frozenset(filters.employment_types),
        is_remote=filters.is_remote,
        posted_within=timedelta(days=days) if days is not None else None,
        salary_min=filters.salary_min,
        salary_currency=filters.salary_currency.upper() if filters.salary_currency else None,
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
    if alert.location_remote and posting.workplace == _REMOTE:
        return True
    return any(matcher.matches_location(location) for matcher in alert.locations for location in posting.locations)


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
    if alert.title_keywords and not any(keyword.occurs_in(title) for keyword in alert.title_keywords):
        return False
    if alert.keywords and not any(
        keyword.occurs_in(title) or keyword.occurs_in(description) for keyword in alert.keywords
    ):
        return False
    return not any(keyword.occurs_in(title) or keyword.occurs_in(description) for keyword in alert.exclude_keywords)


class AlertIndex:
    """Compiled alerts, indexed so that a posting meets only the alerts that could accept it.

    Each alert is filed under one of its required keys (keys are ANDed, so any one of them prunes soundly):
    its companies when it has some (very selective), else the tokens its title keywords need in the title,
    else the tokens its keywords need in the title or description, else its departments. Alerts with none
    of those (locations only) are tested against every posting. :meth:`candidates` may return alerts that
    do not match; it never leaves out one that does.
    """

    def __init__(self, alerts: Iterable[CompiledAlert]) -> None:
        self.alerts: list[CompiledAlert] = list(alerts)
        self._by_company: dict[str, list[int]] = {}
        self._by_title_token: dict[str, list[int]] = {}
        self._by_token: dict[str, list[int]] = {}
        self._by_department: dict[str, list[int]] = {}
        self._unindexed: list[int] = []
        for position, alert in enumerate(self.alerts):
            if alert.companies:
                self._file(self._by_company, alert.companies, position)
            elif alert.title_keywords:
                keys = frozenset().union(*(keyword.index_keys() for keyword in alert.title_keywords))
                self._file(self._by_title_token, keys, position)
            elif alert.keywords:
                keys = frozenset().union(*(keyword.index_keys() for keyword in alert.keywords))
                self._file(self._by_token, keys, position)
            elif alert.departments:
                self._file(self._by_department, alert.departments, position)
            else:
                self._unindexed.append(position)

    @staticmethod
    def _file(table: dict[str, list[int]], keys: Iterable[str], position: int) -> None:
        for key in keys:
            table.setdefault(key, []).append(position)

    @staticmethod
    def _collect(table: Mapping[str, list[int]], keys: Iterable[str], into: set[int]) -> None:
        if not table:
            return
        for key in keys:
            found = table.get(key)
            if found:
                into.update(found)

    def candidates(self, posting: PreparedPosting) -> list[CompiledAlert]:
        """The alerts that may accept `posting`, each once, in the order they were given."""
        found: set[int] = set(self._unindexed)
        self._collect(self._by_company, posting.company_keys, found)
        self._collect(self._by_department, posting.department_keys, found)
        self._collect(self._by_title_token, posting.title.vocabulary, found)
        if self._by_token:
            self._collect(self._by_token, posting.title.vocabulary, found)
            self._collect(self._by_token, posting.description.vocabulary, found)
        return [self.alerts[position] for position in sorted(found)]


def match_all(
    postings: Iterable[Posting], alerts: Iterable[tuple[str, AlertFilters]], *, now: datetime
) -> Iterator[tuple[str, str]]:
    """Yield `(alert_id, posting.id)` for every pair where :func:`matches` holds, never the same pair twice.

    `alerts` is read once, up front; `postings` is streamed, each tokenized once. Every posting must have an
    `id` (ValueError otherwise). Alerts that share an id act as one alert whose filter sets are ORed; a
    repeated posting id yields only alert ids not yet yielded for it (which keeps the set of yielded alert
    ids per posting id in memory).
    """
    index = AlertIndex(compile_alert(alert_id, filters) for alert_id, filters in alerts)
    yielded: dict[str, set[str]] = {}
    for posting in postings:
        if posting.id is None:
            raise ValueError(f"posting {posting.source}:{posting.external_id} has no id")
        prepared = prepare(posting)
        done = yielded.get(posting.id)
        hits: set[str] = set()
        for alert in index.candidates(prepared):
            alert_id = alert.alert_id
            if alert_id in hits or (done is not None and alert_id in done):
                continue
            if matches(prepared, alert, now=now):
                hits.add(alert_id)
                yield alert_id, posting.id
        if hits:
            if done is None:
                yielded[posting.id] = hits
            else:
                done.update(hits)

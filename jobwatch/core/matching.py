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

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
    "compile_alert",
    "compile_keyword",
    "compile_location",
    "document_tokens",
    "encode_term",
    "flat_terms",
    "match_all",
    "matches",
    "plan_fits_documents",
    "posting_terms",
    "prepare",
    "search_document",
    "search_plan",
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
    #: Every location's city, region, country code and country names, and every raw-text token: a filter
    #: string of one token matches some location exactly when it meets one of these sets.
    location_keys: frozenset[str] = frozenset()
    location_vocabulary: frozenset[str] = frozenset()


def _aware(moment: datetime) -> datetime:
    # Postings and `--now` are UTC by CONTRACT; a naive datetime from a caller is read as UTC, not local time.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def prepare(posting: Posting, *, document: str | None = None) -> PreparedPosting:
    """Tokenize and fold `posting` once (CONTRACT section 2 fields read: title, description_text, company,
    source, board, department, team, locations, workplace, employment_type, salary, posted_at).

    With `document` (the posting's stored :func:`search_document`), title and description tokens are read
    from it instead of tokenizing `title` and `description_text` again, which is several times faster.
    """
    company_keys: set[str] = set()
    if posting.company:
        company_keys.add(fold_key(posting.company))
    if posting.board:
        company_keys.add(fold_key(posting.board))
        company_keys.add(fold_key(f"{posting.source}:{posting.board}"))
    department_keys = {fold_key(value) for value in (posting.department, posting.team) if value}
    title_tokens: list[str] | None = None
    description_tokens: list[str] | None = None
    if document is not None:
        title_tokens, description_tokens = document_tokens(document)
    locations = tuple(PreparedLocation.of(location) for location in posting.locations)
    location_keys: set[str] = set()
    location_vocabulary: set[str] = set()
    for location in locations:
        location_keys.update(key for key in (location.city, location.region, location.country) if key)
        location_keys.update(location.country_names)
        location_vocabulary.update(location.raw.vocabulary)
    return PreparedPosting(
        id=posting.id,
        title=PreparedText.of(posting.title) if title_tokens is None else PreparedText(title_tokens),
        description=(
            PreparedText.of(posting.description_text)
            if description_tokens is None
            else PreparedText(description_tokens)
        ),
        company_keys=frozenset(company_keys),
        department_keys=frozenset(department_keys),
        locations=locations,
        workplace=posting.workplace,
        employment_type=posting.employment_type,
        salary=posting.salary,
        posted_at=_aware(posting.posted_at) if posting.posted_at is not None else None,
        location_keys=frozenset(location_keys),
        location_vocabulary=frozenset(location_vocabulary),
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


def _keywords(values: Iterable[str]) -> tuple[CompiledKeyword, ...]:
    return tuple(compile_keyword(value) for value in values)


def compile_alert(alert_id: str, filters: AlertFilters) -> CompiledAlert:
    """Compile one alert's validated filters (from `parse_filters`) for :func:`matches`.

    Raises ValueError for a keyword or location without a token, which `parse_filters` refuses.
    """
    locations = tuple(compile_location(value) for value in filters.locations)
    days = filters.min_posted_days_ago
    keywords = _keywords(filters.keywords)
    title_keywords = _keywords(filters.title_keywords)
    exclude_keywords = _keywords(filters.exclude_keywords)
    keyword_forms, keyword_phrases = _split(keywords)
    title_forms, title_phrases = _split(title_keywords)
    exclude_forms, exclude_phrases = _split(exclude_keywords)
    location_forms, location_phrases = _split([matcher.keyword for matcher in locations])
    return CompiledAlert(
        alert_id=alert_id,
        filters=filters,
        keywords=keywords,
        title_keywords=title_keywords,
        exclude_keywords=exclude_keywords,
        companies=frozenset(fold_key(value) for value in filters.companies),
        departments=frozenset(fold_key(value) for value in filters.departments),
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
        location_keys=frozenset(matcher.key for matcher in locations),
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


def search_plan(alert: CompiledAlert) -> SearchPlan:
    """The :class:`SearchPlan` of a compiled alert: one group per set list key (keywords, title_keywords,
    companies, departments, locations, employment_types) plus `is_remote: true`."""
    groups: list[SearchQuery] = []
    if alert.keywords:
        groups.append(
            _or(
                _keyword_query(keyword, field)
                for keyword in alert.keywords
                for field in (FIELD_TITLE, FIELD_DESCRIPTION)
            )
        )
    if alert.title_keywords:
        groups.append(_or(_keyword_query(keyword, FIELD_TITLE) for keyword in alert.title_keywords))
    if alert.companies:
        groups.append(_or((FIELD_COMPANY, key) for key in sorted(alert.companies)))
    if alert.departments:
        groups.append(_or((FIELD_DEPARTMENT, key) for key in sorted(alert.departments)))
    if alert.locations:
        options: list[SearchQuery] = []
        for matcher in alert.locations:
            options.append((FIELD_LOCATION, matcher.key))
            options.append(_keyword_query(matcher.keyword, FIELD_LOCATION_TEXT))
            if matcher.remote:
                options.append((FIELD_WORKPLACE, _REMOTE))
        groups.append(_or(options))
    if alert.employment_types:
        groups.append(_or((FIELD_EMPLOYMENT, value) for value in sorted(alert.employment_types)))
    if alert.is_remote:
        groups.append((FIELD_WORKPLACE, _REMOTE))
    excluded: list[Term] = []
    for keyword in alert.exclude_keywords:
        # Only a one-token keyword is excluded by one term; a phrase needs its tokens in order, which terms
        # cannot say, so it is left to `matches()`.
        if len(keyword.tokens) == 1:
            excluded.extend((field, form) for form in sorted(keyword.last_forms) for field in ("t", "d"))
    if alert.is_remote is False:
        excluded.append((FIELD_WORKPLACE, _REMOTE))
    return SearchPlan(groups=tuple(groups), excluded=tuple(dict.fromkeys(excluded)))


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
_UNESCAPES = {code: char for char, code in _ESCAPES.items()}
_UNSAFE_RE = re.compile(r"[^a-wyz0-9]")
_ESCAPED_RE = re.compile(r"x(?:u([0-9a-f]{6})|([xphdsz]))")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return _ESCAPES.get(char) or f"xu{ord(char):06x}"


def _unescape_char(match: re.Match[str]) -> str:
    code, short = match.groups()
    if code is not None:
        return chr(int(code, 16))
    return _PLACEHOLDER if short == "z" else _UNESCAPES["x" + short]


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


def _document_tokens(document: str, field: str) -> list[str]:
    words = document.split(" ")
    # The words of one field are contiguous; slicing them out and stripping the letter stays in C code.
    selected = [word[1:] for word in words if word[:1] == field]
    if not selected:
        return []
    text = " ".join(selected)
    if "x" in text:
        text = _ESCAPED_RE.sub(_unescape_char, text)
    return text.split(" ")


def document_tokens(document: str) -> tuple[list[str], list[str]]:
    """The title tokens and description tokens stored in a search document, in order (a token longer than
    `SEARCH_VALUE_LIMIT` comes back as a placeholder that no keyword matches)."""
    return _document_tokens(document, FIELD_TITLE), _document_tokens(document, FIELD_DESCRIPTION)


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
        counts: dict[str, dict[str, int]] = {field: {} for field in SEARCH_FIELDS}
        size = 0
        for posting in sample:
            size += 1
            for field, values in posting_terms(posting).items():
                table = counts[field]
                for value in values:
                    table[value] = table.get(value, 0) + 1
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


def _flat(terms: Iterable[Term]) -> frozenset[str]:
    return frozenset(field + value for field, value in terms)


def flat_terms(posting: PreparedPosting) -> frozenset[str]:
    """Every term of `posting` as one string, field letter + value (for one C-level set test per group)."""
    flat: set[str] = set()
    for field, values in posting_terms(posting).items():
        flat.update([field + value for value in values])
    return frozenset(flat)


@dataclass(frozen=True, slots=True)
class _Entry:
    alert: CompiledAlert
    filed: frozenset[Term] | None  # None: not filed under any term (tested against every posting)
    second: frozenset[str]  # the second-rarest group's cover, flat ("" alone when there is none)
    checks: tuple[frozenset[str], ...]  # the other groups' covers, flat: each must meet the posting's terms
    excluded: frozenset[str]  # flat terms whose presence refuses the posting


_NO_SECOND = frozenset(("",))


class AlertIndex:
    """Compiled alerts, indexed so that a posting meets only the alerts that could accept it.

    Each alert is filed under the terms of the group of its :func:`search_plan` estimated rarest by `stats`
    (a :class:`TermStatistics`, by default per-field guesses), and under each of those, by the terms of its
    second-rarest group (groups are ANDed, so any of them prunes soundly): a posting reaches an alert only
    through a pair of its own terms, one of each group. The alert's other groups and exclusions are then
    tested with one C-level set operation each; only the survivors meet :func:`matches`, which decides.
    :meth:`candidates` may return alerts that do not match; it never leaves out one that does.
    Alerts can be added and removed (:meth:`add`, :meth:`remove`) to follow changes.
    """

    def __init__(self, alerts: Iterable[CompiledAlert] = (), *, stats: TermStatistics | None = None) -> None:
        self.stats = stats or TermStatistics()
        self._entries: list[_Entry | None] = []
        self._by_id: dict[str, list[int]] = {}
        # field -> first-group value -> second-group flat term ("" when none) -> positions
        self._tables: dict[str, dict[str, dict[str, list[int]]]] = {field: {} for field in SEARCH_FIELDS}
        self._unindexed: list[int] = []
        self._size = 0
        for alert in alerts:
            self.add(alert)

    @property
    def alerts(self) -> list[CompiledAlert]:
        """The indexed alerts, in the order they were added."""
        return [entry.alert for entry in self._entries if entry is not None]

    def __len__(self) -> int:
        return self._size

    def add(self, alert: CompiledAlert) -> None:
        """Index one more alert (another alert with the same id is kept too: their filters are ORed)."""
        position = len(self._entries)
        plan = search_plan(alert)
        covers = sorted((_cover(group, self.stats) for group in plan.groups), key=lambda item: item[0])
        filed = covers[0][1] if covers else None
        second = _flat(covers[1][1]) if len(covers) > 1 else _NO_SECOND
        checks = tuple(_flat(terms) for _, terms in covers[2:])
        entry = _Entry(alert, filed, second, checks, _flat(plan.excluded))
        self._entries.append(entry)
        self._by_id.setdefault(alert.alert_id, []).append(position)
        self._size += 1
        if filed is None:
            self._unindexed.append(position)
            return
        for field, value in filed:
            branch = self._tables[field].setdefault(value, {})
            for term in second:
                branch.setdefault(term, []).append(position)

    def remove(self, alert_id: str) -> int:
        """Drop every alert with `alert_id`; returns how many were dropped."""
        positions = self._by_id.pop(alert_id, [])
        for position in positions:
            entry = self._entries[position]
            assert entry is not None
            self._entries[position] = None
            self._size -= 1
            if entry.filed is None:
                self._unindexed.remove(position)
                continue
            for field, value in entry.filed:
                table = self._tables[field]
                branch = table[value]
                for term in entry.second:
                    filed = branch[term]
                    filed.remove(position)
                    if not filed:
                        del branch[term]
                if not branch:
                    del table[value]
        # Slots of removed alerts are reused by no one; rebuild when most of the list is holes.
        if len(self._entries) > 64 and self._size < len(self._entries) // 2:
            self._compact()
        return len(positions)

    def _compact(self) -> None:
        alerts = self.alerts
        self._entries, self._by_id, self._unindexed, self._size = [], {}, [], 0
        self._tables = {field: {} for field in SEARCH_FIELDS}
        for alert in alerts:
            self.add(alert)

    def candidates(self, posting: PreparedPosting) -> list[CompiledAlert]:
        """The alerts that may accept `posting`, each once, in the order they were added."""
        branches: list[dict[str, list[int]]] = []
        for field, values in posting_terms(posting).items():
            table = self._tables[field]
            if not table:
                continue
            if len(values) > len(table):
                # A long description against a small table: walk the table instead.
                branches.extend(branch for value, branch in table.items() if value in values)
            else:
                branches.extend(branch for branch in map(table.get, values) if branch)
        found: set[int] = set(self._unindexed)
        if branches:
            flat = flat_terms(posting) | _NO_SECOND
            for branch in branches:
                # Both sides are hashed: the intersection walks the smaller one in C.
                for term in branch.keys() & flat:
                    found.update(branch[term])
        if not found:
            return []
        if not branches:
            flat = flat_terms(posting)
        entries = self._entries
        result = []
        for position in sorted(found):
            entry = entries[position]
            if entry is None or not entry.excluded.isdisjoint(flat):
                continue
            for check in entry.checks:
                if check.isdisjoint(flat):
                    break
            else:
                result.append(entry.alert)
        return result

    def match(self, posting: PreparedPosting, *, now: datetime) -> list[str]:
        """The ids of the alerts that accept `posting` (each once, in the order they were added)."""
        hits: dict[str, None] = {}
        for alert in self.candidates(posting):
            if alert.alert_id not in hits and matches(posting, alert, now=now):
                hits[alert.alert_id] = None
        return list(hits)


#: How many postings `match_all` reads ahead to estimate how rare each term is.
SAMPLE_SIZE = 1000


def match_all(
    postings: Iterable[Posting], alerts: Iterable[tuple[str, AlertFilters]], *, now: datetime
) -> Iterator[tuple[str, str]]:
    """Yield `(alert_id, posting.id)` for every pair where :func:`matches` holds, never the same pair twice.

    `alerts` is read once, up front; `postings` is streamed, each tokenized once, through an
    :class:`AlertIndex` whose term statistics come from the first `SAMPLE_SIZE` postings (read ahead; an
    error raised while reading them surfaces after the pairs of the postings before it). Every posting must
    have an `id` (ValueError otherwise). Alerts that share an id act as one alert whose filter sets are ORed;
    a repeated posting id yields only alert ids not yet yielded for it (which keeps the set of yielded alert
    ids per posting id in memory). Cost grows with the candidates each posting meets, not alerts x postings.
    """
    compiled = [compile_alert(alert_id, filters) for alert_id, filters in alerts]
    stream = iter(postings)
    sample: list[PreparedPosting] = []
    failure: BaseException | None = None
    try:
        for posting in stream:
            sample.append(_prepare_with_id(posting))
            if len(sample) >= SAMPLE_SIZE:
                break
    except Exception as error:  # re-raised below, after the pairs of the postings read before it
        failure = error
    index = AlertIndex(compiled, stats=TermStatistics(sample))
    yielded: dict[str, set[str]] = {}

    def run(prepared: PreparedPosting) -> Iterator[tuple[str, str]]:
        posting_id = prepared.id
        assert posting_id is not None
        done = yielded.get(posting_id)
        hits = [alert_id for alert_id in index.match(prepared, now=now) if done is None or alert_id not in done]
        if hits:
            if done is None:
                yielded[posting_id] = set(hits)
            else:
                done.update(hits)
        for alert_id in hits:
            yield alert_id, posting_id

    for prepared in sample:
        yield from run(prepared)
    del sample
    if failure is not None:
        raise failure
    for posting in stream:
        yield from run(_prepare_with_id(posting))


def _prepare_with_id(posting: Posting) -> PreparedPosting:
    if posting.id is None:
        raise ValueError(f"posting {posting.source}:{posting.external_id} has no id")
    return prepare(posting)

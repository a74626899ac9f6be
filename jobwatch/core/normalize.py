"""Field normalizers every source adapter shares: text, HTML, URLs, dates, places, job types and pay.

Each helper turns one raw value as a job board delivers it into the CONTRACT section 2 form of that
field, and returns None (or an empty result) when the value says nothing usable: adapters never
guess. This module is part of the pure core: it imports no HTTP client, web framework, queue or
database code, only `nh3` (HTML sanitizing), `pycountry` (ISO 3166 / 4217) and `python-dateutil`.

Entities are decoded exactly once everywhere: a source that double-escapes (Greenhouse `content`)
is unescaped by its adapter before these helpers see the HTML, never by decoding in a loop, so a
literal "&amp;" that an author really typed stays visible as "&amp;" after one decode.
"""

from __future__ import annotations

import html
import re
import unicodedata
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit, urlunsplit

import nh3
import pycountry
from dateutil import parser as dateutil_parser

from jobwatch.core.postings import Location, Salary

__all__ = [
    "clean_text",
    "clean_url",
    "country_code",
    "detect_workplace",
    "html_to_text",
    "normalize_employment_type",
    "normalize_salary_period",
    "parse_amount",
    "parse_datetime",
    "parse_location",
    "parse_salary",
    "plain_to_html",
    "sanitize_html",
    "split_locations",
]

# --------------------------------------------------------------------------------------------------
# Text and HTML
# --------------------------------------------------------------------------------------------------

# Breaks: 1 = new line, 2 = blank line (paragraph).
_LINE_TAGS = frozenset({"br", "li", "tr", "dt", "dd", "option"})
_PARAGRAPH_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "details", "div", "dl", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "ul",
    }
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
# Their content is never reader-visible text.
_SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title", "iframe", "object", "svg"})
_VOID_TAGS = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "area", "base", "col", "source"})
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"\s+")

# Tag-shaped text left after the single entity decode (a title sent as "&lt;b&gt;New&lt;/b&gt;").
# Only real HTML element names count, so "C++ <Senior>" or "a < b" survive.
_HTML_ELEMENTS = (
    "a|abbr|b|big|blockquote|body|br|button|center|code|div|em|font|form|h[1-6]|head|hr|html|i|iframe|img|"
    "input|label|li|link|meta|object|ol|p|pre|s|script|small|span|strike|strong|style|sub|sup|svg|table|"
    "tbody|td|th|thead|title|tr|u|ul"
)
_TAG_TEXT = re.compile(rf"</?(?:{_HTML_ELEMENTS})(?:\s[^<>]*)?/?>", re.IGNORECASE)


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML fragment; block elements become line breaks."""

    def __init__(self, *, single_line: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.single_line = single_line
        self.lines: list[str] = []
        self.current: list[str] = []
        self.pending_break = 0
        self.pending_bullet = False
        self.skip_depth = 0
        self.item_depth = 0

    def _request_break(self, level: int) -> None:
        self.pending_break = max(self.pending_break, level)

    def _flush(self) -> None:
        line = _SPACES.sub(" ", "".join(self.current)).strip()
        self.current = []
        if line:
            self.lines.append(line)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            if tag not in _VOID_TAGS:
                self.skip_depth += 1
            return
        if tag == "li":
            self._request_break(1)
            self.pending_bullet = True
            self.item_depth += 1
        elif tag in _LINE_TAGS:
            self._request_break(1)
        elif tag in _PARAGRAPH_TAGS:
            # Paragraphs inside a list item (`<li><p>..</p></li>`) keep the list compact.
            self._request_break(1 if self.item_depth else 2)
        elif tag in _CELL_TAGS:
            self.current.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "li":
            self.item_depth = max(0, self.item_depth - 1)
            self._request_break(1)
        elif tag in _LINE_TAGS:
            self._request_break(1)
        elif tag in _PARAGRAPH_TAGS:
            self._request_break(1 if self.item_depth and tag not in ("ul", "ol") else 2)
        elif tag in _CELL_TAGS:
            self.current.append(" ")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        data = data.translate(_INVISIBLE)
        if not data.strip():
            if self.current:
                self.current.append(" ")
            return
        if self.pending_break and (self.current or self.lines):
            self._flush()
            if self.pending_break == 2 and self.lines and not self.single_line:
                self.lines.append("")
        self.pending_break = 0
        if self.pending_bullet and not self.single_line:
            self.current.append("- ")
        self.pending_bullet = False
        self.current.append(data)

    def text(self) -> str:
        self._flush()
        lines = self.lines
        # Drop the blank separator lines that nested blocks leave at either end.
        while lines and not lines[-1]:
            lines.pop()
        if self.single_line:
            return " ".join(line for line in lines if line)
        return "\n".join(lines)


def _extract_text(markup: str, *, single_line: bool) -> str:
    parser = _TextExtractor(single_line=single_line)
    parser.feed(markup)
    parser.close()
    return parser.text()


def _drop_controls(text: str) -> str:
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def clean_text(value: str | None) -> str:
    """One line of plain text from a source string that may hold entities or markup (titles, names).

    Entities are decoded once, tags removed (their text kept: `<a href=..>Senior Engineer</a>` becomes
    `Senior Engineer`; `<script>` content is dropped), whitespace collapsed and the result trimmed.
    Tag-shaped text that only appears after the decode (`&lt;b&gt;New&lt;/b&gt;`) is removed too, so no
    markup survives either way. Returns "" for None. Never raises.
    """
    if not value:
        return ""
    text = _extract_text(_drop_controls(str(value)), single_line=True)
    # Removing one tag can join the halves of another ("<b<b>>"), so strip until nothing changes.
    while True:
        stripped = _TAG_TEXT.sub("", text)
        if stripped == text:
            break
        text = stripped
    return _SPACES.sub(" ", text).strip()


def html_to_text(markup: str | None) -> str | None:
    """The reader-visible plain text of an HTML fragment, or None when it has none.

    Entities are decoded once (by the HTML parser), tags removed, script/style content dropped,
    runs of whitespace collapsed. Paragraph-level elements (`p`, `div`, headings, lists, tables) are
    separated by a blank line, list items and `<br>` by a new line, and list items start with "- ".
    Non-breaking and zero-width spaces become ordinary spaces or disappear.
    """
    if not markup:
        return None
    text = _extract_text(_drop_controls(markup).replace("\r", ""), single_line=False)
    return text or None


_SANITIZE_TAGS = set(nh3.ALLOWED_TAGS) - {"img", "map", "area"}
_SANITIZE_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items() if tag in _SANITIZE_TAGS}
_CLEANER = nh3.Cleaner(
    tags=_SANITIZE_TAGS,
    # Their content is code or invisible, never text a reader should see.
    clean_content_tags={"script", "style", "template", "noscript", "iframe", "object", "svg", "math"},
    attributes=_SANITIZE_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    # A relative link would resolve against jobwatch's own host in the app or a mail client.
    url_relative="deny",
    link_rel="noopener noreferrer nofollow",
)


def sanitize_html(markup: str | None) -> str | None:
    """Safe HTML for display: the formatting of a description kept, everything active removed.

    Uses `nh3` (ammonia). Kept: the usual formatting and structure tags (p, br, lists, headings, b/i/em/
    strong, tables, blockquote, pre/code, a ...). Removed: script/style/iframe/object/svg with their
    content, images (tracking pixels in mail), every event-handler and style attribute, and links other
    than absolute http(s) and mailto (so no `javascript:`); links get `rel="noopener noreferrer
    nofollow"`. The input must already be HTML (unescape entity-escaped sources first). Returns None
    when nothing readable is left.
    """
    if not markup or not markup.strip():
        return None
    cleaned = _CLEANER.clean(markup).strip()
    if not cleaned or html_to_text(cleaned) is None:
        return None
    return cleaned


def plain_to_html(text: str | None) -> str | None:
    """Escape plain text into HTML paragraphs (one `<p>` per blank-line block, `<br>` for single breaks).

    For sources that deliver a part of the description only as plain text (Lever `descriptionPlain`).
    """
    if not text or not text.strip():
        return None
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text.replace("\r", "")) if b.strip()]
    return "".join("<p>" + "<br>".join(html.escape(line) for line in b.split("\n")) + "</p>" for b in blocks)


# --------------------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------------------

_TRACKING_PARAMS = frozenset({"gh_src", "lever-source", "lever-origin", "ref", "src", "source"})


def clean_url(url: str | None) -> str | None:
    """A posting's public URL without tracking noise (CONTRACT section 2 `url`; field case B07).

    Only absolute `http`/`https` URLs with a host are kept (anything else, `javascript:` included,
    gives None). Query parameters named `utm_*`, `gh_src`, `lever-source`, `lever-origin`, `ref`, `src`
    or `source` (case-insensitive) are dropped, the fragment is dropped, the scheme and host are
    lower-cased; every other parameter (`gh_jid`, ...) stays in its original order and encoding.
    The path is kept as is (a trailing slash stays): postings are keyed by their id, not their URL.
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if not url or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    kept = []
    for pair in parts.query.split("&"):
        if not pair:
            continue
        name = unquote(pair.split("=", 1)[0]).strip().lower()
        if name.startswith("utm_") or name in _TRACKING_PARAMS:
            continue
        kept.append(pair)
    netloc = parts.netloc
    at = netloc.rfind("@") + 1
    netloc = netloc[:at] + netloc[at:].lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, "&".join(kept), ""))


# --------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------

# Epoch values above this are milliseconds (10^11 s would be the year 5138).
_EPOCH_MS_THRESHOLD = 100_000_000_000
_EPOCH_MIN_SECONDS = 100_000_000
_SPACE_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(?:UTC|GMT|Z)?$", re.IGNORECASE
)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_datetime(value: object) -> datetime | None:
    """An aware UTC datetime from a source's timestamp, or None when absent or unreadable.

    Accepts ISO 8601 with `Z`, an offset or none (none means UTC), with or without fractions
    (Greenhouse `updated_at`, Ashby `publishedAt`); a plain date `YYYY-MM-DD`, which is midnight UTC
    (Workable `published_on`); `YYYY-MM-DD HH:MM:SS UTC` (Recruitee); RFC 2822 dates; and epoch numbers
    or digit strings, read as milliseconds when larger than 10^11 (Lever `createdAt`) else as
    seconds; numbers below 10^8 (a bare year such as "2024") are not read as timestamps. Relative
    phrases ("Posted Today") are not dates here and give None.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return _from_epoch(float(text))
    try:
        return _as_utc(datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00")))
    except ValueError:
        pass
    match = _SPACE_DATETIME.match(text)
    if match:
        try:
            return _as_utc(datetime.fromisoformat(f"{match.group(1)}T{match.group(2)}"))
        except ValueError:
            return None
    if re.match(r"^\d{4}-\d{2}", text):
        try:
            return _as_utc(dateutil_parser.isoparse(text))
        except (ValueError, OverflowError):
            return None
    try:
        return _as_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _from_epoch(number: float) -> datetime | None:
    # Below 10^8 s (1973) a number is more likely a year or a count than a timestamp.
    if number < _EPOCH_MIN_SECONDS:
        return None
    if number > _EPOCH_MS_THRESHOLD:
        number /= 1000.0
    try:
        return datetime.fromtimestamp(number, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# --------------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana",
    "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
CA_PROVINCES: dict[str, str] = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick",
    "NL": "Newfoundland and Labrador", "NS": "Nova Scotia", "NT": "Northwest Territories",
    "NU": "Nunavut", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec",
    "SK": "Saskatchewan", "YT": "Yukon",
}  # fmt: skip
# Only the Australian codes that collide with no US state or Canadian province code.
AU_STATES: dict[str, str] = {
    "NSW": "New South Wales", "VIC": "Victoria", "QLD": "Queensland", "TAS": "Tasmania",
    "ACT": "Australian Capital Territory",
}  # fmt: skip
_AU_REGION_NAMES = (*AU_STATES.values(), "Western Australia", "South Australia", "Northern Territory")
_GB_NATIONS = ("England", "Scotland", "Wales", "Northern Ireland")

# Two-letter codes that are both a US state and a country that job boards often abbreviate this way
# ("Munich, DE", "Bangalore, IN"): without another clue the country stays unknown.
_AMBIGUOUS_STATE_CODES = frozenset({"DE", "IN"})
# Cities that settle such a collision for the country: "Tel Aviv, IL" is Israel, "Chicago, IL" Illinois.
_COLLISION_CITIES: dict[str, frozenset[str]] = {
    "IL": frozenset({"tel aviv", "tel aviv-yafo", "jerusalem", "haifa", "herzliya", "ramat gan", "petah tikva",
                     "netanya", "rehovot", "raanana", "ra'anana", "beersheba", "be'er sheva", "yokneam"}),
    "IN": frozenset({"bangalore", "bengaluru", "mumbai", "bombay", "delhi", "new delhi", "hyderabad", "chennai",
                     "pune", "kolkata", "gurgaon", "gurugram", "noida", "ahmedabad", "jaipur", "kochi"}),
    "DE": frozenset({"berlin", "munich", "munchen", "hamburg", "frankfurt", "frankfurt am main", "cologne",
                     "koln", "stuttgart", "dusseldorf", "leipzig", "dresden", "nuremberg", "nurnberg",
                     "hannover", "bonn", "karlsruhe", "heidelberg", "mannheim"}),
    "CA": frozenset({"toronto", "vancouver", "montreal", "ottawa", "calgary", "edmonton", "waterloo",
                     "kitchener", "winnipeg", "halifax", "quebec city", "mississauga"}),
}  # fmt: skip
# Region names that are just as often the city ("New York, USA").
_REGION_NAMES_THAT_ARE_CITIES = frozenset({"new york", "washington", "quebec"})
# A region name alone implies its country only for these (Indian state names recur in Pakistan).
_INFER_FROM_REGION = frozenset({"US", "CA", "AU", "GB"})

_COUNTRY_ALIASES: dict[str, str] = {
    "us": "US", "usa": "US", "united states of america": "US", "america": "US", "uk": "GB",
    "great britain": "GB", "britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
    "northern ireland": "GB", "south korea": "KR", "korea": "KR", "republic of korea": "KR",
    "russia": "RU", "turkey": "TR", "turkiye": "TR", "the netherlands": "NL", "holland": "NL",
    "nederland": "NL", "ivory coast": "CI", "uae": "AE", "macau": "MO", "macao": "MO",
    "palestine": "PS", "czech republic": "CZ", "vietnam": "VN", "the bahamas": "BS", "the gambia": "GM",
    "deutschland": "DE", "espana": "ES", "schweiz": "CH", "suisse": "CH", "svizzera": "CH",
    "osterreich": "AT", "italia": "IT", "polska": "PL", "sverige": "SE", "norge": "NO", "danmark": "DK",
    "brasil": "BR", "belgique": "BE", "belgie": "BE", "suomi": "FI", "eire": "IE", "mainland china": "CN",
}  # fmt: skip

_WORKPLACE_WORDS = frozenset(
    {
        "remote", "hybrid", "onsite", "on site", "on-site", "in office", "in-office", "office", "remote friendly",
        "remote-friendly", "remote first", "remote-first", "fully remote", "100% remote", "work from home",
        "wfh", "home based", "home-based", "flexible", "distributed", "virtual", "telecommute",
    }
)  # fmt: skip
# Names of areas larger than a country: they place a posting but give no city, region or country.
_MACRO_REGIONS = frozenset(
    {
        "emea", "apac", "apj", "latam", "amer", "americas", "north america", "south america", "latin america",
        "europe", "asia", "asia pacific", "africa", "middle east", "eu", "european union", "nordics", "dach",
        "benelux", "oceania", "anywhere", "worldwide", "global", "international", "multiple locations",
        "various locations", "various", "earth",
    }
)  # fmt: skip


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code a country name or code denotes, or None.

    Codes count only when written in capitals ("US", "GBR", "CAN"; "U.S." too), so words such as "in"
    or "to" are never read as countries. Names go through pycountry (name, official and common name,
    case-insensitive) after a small alias table (UK, USA, South Korea, Russia, Türkiye, Holland, ...).
    """
    if not text:
        return None
    raw = text.strip().replace(".", "").strip()
    if not raw:
        return None
    folded = _fold(raw)
    if len(raw) <= 3:
        if not raw.isalpha() or not raw.isupper():
            return None
        if folded in _COUNTRY_ALIASES:
            return _COUNTRY_ALIASES[folded]
        found = pycountry.countries.get(alpha_2=raw) if len(raw) == 2 else pycountry.countries.get(alpha_3=raw)
        return found.alpha_2 if found is not None else None
    if folded in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[folded]
    for candidate in (raw, folded, folded.removeprefix("the ")):
        try:
            return str(pycountry.countries.lookup(candidate).alpha_2)
        except LookupError:
            continue
    return None


@lru_cache(maxsize=1)
def _region_index() -> dict[str, frozenset[str]]:
    """Folded first-level region names of the countries whose boards write "City, Region"."""
    index: dict[str, set[str]] = {}

    def add(name: str, country: str) -> None:
        index.setdefault(_fold(name), set()).add(country)

    for name in US_STATES.values():
        add(name, "US")
    for name in CA_PROVINCES.values():
        add(name, "CA")
    add("Québec", "CA")
    for name in _AU_REGION_NAMES:
        add(name, "AU")
    for name in _GB_NATIONS:
        add(name, "GB")
    for sub in pycountry.subdivisions.get(country_code="IN") or []:
        if sub.type == "State":
            add(sub.name, "IN")
    return {key: frozenset(value) for key, value in index.items()}


def _region_countries(name: str) -> frozenset[str]:
    """Countries having a first-level region (state, province, nation) of this name or code."""
    stripped = name.strip().replace(".", "")
    if stripped.isupper() and stripped.isalpha():
        found = set()
        if stripped in US_STATES:
            found.add("US")
        if stripped in CA_PROVINCES:
            found.add("CA")
        if stripped in AU_STATES:
            found.add("AU")
        if found:
            return frozenset(found)
    return _region_index().get(_fold(name), frozenset())


def _is_code(text: str) -> bool:
    bare = text.replace(".", "")
    return 2 <= len(bare) <= 3 and bare.isalpha() and bare.isupper()


class _Qualifier:
    """What a trailing part such as "CA", "Ontario" or "United Kingdom" says about a place."""

    __slots__ = ("country", "kind")

    def __init__(self, kind: str | None, country: str | None = None) -> None:
        self.kind = kind  # "country", "region", "code" (an unknown capital code) or None
        self.country = country


def _inferred(regions: frozenset[str]) -> str | None:
    """The country a region name alone implies: only when exactly one indexed country has it."""
    if len(regions) == 1:
        (only,) = regions
        return only if only in _INFER_FROM_REGION else None
    return None


@lru_cache(maxsize=256)
def _subdivision_names(country: str) -> frozenset[str]:
    """Folded names of every ISO 3166-2 subdivision of a country (to test "Berlin, DE")."""
    return frozenset(_fold(sub.name) for sub in pycountry.subdivisions.get(country_code=country) or [])


def _qualify(part: str, head: str | None, hint: str | None) -> _Qualifier:
    """Read `part` as the qualifier of a place whose preceding part is `head` (None when alone)."""
    bare = part.replace(".", "").strip()
    as_country = country_code(part)
    regions = _region_countries(part)
    if _is_code(part):
        if as_country and regions:
            # "San Francisco, CA" vs "British Columbia, CA" vs "Bangalore, IN": take the reading the
            # source's country field or the head supports; a US state otherwise, unless ambiguous.
            if hint is not None:
                return _Qualifier("country", as_country) if hint == as_country else _Qualifier("region", hint)
            if head is not None and (
                _fold(head) in _subdivision_names(as_country) or _fold(head) in _COLLISION_CITIES.get(bare, frozenset())
            ):
                return _Qualifier("country", as_country)
            if bare in _AMBIGUOUS_STATE_CODES:
                return _Qualifier("region", None)
            return _Qualifier("region", _inferred(regions))
        if as_country:
            if hint is not None and hint != as_country and head is not None and len(bare) == 2:
                # "Bombay, MH" with Lever country IN: MH is Maharashtra here, not the Marshall Islands.
                return _Qualifier("region", hint)
            return _Qualifier("country", as_country)
        if regions:
            return _Qualifier("region", hint or _inferred(regions))
        return _Qualifier("code", hint)
    if as_country and regions:
        if as_country in regions:  # "England": a nation of GB
            return _Qualifier("region", as_country)
        # "Georgia": the US state or the country.
        if hint is not None and hint in regions:
            return _Qualifier("region", hint)
        if hint == as_country:
            return _Qualifier("country", as_country)
        return _Qualifier("region", None)
    if as_country:
        return _Qualifier("country", as_country)
    if regions:
        if hint is not None:
            return _Qualifier("region", hint if hint in regions else None)
        return _Qualifier("region", _inferred(regions))
    return _Qualifier(None)


def _word_kind(part: str) -> str | None:
    folded = _fold(part).strip(" -:")
    if folded in _WORKPLACE_WORDS:
        return "workplace"
    if folded in _MACRO_REGIONS:
        return "macro"
    return None


_WORKPLACE_PREFIX = re.compile(r"^(remote|hybrid|on-?site|in-office)(?:\s*-\s*|\s+)(\S.*)$", re.IGNORECASE)
_WORKPLACE_SUFFIX = re.compile(r"^(\S.*?)(?:\s*-\s*|\s+)(remote|hybrid|on-?site)$", re.IGNORECASE)
_CODE_PREFIX = re.compile(r"^([A-Z]{2,3})-(\S.*)$")


def _expand_part(part: str) -> list[str]:
    """Split compact forms: "US-Remote" -> US, Remote; "Remote-India" -> Remote, India."""
    part = part.strip(" -")
    if not part or _word_kind(part):
        return [part] if part else []
    match = _CODE_PREFIX.match(part)
    if match and country_code(match.group(1)):
        return [match.group(1), *_expand_part(match.group(2))]
    match = _WORKPLACE_PREFIX.match(part)
    if match:
        return [match.group(1), *_expand_part(match.group(2))]
    match = _WORKPLACE_SUFFIX.match(part)
    if match:
        return [*_expand_part(match.group(1)), match.group(2)]
    return [part]


_ABBREVIATIONS = (
    (re.compile(r"\bU\.S\.A\.?(?=\W|$)"), "USA"),
    (re.compile(r"\bU\.S\.?(?=\W|$)"), "US"),
    (re.compile(r"\bU\.K\.?(?=\W|$)"), "UK"),
    (re.compile(r"\bD\.C\.?(?=\W|$)"), "DC"),
)
_PART_SEPARATORS = re.compile(r"\s*[,:]\s*|\s+-\s+")


def _normalize_place_text(text: str) -> str:
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    return text


def _place_parts(text: str) -> list[str] | None:
    """The ordered parts of one place ("San Francisco", "CA"), without workplace and macro words.

    None when the text names several places at once ("SF / NY"), which one Location cannot hold.
    """
    parts: list[str] = []
    for chunk in _PART_SEPARATORS.split(text):
        pieces = [p.strip() for p in re.split(r"[/|;]", chunk) if p.strip()]
        places = [p for p in pieces if not _word_kind(p)]
        if len(places) > 1:
            return None
        for piece in pieces:
            parts.extend(p for p in _expand_part(piece) if p and not _word_kind(p))
    return parts


def _single_part(part: str, country: str | None) -> tuple[str | None, str | None]:
    """(city, region) of a lone part next to a known country: a region only for known regions."""
    if _fold(part) in _REGION_NAMES_THAT_ARE_CITIES:
        return part, None
    if country is not None and country in _region_countries(part):
        return None, part
    return part, None


def _interpret(parts: list[str], hint: str | None) -> tuple[str | None, str | None, str | None, bool]:
    """(city, region, country, country_is_explicit) of the parts of one place."""
    if len(parts) == 1:
        only = parts[0]
        q = _qualify(only, None, hint)
        if q.kind == "country":
            if _is_code(only) and len(only.replace(".", "")) == 3 and _fold(only) not in _COUNTRY_ALIASES:
                # A lone "SEA" or "AUS" is an airport or city shorthand more often than a country.
                return only, None, hint, False
            return None, None, q.country, True
        if q.kind == "region" and not _is_code(only):
            if _fold(only) in _REGION_NAMES_THAT_ARE_CITIES:
                return only, None, q.country, False
            return None, only, q.country, False
        if q.kind == "region":
            # A lone state code ("CA", "NY") is too ambiguous to place.
            return None, None, hint, False
        return only, None, hint, False

    last, head = parts[-1], parts[:-1]
    q = _qualify(last, head[-1], hint)
    if q.kind == "country":
        rest = head
        if len(rest) >= 2:
            return rest[-2], _region_text(rest[-1], q.country), q.country, True
        city, region = _single_part(rest[0], q.country)
        return city, _region_text(region, q.country), q.country, True

    first_q = _qualify(parts[0], None, hint)
    if first_q.kind == "country":
        # Country first: "Portugal, Lisbon", "UK, London", "US-Texas".
        rest = parts[1:]
        if len(rest) >= 2:
            return rest[-1], _region_text(rest[0], first_q.country), first_q.country, True
        city, region = _single_part(rest[0], first_q.country)
        return city, _region_text(region, first_q.country), first_q.country, True

    if q.kind in ("region", "code"):
        return head[-1], _region_text(last, q.country), q.country, False
    # An unknown second part ("London, Berlin"): keep the first as the city, guess nothing else.
    return parts[0], None, hint, False


# Workday's "ISO3 [REGION] City" form ("USA DC Washington", "USA NC Fort Bragg", "DEU Wiesbaden - Wiesbaden
# Army Airfield (APC180)"): a capital alpha-3 country code, a space, an optional capital region code, the city,
# then optionally a " - site" or "(site code)" detail.
_ALPHA3_FIRST = re.compile(
    r"^(?P<cc>[A-Z]{3})\s+(?:(?P<region>[A-Z]{2})\s+)?(?P<city>[^\W\d_][^,;|/()]*?)(?:\s+-\s+.*|\s*\(.*)?$"
)
# Three-letter country codes that are also common city or airport shorthands ("AUS" Austin, "PHL"
# Philadelphia): without a region code after them they place nothing.
_ALPHA3_SHORTHANDS = frozenset({"AUS", "PHL", "MEX", "BRA", "CAN", "ISR"})


def _alpha3_first(text: str) -> Location | None:
    """The "USA DC Washington" form, or None when `text` is not in it (see `_ALPHA3_FIRST`)."""
    match = _ALPHA3_FIRST.match(text)
    if match is None:
        return None
    code, region, city = match.group("cc"), match.group("region"), match.group("city").strip()
    found = pycountry.countries.get(alpha_3=code)
    if found is None or _word_kind(city):
        return None
    country = str(found.alpha_2)
    if region is not None:
        if country not in _region_countries(region):
            return None
    elif code in _ALPHA3_SHORTHANDS:
        return None
    return Location(raw=text, city=city, region=_region_text(region, country), country=country)


def _region_text(region: str | None, country: str | None) -> str | None:
    if region is None:
        return None
    bare = region.replace(".", "")
    if _is_code(region) and (bare in US_STATES or bare in CA_PROVINCES or bare in AU_STATES):
        return bare
    return region


#: Lone city names that, in job postings, almost always mean one country's city. Used only when nothing else
#: names a country: "London" -> GB, "Hybrid - Sydney" -> AU, "SF / NY" -> US. Kept short and unambiguous on
#: purpose (no "Portland", "Cambridge", "Georgia"): a wrong country is worse than none.
MAJOR_CITIES: dict[str, str] = {
    "london": "GB", "manchester": "GB", "edinburgh": "GB", "glasgow": "GB", "bristol": "GB",
    "dublin": "IE", "paris": "FR", "lyon": "FR", "berlin": "DE", "munich": "DE", "münchen": "DE",
    "hamburg": "DE", "frankfurt": "DE", "cologne": "DE", "köln": "DE", "stuttgart": "DE",
    "amsterdam": "NL", "rotterdam": "NL", "brussels": "BE", "zurich": "CH", "zürich": "CH", "geneva": "CH",
    "vienna": "AT", "wien": "AT", "prague": "CZ", "warsaw": "PL", "krakow": "PL", "kraków": "PL",
    "wroclaw": "PL", "wrocław": "PL", "stockholm": "SE", "copenhagen": "DK", "oslo": "NO", "helsinki": "FI",
    "madrid": "ES", "barcelona": "ES", "lisbon": "PT", "lisboa": "PT", "porto": "PT", "milan": "IT",
    "milano": "IT", "rome": "IT", "athens": "GR", "budapest": "HU", "bucharest": "RO", "tallinn": "EE",
    "tel aviv": "IL", "dubai": "AE", "singapore": "SG", "tokyo": "JP", "osaka": "JP", "seoul": "KR",
    "hong kong": "HK", "taipei": "TW", "shanghai": "CN", "beijing": "CN", "shenzhen": "CN",
    "bangalore": "IN", "bengaluru": "IN", "hyderabad": "IN", "mumbai": "IN", "pune": "IN", "chennai": "IN",
    "gurgaon": "IN", "gurugram": "IN", "new delhi": "IN", "sydney": "AU", "melbourne": "AU",
    "brisbane": "AU", "auckland": "NZ", "toronto": "CA", "vancouver": "CA", "montreal": "CA",
    "montréal": "CA", "são paulo": "BR", "sao paulo": "BR", "mexico city": "MX", "buenos aires": "AR",
    "bogota": "CO", "bogotá": "CO", "san francisco": "US", "sf": "US", "new york": "US",
    "new york city": "US", "nyc": "US", "ny": "US", "seattle": "US", "austin": "US", "chicago": "US",
    "boston": "US", "los angeles": "US", "denver": "US", "atlanta": "US", "san jose": "US",
    "palo alto": "US", "mountain view": "US", "menlo park": "US", "sunnyvale": "US", "washington dc": "US",
    "washington, d.c.": "US", "miami": "US", "dallas": "US", "houston": "US", "philadelphia": "US",
    "pittsburgh": "US", "salt lake city": "US", "san diego": "US", "nashville": "US", "minneapolis": "US",
}  # fmt: skip


def _city_country(text: str) -> str | None:
    """The country of `text` when it names one major city, or several that all lie in one country."""
    places = [p.strip() for p in re.split(r"\s*(?:/|\||;|,|&|\band\b|\bor\b)\s*", text) if p and p.strip()]
    places = [p for p in places if not _word_kind(p)]
    codes = {MAJOR_CITIES.get(_fold(p)) for p in places}
    if not places or None in codes or len(codes) != 1:
        return None
    return codes.pop()


def parse_location(raw: str, *, country: str | None = None) -> Location:
    """Read one place a posting lists into `Location(raw, city, region, country)`, best effort.

    `raw` is kept (cleaned: entities decoded, whitespace collapsed). Recognised shapes include
    "San Francisco, CA" (US state codes and names -> US), "Toronto, ON" / "Toronto, Ontario" (CA),
    "Sydney, NSW", "London, UK" and "London, United Kingdom" (-> GB), "Sydney, New South Wales,
    Australia", country-first "Portugal, Lisbon" / "UK, London" / "US-San Francisco", and remote
    forms "Remote - US", "Remote (Canada)", "United States - Remote", "Remote: Germany", and Workday's
    alpha-3-first "USA DC Washington" / "DEU Wiesbaden - Wiesbaden Army Airfield (APC180)". Country names
    and capital codes go through :func:`country_code`. Workplace words (Remote, Hybrid,
    Remote-Friendly), parentheticals such as "(HQ)" and areas larger than a country (EMEA, Europe)
    give no city. A text naming several places ("SF / NY") gives no city or region, and a country only when
    every place is a major city of that country (`MAJOR_CITIES`).

    `country` is the source's own country field (Lever `country`, ISO alpha-2): it settles ambiguous
    codes ("Bangalore, IN" with country IN) and fills the country when the text names none; a country
    the text names explicitly wins. A lone major city with no country anywhere takes its country from
    `MAJOR_CITIES` ("London" -> GB). Otherwise nothing is invented: a part that cannot be read stays None
    ("Wilmington, DE" -> region DE, country None, since DE is also Germany's code).
    """
    text = clean_text(raw)
    hint = country_code(country.upper()) if isinstance(country, str) and country.strip() else None
    if not text:
        return Location(raw=text, country=hint)
    normalized = _normalize_place_text(text)
    alpha3 = _alpha3_first(normalized)
    if alpha3 is not None:
        return Location(raw=text, city=alpha3.city, region=alpha3.region, country=alpha3.country)
    parens = re.findall(r"\(([^()]*)\)", normalized)
    outside = re.sub(r"\([^()]*\)", " ", normalized)
    parts = _place_parts(outside)
    if parts is None:
        return Location(raw=text, country=hint or _city_country(outside))
    if not parts:
        # "Remote (US)": the parenthetical is the place, but only when it names a country or region.
        for inner in parens:
            inner_parts = _place_parts(inner)
            if inner_parts:
                city, region, found, _ = _interpret(inner_parts, hint)
                if found:
                    return Location(raw=text, city=city, region=region, country=found)
        return Location(raw=text, country=hint)
    city, region, found, explicit = _interpret(parts, hint)
    final_country = found if explicit or hint is None else hint
    if final_country is None and city is not None and region is None and len(parts) == 1:
        final_country = MAJOR_CITIES.get(_fold(city))
    return Location(raw=text, city=city, region=region, country=final_country)


def _is_split_qualifier(part: str, following: str | None) -> bool:
    """Whether a comma part qualifies the place before it rather than starting a new one."""
    if _word_kind(part) == "workplace":
        return False
    q = _qualify(part, None, None)
    if q.kind == "country":
        return True
    if q.kind == "region":
        if _is_code(part):
            return True
        # A region *name* ("New York") is also often a city in a list, so it only qualifies at the
        # end of the list or right before a country ("Sydney, New South Wales, Australia").
        return following is None or _qualify(following, None, None).kind == "country"
    return False


def split_locations(raw: str | None) -> list[str]:
    """Split a free-text location field (Greenhouse `location.name`) into one string per place.

    Heuristic, in order:
    1. `;`, `|`, line breaks, the word "or" and a ` / ` between spaces separate places; a part that is only a
       workplace word ("Remote" in "Berlin / Remote") is dropped when other places remain.
    2. Within a segment, commas separate places except where a part *qualifies* the one before it:
       a country (name, alias or capital code: "UK", "United Kingdom", "CAN"), or a region code ("CA",
       "NY", "ON", "NSW"), or a region name ("Ontario", "New South Wales") when it is the last part or
       precedes a country. So "San Francisco, CA" and "Sydney, New South Wales, Australia" are one
       place each, "San Francisco, CA, New York City, NY" is two, and "SF, NYC, SEA, CHI",
       "Toronto, New York, San Francisco" and "US-Remote, US-San Francisco" are one place per part.
    3. Two parts with a country first ("Portugal, Lisbon", "UK, London") are one place.
    4. A leading workplace word that covers a list ("Hybrid - London, Berlin") is dropped from the
       split parts (it stays readable in the full field for :func:`detect_workplace`); a single place
       keeps it ("Remote - United States").
    Empty parts and repeats (case-insensitive) are dropped; order is kept.
    """
    if not raw:
        return []
    text = clean_text(raw)
    places: list[str] = []
    segments = [seg.strip(" ,") for seg in re.split(r"[;|\n]|\s+or\s+|\s+/\s+", text, flags=re.IGNORECASE)]
    segments = [seg for seg in segments if seg]
    if len(segments) > 1 and any(not _word_kind(seg) for seg in segments):
        segments = [seg for seg in segments if not _word_kind(seg)]
    for segment in segments:
        places.extend(_split_segment(segment))
    seen: set[str] = set()
    unique: list[str] = []
    for place in places:
        key = _fold(place)
        if key and key not in seen:
            seen.add(key)
            unique.append(place)
    return unique


def _split_segment(segment: str) -> list[str]:
    parts = [p.strip() for p in segment.split(",") if p.strip()]
    if len(parts) <= 1:
        return [segment]
    if len(parts) == 2 and _qualify(parts[0], None, None).kind == "country" and not _is_code(parts[0]):
        return [segment]
    prefix_match = re.match(r"^(remote|hybrid|on-?site)(?:\s+-\s+|\s*:\s*)(\S.*)$", parts[0], re.IGNORECASE)
    lead = parts[0] if prefix_match is None else prefix_match.group(2)
    candidates = [lead, *parts[1:]]
    groups: list[list[str]] = []
    for index, part in enumerate(candidates):
        following = candidates[index + 1] if index + 1 < len(candidates) else None
        if groups and _is_split_qualifier(part, following):
            groups[-1].append(part)
        else:
            groups.append([part])
    if len(groups) == 1:
        return [segment]
    return [", ".join(group) for group in groups]


# --------------------------------------------------------------------------------------------------
# Workplace, employment type
# --------------------------------------------------------------------------------------------------

_REMOTE = re.compile(r"\b(remote|work from home|wfh|telecommute|home[- ]based|fully distributed)\b", re.I)
_HYBRID = re.compile(r"\bhybrid\b", re.IGNORECASE)
_ONSITE = re.compile(r"\b(on[- ]?site|in[- ]office|office[- ]based|in[- ]person)\b", re.IGNORECASE)


def detect_workplace(*texts: str | None) -> str | None:
    """`remote`, `hybrid` or `onsite` when one of the texts says so, else None (never a default).

    Pass short, structured texts only (a location field, a "Location Type" value, an enum such as
    Ashby `OnSite` or Lever `onsite`), not descriptions, where "remote" occurs in passing. When the
    texts disagree, remote wins over hybrid over on-site: a posting that offers remote work anywhere
    is one a remote-only searcher wants ("Remote-Friendly | San Francisco, CA" -> remote).
    """
    found: set[str] = set()
    for text in texts:
        if not text or not isinstance(text, str):
            continue
        spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text).replace("_", " ")
        if _REMOTE.search(spaced):
            found.add("remote")
        if _HYBRID.search(spaced):
            found.add("hybrid")
        if _ONSITE.search(spaced):
            found.add("onsite")
    for kind in ("remote", "hybrid", "onsite"):
        if kind in found:
            return kind
    return None


def normalize_employment_type(value: str | None) -> str | None:
    """The CONTRACT employment type a source's label denotes, or None when it does not say.

    `FullTime`, `Full-time`, `full_time`, `Regular Full Time (Salary)` -> full_time; `Part Time`,
    `PartTime` -> part_time; `Contract`, `Contractor`, `Freelance` -> contract; `Intern`,
    `Internship` -> internship; `Temporary`, `Temp`, `Seasonal`, `Fixed-term` -> temporary.
    Labels that do not say which (`Regular`, `Permanent`, `Apprenticeship`, `Other`) give None.
    When a label names two, the narrower wins (`Internship (Full-Time)` -> internship).
    """
    if not value or not isinstance(value, str):
        return None
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", value)
    words = re.sub(r"[^a-z]+", " ", spaced.lower()).split()
    joined = " ".join(words)
    if any(w in ("intern", "interns", "internship", "internships") for w in words):
        return "internship"
    if any(w in ("temporary", "temp", "seasonal") for w in words) or "fixed term" in joined:
        return "temporary"
    if any(w in ("contract", "contractor", "contractors", "freelance", "freelancer") for w in words):
        return "contract"
    if "part time" in joined or "parttime" in words:
        return "part_time"
    if "full time" in joined or "fulltime" in words:
        return "full_time"
    return None


# --------------------------------------------------------------------------------------------------
# Pay
# --------------------------------------------------------------------------------------------------

_PERIOD_WORDS: dict[str, str] = {
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "annum": "year", "yr": "year",
    "month": "month", "monthly": "month", "mo": "month",
    "week": "week", "weekly": "week", "wk": "week",
    "day": "day", "daily": "day",
    "hour": "hour", "hourly": "hour", "hr": "hour",
}  # fmt: skip


def normalize_salary_period(value: str | None) -> str | None:
    """`year`/`month`/`week`/`day`/`hour` from a source's pay interval, or None.

    Lever `per-year-salary`, `per-hour-wage`; Ashby `1 YEAR`, `1 HOUR`; plain `yearly`, `Annual`,
    `hourly`, `MONTH`. Intervals that are not a repeating period (`one-time`, `2 WEEK`) give None.
    """
    if not value or not isinstance(value, str):
        return None
    words = re.sub(r"[^a-z0-9]+", " ", value.lower()).split()
    numbers = [w for w in words if w.isdigit()]
    if numbers and numbers != ["1"]:
        return None
    for word in words:
        if word in _PERIOD_WORDS:
            return _PERIOD_WORDS[word]
        if word.endswith("s") and word[:-1] in _PERIOD_WORDS:
            return _PERIOD_WORDS[word[:-1]]
    return None


def parse_amount(value: object) -> float | None:
    """A positive pay amount from a number or a numeric string ("60000", "60,000.00"); else None.

    Integral values come back as `int` so they serialize without a trailing `.0`.
    """
    if value is None or isinstance(value, bool):
        return None
    number: float
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        try:
            number = float(text)
        except ValueError:
            return None
    else:
        return None
    if number != number or number <= 0 or number == float("inf"):
        return None
    return int(number) if number.is_integer() else number


def parse_salary(
    minimum: object, maximum: object, currency: object, period: object, *, default_period: str | None = None
) -> Salary | None:
    """A `Salary` from a source's min, max, currency and interval, or None when it is not usable.

    `minimum`/`maximum`: numbers or numeric strings (non-positive counts as unknown); `currency`: an
    ISO 4217 code in any case (checked with pycountry); `period`: anything
    :func:`normalize_salary_period` reads, else `default_period` when the source documents one. None
    when both amounts are unknown, the currency is not ISO 4217 or the period cannot be told.
    Reversed bounds are swapped.
    """
    low, high = parse_amount(minimum), parse_amount(maximum)
    if low is None and high is None:
        return None
    code = currency.strip().upper() if isinstance(currency, str) else ""
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        return None
    unit = normalize_salary_period(period) if isinstance(period, str) else None
    unit = unit or default_period
    if unit is None:
        return None
    if low is not None and high is not None and low > high:
        low, high = high, low
    return Salary(min=low, max=high, currency=code, period=unit)

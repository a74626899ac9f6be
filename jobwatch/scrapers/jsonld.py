"""Career pages with schema.org `JobPosting` JSON-LD (`jsonld:URL` boards).

A `jsonld` board is one web page, named by its URL (the board token). Its postings are every
`JobPosting` in its `<script type="application/ld+json">` blocks. Blocks may be empty or malformed
(skipped), hold one object, a list, or an `@graph`, and `@type` may be a list (`["JobPosting", ...]`)
or prefixed (`schema:JobPosting`). Field mapping (CONTRACT section 2):

| posting field     | JobPosting property                                                           |
| ----------------- | ----------------------------------------------------------------------------- |
| external_id       | `identifier.value` (or `identifier` when a string or number), else `url`,     |
|                   | else a stable hash of title, hiring organization name and first location      |
| title             | `title` (else `name`)                                                         |
| company           | `hiringOrganization.name` (or the organization when it is a string)           |
| url               | `url` (resolved against the page), else the page itself when it holds just    |
|                   | one posting                                                                   |
| description_html  | `description` (HTML, entity-escaped HTML or plain text; a literal `\\n` in it  |
|                   | is a line break), then `responsibilities`, `qualifications`, `skills` and     |
|                   | `jobBenefits` under headings; sanitized                                       |
| locations         | `jobLocation` (one Place or a list): its `name`, else its `address`           |
|                   | (`addressLocality`, `addressRegion`, `addressCountry` as text or a Country);  |
|                   | the placeholder "UNAVAILABLE" is null. Without any, the                       |
|                   | `applicantLocationRequirements` countries                                     |
| workplace         | `jobLocationType: TELECOMMUTE` -> remote, else the location texts             |
| employment_type   | `employmentType` (a string or a list: FULL_TIME, PART_TIME, CONTRACTOR,       |
|                   | TEMPORARY, INTERN; OTHER, PER_DIEM, VOLUNTEER say nothing)                    |
| salary            | `baseSalary`: a MonetaryAmount (`currency`) whose `value` is a number or a    |
|                   | QuantitativeValue (`minValue`, `maxValue`, `value`, `unitText` YEAR/HOUR/...) |
| posted_at         | `datePosted`                                                                  |
| updated_at        | `dateModified` when present                                                   |
| department, team  | not given: null                                                               |

Text encoding (`decode_page`): a byte-order mark, else the HTTP `Content-Type` charset, else the page's
`<meta charset>` / `http-equiv` declaration, else UTF-8 (bytes that are not valid UTF-8 become U+FFFD;
a page is never guessed to be Latin-1).

The page URL is user-supplied. This module fetches it with the client it is given; holding user URLs
to public addresses is the job of the service layer that creates the board and the client.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import json
import re
import time
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import httpx
from parsel import Selector

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
    plain_to_html,
    sanitize_html,
)
from jobwatch.core.postings import Location, Posting, Salary
from jobwatch.errors import BadInput
from jobwatch.scrapers.base import (
    FetchResult,
    ParseError,
    Sleep,
    UnexpectedContent,
    as_dict,
    as_str,
    board_mismatch,
    html_title,
    unique_by_id,
)
from jobwatch.scrapers.boards import BoardRef, board_argument, parse_board_token
from jobwatch.scrapers.http import request

SOURCE = "jsonld"
#: A JSON-LD board has no API host: the page URL is the board token.
DEFAULT_API_URL = ""
API_URL_SETTING = "JSONLD_API_URL"

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.IGNORECASE)
# WHATWG: these labels mean windows-1252, which is what browsers decode them as.
_WINDOWS_1252 = {"latin1", "latin-1", "iso-8859-1", "iso8859-1", "iso_8859-1", "l1", "us-ascii", "ascii", "cp1252"}
_LITERAL_TAG = re.compile(r"<[A-Za-z!/]")
_ESCAPED_TAG = re.compile(r"&lt;/?[A-Za-z]", re.IGNORECASE)
_UNAVAILABLE = {"unavailable", "n/a", "na", "none", "null", "-"}
# Interstitials served with HTTP 200 instead of the page (field case B03).
_BOT_CHECK = re.compile(r"just a moment|attention required|access denied|are you a robot|captcha", re.IGNORECASE)
_EXTRA_SECTIONS = (
    ("responsibilities", "Responsibilities"),
    ("qualifications", "Qualifications"),
    ("skills", "Skills"),
    ("jobBenefits", "Benefits"),
)


def decode_page(body: bytes, content_type: str | None = None) -> str:
    """The text of a fetched page: BOM, else the `Content-Type` header's charset, else `<meta charset>`
    (or `http-equiv="Content-Type"`) in the first 4 KiB, else UTF-8. Undecodable bytes become U+FFFD;
    an unknown charset label falls back to UTF-8. Never raises."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace")
    declared = None
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        declared = match.group(1) if match else None
    if declared is None:
        meta = _META_CHARSET.search(body[:4096])
        declared = meta.group(1).decode("ascii", "replace") if meta else None
    return body.decode(_encoding(declared), "replace")


def _encoding(label: str | None) -> str:
    if not label:
        return "utf-8"
    label = label.strip().lower()
    if label in _WINDOWS_1252:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return "utf-8"
    # A page cannot declare UTF-16 in its own ASCII-compatible markup (WHATWG): the bytes say otherwise.
    return "utf-8" if name.startswith("utf-16") or name.startswith("utf-32") else name


def parse(body: bytes, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Postings of a saved career page (HTML with JSON-LD, or a bare JSON-LD document), in page order.

    `board`: the page URL (`https://...` or `jsonld:https://...`); relative posting URLs resolve against
    it, and a page with a single posting and no posting `url` gets it as its `url`. A page without any
    JobPosting (no JSON-LD, empty or malformed blocks, other types only) gives []. Raises `ParseError`
    for an empty body, a body that is neither HTML nor JSON, or a `board` that is not an http(s) URL.
    """
    page_url = board_argument(board, SOURCE)
    if page_url is not None:
        try:
            page_url = parse_board_token(f"{SOURCE}:{page_url}").token
        except BadInput as exc:
            raise ParseError(str(exc)) from None
    return extract_postings(decode_page(body), board=page_url, page_url=page_url)


def fetch(
    client: httpx.Client,
    ref: BoardRef,
    *,
    api_url: str = DEFAULT_API_URL,
    fetched_at: datetime,
    sleep: Sleep = time.sleep,
) -> FetchResult:
    """Read the page of a `jsonld:URL` board: `GET api_url` (the page URL; when empty, the board token).

    The charset comes from the response (`decode_page`). A page that lists no JobPosting is returned
    incomplete (`complete=False`, nothing is closed): an emptied page and a page that failed to render
    its data look alike, and closing postings on the second would be a false closure (field case B03).
    Raises the `ScrapeError`s of `request`, `UnexpectedContent` for a bot-check interstitial or an
    unreadable body, and `BadInput` for another source's board.
    """
    if ref.family != SOURCE:
        raise board_mismatch(ref, SOURCE)
    url = api_url or ref.token
    response = request(
        client, "GET", url, headers={"Accept": "text/html,application/xhtml+xml,application/ld+json"}, sleep=sleep
    )
    text = decode_page(response.content, response.headers.get("Content-Type"))
    try:
        # Relative links resolve against where the page ended up (after redirects), unless it was read
        # from a configured stand-in address (a loopback replay), which says nothing about the real page.
        page_url = str(response.url) if url == ref.token else ref.token
        postings = extract_postings(text, board=ref.token, page_url=page_url)
    except ParseError as exc:
        raise UnexpectedContent(f"{url}: {exc}", url=url, status=response.status_code) from None
    if postings:
        return FetchResult(postings=postings, complete=True, pages=1)
    title = html_title(response.content)
    if title and _BOT_CHECK.search(title):
        raise UnexpectedContent(
            f"{url} answered with an interstitial ({title!r}) instead of the page; a bot check?",
            url=url,
            status=response.status_code,
        )
    return FetchResult(postings=[], complete=False, pages=1, note="the page holds no schema.org JobPosting")


# ------------------------------------------------------------------------------------------------
# Finding JobPostings
# ------------------------------------------------------------------------------------------------


def extract_postings(text: str, *, board: str | None, page_url: str | None) -> list[Posting]:
    """Every JobPosting of a page's text (HTML, or a JSON-LD document), in page order, ids unique.

    `board`: the postings' `board` (the page URL token) or None; `page_url`: where the page lives
    (resolves relative URLs, and is the `url` of a lone posting without one), or None. Raises `ParseError` when the
    text is empty or neither markup nor JSON.
    """
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise ParseError("not a career page: the body is empty")
    if stripped[0] in "{[":
        data = _load_json(stripped)
        if data is None:
            raise ParseError("not a career page: the body looks like JSON but is malformed")
        documents = [data]
    elif "<" in stripped:
        documents = [doc for doc in map(_load_json, _script_blocks(stripped)) if doc is not None]
    else:
        raise ParseError("not a career page: neither HTML nor JSON-LD")
    nodes: list[dict[str, Any]] = []
    for document in documents:
        _collect(document, nodes, depth=0)
    postings = [
        posting
        for node in nodes
        if (posting := _posting(node, board=board, page_url=page_url, single=len(nodes) == 1)) is not None
    ]
    return unique_by_id(postings)


def _script_blocks(markup: str) -> list[str]:
    """The text of every `<script type="application/ld+json">` element (the type matched loosely)."""
    selector = Selector(text=markup, type="html")
    blocks = []
    for script in selector.xpath("//script[@type]"):
        kind = (script.attrib.get("type") or "").strip().lower()
        if "ld+json" in kind:
            blocks.append("".join(script.xpath("text()").getall()))
    return blocks


def _load_json(block: str) -> Any:
    """A block's JSON, or None when it is empty or malformed (such blocks are skipped, not fatal)."""
    text = block.strip()
    # Wrappers some templates leave around the JSON.
    for prefix, suffix in (("<!--", "-->"), ("//<![CDATA[", "//]]>"), ("<![CDATA[", "]]>")):
        if text.startswith(prefix) and text.endswith(suffix):
            text = text[len(prefix) : -len(suffix)].strip()
    text = text.rstrip(";").strip()
    if not text:
        return None
    try:
        # strict=False: raw line breaks and tabs inside strings, which hand-written JSON-LD often has.
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):
        return None


def _is_job_posting(node: dict[str, Any]) -> bool:
    kinds = node.get("@type")
    for kind in kinds if isinstance(kinds, list) else [kinds]:
        if isinstance(kind, str) and re.split(r"[/:#]", kind.strip())[-1] == "JobPosting":
            return True
    return False


def _collect(value: Any, found: list[dict[str, Any]], *, depth: int) -> None:
    """Every JobPosting node in a JSON-LD value: objects, lists, `@graph`, `itemListElement` ... (a
    JobPosting's own properties are not searched for more postings)."""
    if depth > 20:
        return
    if isinstance(value, list):
        for item in value:
            _collect(item, found, depth=depth + 1)
    elif isinstance(value, dict):
        if _is_job_posting(value):
            found.append(value)
            return
        for item in value.values():
            if isinstance(item, dict | list):
                _collect(item, found, depth=depth + 1)


# ------------------------------------------------------------------------------------------------
# One posting
# ------------------------------------------------------------------------------------------------


def _first(value: Any) -> Any:
    if isinstance(value, list):
        return next((v for v in value if v not in (None, "", [], {})), None)
    return value


def _text_value(value: Any) -> str | None:
    """A JSON-LD text property: a string, a number, or the first of a list; also a `{"name": ...}` object."""
    value = _first(value)
    if isinstance(value, dict):
        value = _first(value.get("name"))
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        text = clean_text(value)
        return text if text and text.casefold() not in _UNAVAILABLE else None
    return None


def _identifier(node: dict[str, Any]) -> str | None:
    identifiers = node.get("identifier")
    for value in identifiers if isinstance(identifiers, list) else [identifiers]:
        if isinstance(value, dict):
            value = value.get("value", value.get("@id"))
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float | str) and str(value).strip():
            return str(value).strip()
    return None


def _posting(node: dict[str, Any], *, board: str | None, page_url: str | None, single: bool) -> Posting | None:
    """A posting from a JobPosting node, or None when it has no title (a node nothing can be listed for)."""
    title = clean_text(as_str(_first(node.get("title"))) or as_str(_first(node.get("name"))))
    if not title:
        return None
    organization = _first(node.get("hiringOrganization"))
    company = _text_value(organization) if isinstance(organization, dict | str) else None
    locations = _locations(node)
    raw_url = as_str(_first(node.get("url")))
    absolute = urljoin(page_url, raw_url.strip()) if raw_url and page_url else raw_url
    url = clean_url(absolute)
    # The id comes from the posting's own data only, so it is the same whether or not the page URL is known.
    external_id = _identifier(node) or url or (absolute.strip() if absolute and absolute.strip() else None)
    if url is None and single and page_url:
        url = clean_url(page_url)
    if external_id is None:
        key = "\x1f".join((title, company or "", locations[0].raw if locations else ""))
        external_id = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    description_html = sanitize_html(_description(node))
    location_types = node.get("jobLocationType")
    telecommute = any(
        isinstance(t, str) and t.strip().upper() == "TELECOMMUTE"
        for t in (location_types if isinstance(location_types, list) else [location_types])
    )
    employment = node.get("employmentType")
    return Posting(
        source=SOURCE,
        board=board,
        external_id=external_id,
        title=title,
        company=company,
        url=url,
        description_html=description_html,
        description_text=html_to_text(description_html),
        locations=locations,
        workplace="remote" if telecommute else detect_workplace(*(loc.raw for loc in locations)),
        department=None,
        team=None,
        employment_type=next(
            filter(
                None,
                (
                    normalize_employment_type(e)
                    for e in (employment if isinstance(employment, list) else [employment])
                    if isinstance(e, str)
                ),
            ),
            None,
        ),
        salary=_salary(node.get("baseSalary")),
        posted_at=parse_datetime(_first(node.get("datePosted"))),
        updated_at=parse_datetime(_first(node.get("dateModified"))),
    )


def _as_html(text: str) -> str | None:
    """A JSON-LD text property as HTML: markup as is, entity-escaped markup unescaped once, plain text
    (entities decoded once) in paragraphs. A literal backslash-n, left by a double JSON encoding, is a
    line break."""
    text = text.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", " ")
    if not text.strip():
        return None
    if _LITERAL_TAG.search(text):
        return text
    if _ESCAPED_TAG.search(text):
        return html.unescape(text)
    return plain_to_html(html.unescape(text))


def _description(node: dict[str, Any]) -> str | None:
    parts: list[str] = []
    description = node.get("description")
    if isinstance(description, str):
        parts.append(_as_html(description) or "")
    for key, heading in _EXTRA_SECTIONS:
        value = node.get(key)
        texts = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str) and v.strip()]
        body = "".join(_as_html(t) or "" for t in texts)
        if body:
            parts.append(f"<h3>{heading}</h3>{body}")
    return "".join(parts) or None


def _country(value: Any) -> tuple[str | None, str | None]:
    """(text, ISO code) of an `addressCountry`: a code or name, or a Country object with `name`."""
    text = _text_value(value)
    return text, country_code(text) if text else None


def _place(place: Any) -> Location | None:
    if isinstance(place, str):
        raw = clean_text(place)
        return parse_location(raw) if raw and raw.casefold() not in _UNAVAILABLE else None
    if not isinstance(place, dict):
        return None
    address = place.get("address")
    if isinstance(address, str):
        address = {"streetAddress": address}
    address = as_dict(_first(address) if isinstance(address, list) else address)
    locality = _text_value(address.get("addressLocality"))
    region = _text_value(address.get("addressRegion"))
    country_text, iso = _country(address.get("addressCountry"))
    name = _text_value(place.get("name"))
    if name:
        # The Place's own name is what the page shows; some sites fill every address with the same HQ.
        return parse_location(name, country=iso)
    raw = ", ".join(x for x in (locality, region, country_text) if x)
    if not raw:
        street = _text_value(address.get("streetAddress"))
        return parse_location(street) if street else None
    if locality is None and region is None and iso is not None:
        return Location(raw=raw, country=iso)
    return Location(raw=raw, city=locality, region=region, country=iso)


def _locations(node: dict[str, Any]) -> list[Location]:
    places = node.get("jobLocation")
    found = [_place(p) for p in (places if isinstance(places, list) else [places])]
    if not any(found):
        required = node.get("applicantLocationRequirements")
        for requirement in required if isinstance(required, list) else [required]:
            name = _text_value(requirement)
            if name:
                found.append(Location(raw=name, country=country_code(name)))
    seen: set[str] = set()
    locations = []
    for location in found:
        if location is not None and location.raw and location.raw.casefold() not in seen:
            seen.add(location.raw.casefold())
            locations.append(location)
    return locations


def _salary(value: Any) -> Salary | None:
    amount = as_dict(_first(value))
    if not amount:
        return None
    inner = amount.get("value")
    currency = amount.get("currency") or as_dict(inner).get("currency")
    if isinstance(inner, dict):
        single = inner.get("value")
        low = inner.get("minValue", single)
        high = inner.get("maxValue", single)
        unit = inner.get("unitText") or amount.get("unitText")
    else:
        low = high = inner
        unit = amount.get("unitText")
    return parse_salary(low, high, currency, unit if isinstance(unit, str) else None)

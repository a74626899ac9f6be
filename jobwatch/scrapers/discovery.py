"""Board discovery: from a careers URL a user pasted to a board token (issue 3, "Board discovery").

`discover_board(url, client=...)` tries, in order:

1. the URL itself: `board_ref_from_url` knows the URL shapes of every ATS (board pages, embeds, API
   URLs, Workday tenant hosts); no network;
2. the page, read through the client it is given, which must be a guarded client
   (`scrapers.guard.make_guarded_client`: the URL is the user's) and only when the site's robots.txt
   lets jobwatch's User-Agent read it (`robots_allows`, RFC 9309):
   - the URL the page ended up at after redirects (`acme.com/careers` -> `boards.greenhouse.io/acme`);
   - links to a known ATS in the page (`find_ats_board`): `href`/`src` of links, iframes, scripts,
     forms ..., and absolute URLs inside inline scripts; the board linked most often wins (a page may
     link one posting of a partner's board but embed its own);
   - schema.org JobPosting JSON-LD on the page: the page itself becomes a `jsonld:URL` board;
3. else None.

Failures a user can act on are `BadInput` with a sentence for the web form: a refused address ("cannot
read http://10.0.0.1/careers: refused: 10.0.0.1 is a private address"), a page that could not be read,
a robots.txt that asks robots to stay away. The `ScrapeError` behind one is its `__cause__`.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urldefrag, urljoin
from urllib.robotparser import RobotFileParser

import httpx
from parsel import Selector

from jobwatch.errors import BadInput
from jobwatch.scrapers.base import BoardNotFound, ParseError, ScrapeError, UnsafeURL, UpstreamError
from jobwatch.scrapers.boards import BoardRef, board_ref_from_url, parse_board_token
from jobwatch.scrapers.guard import parse_url
from jobwatch.scrapers.http import USER_AGENT, request
from jobwatch.scrapers.jsonld import decode_page, extract_postings

#: The longest page URL kept as a `jsonld:URL` board token (services accept 500 characters of input).
MAX_PAGE_URL = 500

_HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"
# Attributes that point at other documents; an ATS shows up in one of these when a page embeds or links it.
_LINK_XPATH = (
    "//a/@href | //area/@href | //link/@href | //iframe/@src | //iframe/@data-src | //frame/@src"
    " | //script/@src | //form/@action | //embed/@src | //object/@data"
)
# Absolute (or scheme-relative) URLs inside inline scripts: embed snippets configure the board there.
_SCRIPT_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?[^\s"'<>`\\)]*""")


def discover_board(url: str, *, client: httpx.Client) -> BoardRef | None:
    """The board a careers URL names or shows, or None when none is found.

    `url`: what the user typed (http or https; without a scheme, https is assumed). `client`: a guarded
    client (`make_guarded_client`) for the page and its robots.txt, asked for at most two documents (one
    try each; redirects followed by the client). Order: URL shapes (no network), then robots.txt, then the
    page's final URL, links to a known ATS in it (the most frequent board wins), JSON-LD JobPosting (a
    `jsonld:URL` board of the page's final URL). Raises `BadInput` for a refused URL (`UnsafeURL` as
    cause), a page or robots.txt that could not be read, or a robots.txt that disallows the page.
    """
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    ref = board_ref_from_url(text)
    if ref is not None:
        return ref
    try:
        target = parse_url(text)
        if not robots_allows(client, text):
            raise BadInput(
                f"the robots.txt of {target.host} asks robots not to read {target.path or '/'}; "
                "add the board by its token instead (such as greenhouse:acme)"
            )
        response = request(client, "GET", text, headers={"Accept": _HTML_ACCEPT}, retries=1)
    except UnsafeURL as exc:
        raise BadInput(f"cannot read {text}: {exc}") from exc
    except ScrapeError as exc:
        raise BadInput(f"could not read {text}: {exc}") from exc

    final_url = urldefrag(str(response.url)).url
    ref = board_ref_from_url(final_url)
    if ref is not None:
        return ref
    page = decode_page(response.content, response.headers.get("Content-Type"))
    ref = find_ats_board(page, page_url=final_url)
    if ref is not None:
        return ref
    try:
        postings = extract_postings(page, board=None, page_url=final_url)
    except ParseError:  # an empty body or one that is neither markup nor JSON holds no postings
        postings = []
    if postings:
        page_url = final_url if len(final_url) <= MAX_PAGE_URL else urldefrag(text).url
        return parse_board_token(f"jsonld:{page_url}")
    return None


def find_ats_board(page: str, *, page_url: str | None = None) -> BoardRef | None:
    """The known-ATS board a page links to or embeds most often, or None. No network.

    `page`: the page's HTML; `page_url`: where it lives (relative links resolve against it). Reads the
    `href`/`src`/`action`/`data` of links, areas, iframes (also lazy `data-src`), frames, scripts,
    forms, embeds and objects, and absolute URLs in inline scripts (JSON-escaped `\\/` included); each
    goes through `board_ref_from_url`. Ties go to the board seen first.
    """
    try:
        selector = Selector(text=page, type="html")
    except (ValueError, TypeError):
        return None
    candidates = [urljoin(page_url or "", value.strip()) for value in selector.xpath(_LINK_XPATH).getall()]
    for script in selector.xpath("//script[not(@src)]/text()").getall():
        for match in _SCRIPT_URL.finditer(script.replace("\\/", "/")):
            found = match.group(0)
            candidates.append("https:" + found if found.startswith("//") else found)
    counts: Counter[BoardRef] = Counter()
    for candidate in candidates:
        ref = board_ref_from_url(candidate) if candidate.lower().startswith(("http://", "https://")) else None
        if ref is not None:
            counts[ref] += 1
    if not counts:
        return None
    # most_common keeps first-seen order among equal counts.
    return counts.most_common(1)[0][0]


def robots_allows(client: httpx.Client, url: str, *, user_agent: str | None = None) -> bool:
    """Whether the site's `/robots.txt` lets `user_agent` (default: the client's User-Agent) read `url`.

    Follows RFC 9309: robots.txt answering 4xx (none there) allows everything; one that cannot be read
    (5xx, 429, network errors) raises `UpstreamError`/`RateLimited` — the caller treats the site as
    closed. Fetched with one try through `client` (so a guarded client's address checks apply: raises
    `UnsafeURL`); its rules are read with `urllib.robotparser`, which matches a `User-agent` line
    against the product name (`jobwatch`) of the User-Agent.
    """
    target = httpx.URL(url)
    robots_url = target.copy_with(path="/robots.txt", query=None, fragment=None)
    agent = user_agent or client.headers.get("User-Agent") or USER_AGENT
    try:
        response = request(client, "GET", str(robots_url), headers={"Accept": "text/plain,*/*;q=0.5"}, retries=1)
    except BoardNotFound:
        return True
    except UpstreamError as exc:
        if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
            return True
        raise UpstreamError(f"robots.txt of {target.host} could not be read: {exc}", url=str(robots_url)) from None
    parser = RobotFileParser()
    parser.parse(response.content.decode("utf-8", "replace").splitlines())
    return parser.can_fetch(agent, str(target))

"""Board tokens (CONTRACT section 4): parsing `SOURCE:TOKEN`, recognising board URLs, filling API templates.

A board is named by a token such as `greenhouse:stripe`, `lever-eu:acme`, `workday:acme.wd5/External`
or `jsonld:https://example.com/careers/123`. `BoardRef` holds it parsed: `source` (the part before the
first colon), `token` (the part after it, which is what a posting's `board` field holds) and `parts`,
the values for the `{token}`, `{tenant}`, `{dc}` and `{site}` placeholders of the `<SOURCE>_API_URL`
templates. Nothing here touches the network.

URL recognition is a table of per-host readers (`_URL_READERS`) and, for sources whose board is part
of the host name (`acme.wd5.myworkdayjobs.com`, `acme.recruitee.com`), of host-suffix readers
(`_SUFFIX_READERS`); a source added later adds its hosts there.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, unquote, urlsplit

from jobwatch.errors import BadInput

#: Every source name a board token may start with. `lever-eu` is Lever's EU host; its postings
#: still have `source` "lever".
BOARD_SOURCES: tuple[str, ...] = (
    "greenhouse",
    "lever",
    "lever-eu",
    "ashby",
    "workday",
    "smartrecruiters",
    "workable",
    "recruitee",
    "personio",
    "jsonld",
)

#: The posting `source` (CONTRACT section 1) each board source belongs to.
SOURCE_FAMILY: dict[str, str] = {name: name for name in BOARD_SOURCES} | {"lever-eu": "lever"}

_EXAMPLES = (
    "greenhouse:TOKEN, lever:SITE, lever-eu:SITE, ashby:NAME, workday:TENANT.wdN/SITE, "
    "smartrecruiters:COMPANY, workable:ACCOUNT, recruitee:COMPANY, personio:COMPANY, jsonld:URL"
)
_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
# Ashby job board names are display-ish ("HighlightTA") and may hold spaces.
_ASHBY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$")
# Recruitee and Personio tokens become a host name label ({token}.recruitee.com).
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_WORKDAY = re.compile(r"^(?P<tenant>[a-z0-9][a-z0-9_-]*)\.(?P<dc>wd\d{1,3})/(?P<site>[A-Za-z0-9][A-Za-z0-9._-]*)$")


@dataclass(frozen=True, slots=True)
class BoardRef:
    """A parsed board token. Equal and hashed by `source` and `token`.

    `source`: a `BOARD_SOURCES` name; `token`: the part after the first colon (`stripe`,
    `acme.wd5/External`, a URL for jsonld); `parts`: placeholder values for API URL templates, always
    with `token`, plus `site` (lever), `tenant`/`dc`/`site` (workday).
    """

    source: str
    token: str
    parts: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """The board token as written back: `"greenhouse:stripe"`."""
        return f"{self.source}:{self.token}"

    @property
    def family(self) -> str:
        """The posting `source` this board's postings carry (`lever` for `lever-eu`)."""
        return SOURCE_FAMILY[self.source]


def _ref(source: str, token: str, **extra: str) -> BoardRef:
    return BoardRef(source=source, token=token, parts={"token": token, **extra})


def parse_board_token(text: str) -> BoardRef:
    """Parse a CONTRACT section 4 board token such as `greenhouse:stripe` into a `BoardRef`.

    The source name is case-insensitive; surrounding blanks and a trailing `/` are ignored. Workday's
    tenant and data centre, the host-name tokens of Recruitee and Personio, and Greenhouse and Lever
    tokens (which those services only issue in lower case, and read case-insensitively) are lower-cased, so
    `greenhouse:Stripe` and `greenhouse:stripe` are one board; other tokens keep their case. Raises
    `BadInput` with the accepted forms when the source is unknown or the token is malformed (`greenhouse:`,
    `workday:acme/External`, `jsonld:ftp://...`).
    """
    if not isinstance(text, str) or ":" not in text:
        raise BadInput(f"board {text!r} is not SOURCE:TOKEN; expected one of {_EXAMPLES}")
    source, token = text.strip().split(":", 1)
    source = source.strip().lower()
    token = token.strip()
    if source not in SOURCE_FAMILY:
        raise BadInput(f"unknown board source {source!r} in {text!r}; expected one of {_EXAMPLES}")
    if source != "jsonld":
        token = token.rstrip("/")
    if not token:
        raise BadInput(f"board {text!r} has no token after {source + ':'!r}")

    if source == "workday":
        host_part, slash, site_part = token.partition("/")
        match = _WORKDAY.match(f"{host_part.lower()}/{site_part}") if slash else None
        if match is None:
            raise BadInput(
                f"workday board {text!r} is not workday:TENANT.wdN/SITE (for example workday:acme.wd5/External)"
            )
        tenant, dc, site = match.group("tenant"), match.group("dc"), match.group("site")
        return _ref(source, f"{tenant}.{dc}/{site}", tenant=tenant, dc=dc, site=site)
    if source == "jsonld":
        parts = urlsplit(token)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in token:
            raise BadInput(f"jsonld board {text!r} needs an http(s) URL of a career page after 'jsonld:'")
        return _ref(source, token)
    if source in ("recruitee", "personio"):
        token = token.lower()
        if not _HOST_LABEL.match(token):
            raise BadInput(f"{source} board {text!r}: the company token may hold only letters, digits and '-'")
        return _ref(source, token)
    if source in ("greenhouse", "lever", "lever-eu"):
        token = token.lower()
    pattern = _ASHBY_NAME if source == "ashby" else _SLUG
    if not pattern.match(token):
        raise BadInput(
            f"{source} board {text!r}: the token may hold only letters, digits, '.', '_' and '-' "
            "(at most 100 characters)"
        )
    if source in ("lever", "lever-eu"):
        return _ref(source, token, site=token)
    return _ref(source, token)


def fill_template(template: str, ref: BoardRef) -> str:
    """An `<SOURCE>_API_URL` template with its placeholders filled from `ref.parts`, without a trailing `/`.

    Values are percent-encoded (no `/` passes through). Raises `BadInput` when the template uses a
    placeholder this board does not provide or is not a valid template.
    """
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise BadInput(f"API URL template {template!r} is not valid: {exc}") from None
    missing = sorted(name for name in names if name not in ref.parts)
    if missing:
        raise BadInput(
            f"API URL template {template!r} uses {{{missing[0]}}}, which board {ref.key!r} does not provide "
            f"(it provides {', '.join('{' + k + '}' for k in sorted(ref.parts))})"
        )
    values = {name: quote(value, safe="") for name, value in ref.parts.items()}
    return template.format_map(values).rstrip("/")


# ------------------------------------------------------------------------------------------------
# Board URLs
# ------------------------------------------------------------------------------------------------

UrlReader = Callable[[str, list[str], dict[str, list[str]]], BoardRef | None]


def _safe_ref(text: str) -> BoardRef | None:
    try:
        return parse_board_token(text)
    except BadInput:
        return None


def _greenhouse(host: str, segments: list[str], query: dict[str, list[str]]) -> BoardRef | None:
    embedded = query.get("for")
    if embedded:
        return _safe_ref(f"greenhouse:{embedded[0]}")
    if host.startswith("boards-api.") or host == "api.greenhouse.io":
        # /v1/boards/TOKEN/jobs[...]
        if len(segments) >= 3 and segments[0] == "v1" and segments[1] == "boards":
            return _safe_ref(f"greenhouse:{segments[2]}")
        return None
    if segments and segments[0] not in ("embed", "v1"):
        return _safe_ref(f"greenhouse:{segments[0]}")
    return None


def _lever(host: str, segments: list[str], query: dict[str, list[str]]) -> BoardRef | None:
    source = "lever-eu" if ".eu." in f".{host}" else "lever"
    if host.startswith("api."):
        # /v0/postings/SITE[/ID]
        if len(segments) >= 3 and segments[0] == "v0" and segments[1] == "postings":
            return _safe_ref(f"{source}:{segments[2]}")
        return None
    if segments:
        return _safe_ref(f"{source}:{segments[0]}")
    return None


def _ashby(host: str, segments: list[str], query: dict[str, list[str]]) -> BoardRef | None:
    if host == "api.ashbyhq.com":
        # /posting-api/job-board/NAME
        if len(segments) >= 3 and segments[0] == "posting-api" and segments[1] == "job-board":
            return _safe_ref(f"ashby:{segments[2]}")
        return None
    if segments and segments[0] not in ("api", "embed"):
        return _safe_ref(f"ashby:{segments[0]}")
    return None


_LOCALE = re.compile(r"^[a-z]{2}(?:-[a-z]{2,4})?$", re.IGNORECASE)
_WORKDAY_HOST = re.compile(r"^(?P<tenant>[a-z0-9][a-z0-9_-]*)\.(?P<dc>wd\d{1,3})\.myworkdayjobs\.com$")
_WORKDAY_SITE_HOST = re.compile(r"^(?P<dc>wd\d{1,3})\.myworkdaysite\.com$")


def _workday(host: str, segments: list[str], query: dict[str, list[str]]) -> BoardRef | None:
    site_host = _WORKDAY_SITE_HOST.match(host)
    if site_host:
        # wd5.myworkdaysite.com/[LOCALE/]recruiting/TENANT/SITE[/...]
        rest = segments[1:] if segments and _LOCALE.match(segments[0]) else segments
        if len(rest) >= 3 and rest[0] == "recruiting":
            return _safe_ref(f"workday:{rest[1]}.{site_host.group('dc')}/{rest[2]}")
        return None
    match = _WORKDAY_HOST.match(host)
    if match is None:
        return None
    tenant, dc = match.group("tenant"), match.group("dc")
    if len(segments) >= 4 and segments[0] == "wday" and segments[1] == "cxs":
        # The CXS API: /wday/cxs/TENANT/SITE/jobs
        return _safe_ref(f"workday:{segments[2]}.{dc}/{segments[3]}")
    # The career site: /[LOCALE/]SITE[/job/...]; a bare locale or a path of pages is no site.
    rest = segments[1:] if segments and _LOCALE.match(segments[0]) else segments
    if rest and rest[0] not in ("wday", "job", "details"):
        return _safe_ref(f"workday:{tenant}.{dc}/{rest[0]}")
    return None


def _smartrecruiters(host: str, segments: list[str], query: dict[str, list[str]]) -> BoardRef | None:
    if host == "api.smartrecruiters.com":
        # /v1/companies/COMPANY/postings[/ID]
        if len(segments) >= 3 and segments[0] == "v1" and segments[1] == "companies":
            return _safe_ref(f"smartrecruiters:{segments[2]}")
        return None
    if segments and segments[0] in ("oneclick-ui", "external-referrals"):
        # jobs.smartrecruiters.com/oneclick-ui/company/COMPANY/publication/...
        if "company" in segments[:-1]:
            return _safe_ref(f"smartrecruiters:{segments[segments.index('company') + 1]}")
        return None
    if segments and segments[0] not in ("sr-jobs", "api", "ni"):
        return _safe_ref(f"smartrecruiters:{segments[0]}")
    return None


def _workable(host: str, segments: list[str], query: dict[str, list[str]]) -> BoardRef | None:
    if host in ("apply.workable.com", "www.workable.com", "workable.com"):
        # apply.workable.com/api/v1/widget/accounts/ACCOUNT, /api/v3/accounts/ACCOUNT/jobs,
        # www.workable.com/api/accounts/ACCOUNT
        if segments and segments[0] == "api":
            if "accounts" in segments[:-1]:
                return _safe_ref(f"workable:{segments[segments.index('accounts') + 1]}")
            return None
        # apply.workable.com/ACCOUNT[/j/SHORTCODE]; /j/SHORTCODE alone names no account.
        if segments and segments[0] not in ("j", "api", "careers", "static") and host == "apply.workable.com":
            return _safe_ref(f"workable:{segments[0]}")
        return None
    account = host.removesuffix(".workable.com")
    if account and "." not in account and account not in ("apply", "jobs", "www", "help", "resources"):
        return _safe_ref(f"workable:{account}")
    return None


def _subdomain_reader(source: str, suffix: str, reserved: frozenset[str]) -> UrlReader:
    """A reader for sources whose board is the first host label (`acme.recruitee.com`)."""

    def read(host: str, segments: list[str], query: dict[str, list[str]]) -> BoardRef | None:
        label = host.removesuffix(suffix)
        if not label or "." in label or label in reserved:
            return None
        return _safe_ref(f"{source}:{label}")

    return read


_recruitee = _subdomain_reader("recruitee", ".recruitee.com", frozenset({"www", "app", "api", "blog", "support"}))
_personio_de = _subdomain_reader("personio", ".jobs.personio.de", frozenset({"www"}))
_personio_com = _subdomain_reader("personio", ".jobs.personio.com", frozenset({"www"}))

#: Sources whose board shows in the host name: (host suffix, reader), tried in order after `_URL_READERS`.
_SUFFIX_READERS: tuple[tuple[str, UrlReader], ...] = (
    (".myworkdayjobs.com", _workday),
    (".myworkdaysite.com", _workday),
    (".workable.com", _workable),
    (".recruitee.com", _recruitee),
    (".jobs.personio.de", _personio_de),
    (".jobs.personio.com", _personio_com),
)


_URL_READERS: dict[str, UrlReader] = {
    "boards.greenhouse.io": _greenhouse,
    "job-boards.greenhouse.io": _greenhouse,
    "boards.eu.greenhouse.io": _greenhouse,
    "job-boards.eu.greenhouse.io": _greenhouse,
    "boards-api.greenhouse.io": _greenhouse,
    "boards-api.eu.greenhouse.io": _greenhouse,
    "api.greenhouse.io": _greenhouse,
    "jobs.lever.co": _lever,
    "jobs.eu.lever.co": _lever,
    "api.lever.co": _lever,
    "api.eu.lever.co": _lever,
    "jobs.ashbyhq.com": _ashby,
    "api.ashbyhq.com": _ashby,
    "jobs.smartrecruiters.com": _smartrecruiters,
    "careers.smartrecruiters.com": _smartrecruiters,
    "api.smartrecruiters.com": _smartrecruiters,
    "apply.workable.com": _workable,
    "workable.com": _workable,
}


def board_ref_from_url(url: str) -> BoardRef | None:
    """The board a URL belongs to, or None when it is not a recognised board URL. No network.

    Recognised: Greenhouse `boards.greenhouse.io/TOKEN[/jobs/ID]`, `job-boards.greenhouse.io/TOKEN`,
    `job-boards.eu.greenhouse.io/TOKEN`, `boards-api.greenhouse.io/v1/boards/TOKEN/...`, embed URLs
    with `?for=TOKEN`; Lever `jobs.lever.co/SITE[/ID]`, `api.lever.co/v0/postings/SITE` (and the
    `eu.` hosts, giving `lever-eu`); Ashby `jobs.ashbyhq.com/NAME[/ID]`,
    `api.ashbyhq.com/posting-api/job-board/NAME`; Workday `TENANT.wdN.myworkdayjobs.com/[LOCALE/]SITE[/job/...]`,
    `TENANT.wdN.myworkdayjobs.com/wday/cxs/TENANT/SITE/...` and `wdN.myworkdaysite.com/[LOCALE/]recruiting/
    TENANT/SITE`; SmartRecruiters `jobs.smartrecruiters.com/COMPANY[/ID-slug]`,
    `careers.smartrecruiters.com/COMPANY`, `api.smartrecruiters.com/v1/companies/COMPANY/...`; Workable
    `apply.workable.com/ACCOUNT[/j/CODE]`, `ACCOUNT.workable.com`, the widget and account API URLs
    (`apply.workable.com/api/v1/widget/accounts/ACCOUNT`); Recruitee `COMPANY.recruitee.com[/o/slug]`;
    Personio `COMPANY.jobs.personio.de` and `COMPANY.jobs.personio.com`. A URL typed without a scheme is
    read as https. A company's own careers site (`stripe.com/jobs/search?gh_jid=...`) and a posting link
    that hides the board (`apply.workable.com/j/CODE`) name no board: None.
    """
    if not isinstance(url, str) or not url.strip():
        return None
    text = url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    reader = _URL_READERS.get(host)
    if reader is None:
        reader = next((read for suffix, read in _SUFFIX_READERS if host.endswith(suffix)), None)
    if reader is None:
        return None
    segments = [unquote(s) for s in parts.path.split("/") if s]
    return reader(host, segments, parse_qs(parts.query))


def resolve_board(text: str) -> BoardRef:
    """A board from what an operator typed: a token (`greenhouse:stripe`) or a board URL.

    Raises `BadInput` naming the accepted forms when it is neither.
    """
    stripped = (text or "").strip()
    source = stripped.split(":", 1)[0].lower()
    if source in SOURCE_FAMILY:
        return parse_board_token(stripped)
    ref = board_ref_from_url(stripped)
    if ref is None:
        raise BadInput(f"{text!r} is neither a board token ({_EXAMPLES}) nor a recognised job board URL")
    return ref


def board_from_urls(urls: Iterable[str | None], family: str) -> str | None:
    """The board token of the first URL that is a board URL of this posting source, or None.

    Used to default a parsed file's `board` from its postings' links (Greenhouse `absolute_url`,
    Lever `hostedUrl`, Ashby `jobUrl`).
    """
    for url in urls:
        if url:
            ref = board_ref_from_url(url)
            if ref is not None and ref.family == family:
                return ref.token
    return None


def board_argument(board: str | None, family: str) -> str | None:
    """The `board` value for postings from a `--board` argument: a token (`stripe`) or a full board
    token of this source (`greenhouse:stripe` -> `stripe`). Raises `BadInput` for another source's
    board token (`lever:acme` given to the Greenhouse parser) or a blank value."""
    if board is None:
        return None
    text = board.strip()
    if not text:
        raise BadInput("--board is empty; give a board token such as greenhouse:stripe, or leave it out")
    prefix = text.split(":", 1)[0].lower()
    if ":" in text and prefix in SOURCE_FAMILY:
        ref = parse_board_token(text)
        if ref.family != family:
            raise BadInput(f"board {text!r} belongs to {ref.family}, not {family}")
        return ref.token
    return text

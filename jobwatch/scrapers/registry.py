"""The source registry: which adapter reads which source, its API URL setting, and `parse_file`.

`SOURCES` are the CONTRACT section 1 source names, each with its adapter module
(`jobwatch.scrapers.<source>`). Board sources (`BoardRef.source`) map here too: `lever-eu` is the Lever
adapter with its own `LEVER_EU_API_URL` setting. A `jsonld` board has no API URL: its token is the page.

Settings are not read here (adapters only parse and fetch): the services layer looks up
`api_url_setting(source)` in its settings object and falls back to `default_api_url(source)`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jobwatch.core.postings import Posting
from jobwatch.errors import BadInput
from jobwatch.scrapers import (
    ashby,
    greenhouse,
    jsonld,
    lever,
    personio,
    recruitee,
    smartrecruiters,
    workable,
    workday,
)
from jobwatch.scrapers.base import Adapter

#: CONTRACT section 1 source names, in the order the CONTRACT lists them.
SOURCES: tuple[str, ...] = (
    "greenhouse",
    "lever",
    "ashby",
    "workday",
    "smartrecruiters",
    "workable",
    "recruitee",
    "personio",
    "jsonld",
)

#: The `<SOURCE>_API_URL` setting each board source reads (CONTRACT section 4).
API_URL_SETTINGS: dict[str, str] = {name: f"{name.upper()}_API_URL" for name in SOURCES} | {
    "lever-eu": "LEVER_EU_API_URL"
}

#: Defaults of those settings; placeholders are filled from `BoardRef.parts`.
DEFAULT_API_URLS: dict[str, str] = {
    "greenhouse": greenhouse.DEFAULT_API_URL,
    "lever": lever.DEFAULT_API_URL,
    "lever-eu": lever.DEFAULT_EU_API_URL,
    "ashby": ashby.DEFAULT_API_URL,
    "workday": workday.DEFAULT_API_URL,
    "smartrecruiters": smartrecruiters.DEFAULT_API_URL,
    "workable": workable.DEFAULT_API_URL,
    "recruitee": recruitee.DEFAULT_API_URL,
    "personio": personio.DEFAULT_API_URL,
    # A JSON-LD board's token is the page URL itself; there is no API host.
    "jsonld": jsonld.DEFAULT_API_URL,
}


#: Adapter per source name and per board source (`lever-eu`).
ADAPTERS: dict[str, Adapter] = {
    "greenhouse": greenhouse,
    "lever": lever,
    "lever-eu": lever,
    "ashby": ashby,
    "workday": workday,
    "smartrecruiters": smartrecruiters,
    "workable": workable,
    "recruitee": recruitee,
    "personio": personio,
    "jsonld": jsonld,
}


def get_adapter(source: str) -> Adapter:
    """The adapter for a source or board source name (case-insensitive).

    Raises `BadInput("unknown source 'x'; expected one of greenhouse, lever, ...")`.
    """
    key = source.strip().lower() if isinstance(source, str) else ""
    adapter = ADAPTERS.get(key)
    if adapter is None:
        raise BadInput(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    return adapter


def api_url_setting(source: str) -> str:
    """The name of the setting holding a board source's API URL template (`LEVER_EU_API_URL`)."""
    get_adapter(source)
    return API_URL_SETTINGS[source.strip().lower()]


def default_api_url(source: str) -> str:
    """The default API URL template of a board source (`https://api.eu.lever.co` for `lever-eu`)."""
    get_adapter(source)
    return DEFAULT_API_URLS[source.strip().lower()]


def parse_file(source: str, path: Path, *, board: str | None, fetched_at: datetime) -> list[Posting]:
    """Parse one saved board response from disk (`jobwatch parse SOURCE FILE`).

    Returns the postings in board order, each id once; a recognised file that lists nothing gives [].
    `board` defaults to what the file reveals (Greenhouse `absolute_url` on greenhouse.io, Lever
    `hostedUrl`, Ashby `jobUrl`, a Workday detail's `externalUrl`, SmartRecruiters posting links,
    Recruitee `careers_url` or `mailbox_email`), else null. Raises `BadInput` (`ParseError` for malformed content)
    whose message starts with the file's path: unknown source, unreadable file, malformed JSON or
    XML, wrong shape, a `--board` of another source.
    """
    where = str(path)
    try:
        adapter = get_adapter(source)
        try:
            body = Path(path).read_bytes()
        except OSError as exc:
            raise BadInput(f"cannot read the file: {exc.strerror or exc}") from None
        return adapter.parse(body, board=board, fetched_at=fetched_at)
    except BadInput as exc:
        if exc.path is not None:
            raise
        raise type(exc)(str(exc), path=where) from None

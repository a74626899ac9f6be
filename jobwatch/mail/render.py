"""Render digests to HTML and plain text from Jinja templates (`templates/`).

HTML templates are autoescaped (field case B16): scraped text is shown as inert text, escaped exactly once.
The plain-text part is not escaped, so its reader sees the raw characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from jobwatch.core.digests import DigestContent


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    """A rendered email: subject, HTML body and plain-text body."""

    subject: str
    html: str
    text: str


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("jobwatch", "mail/templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_digest(content: DigestContent) -> RenderedEmail:
    """Render `content` with `digest.html` and `digest.txt`; `content.links` needs `inbox` and `unsubscribe`."""
    env = _environment()
    context = {"digest": content, "links": content.links}
    return RenderedEmail(
        subject=content.subject,
        html=env.get_template("digest.html").render(context),
        text=env.get_template("digest.txt").render(context),
    )

"""Signed, stateless tokens for links in emails and feeds, made with HMAC-SHA256 over `SECRET_KEY`.

Two shapes, both `.`-separated and URL-safe:
- `<user id>.<purpose>.<signature>`: the whole account (the unsubscribe links of older digests).
- `<user id>.<alert ids joined by ->.<purpose>.<signature>`: some of the user's alerts (an unsubscribe link
  for the alerts one digest covers, an alert's feed).

The signature covers everything before it, so no part can be changed; a forged, altered or truncated token,
or one made for another purpose, reads as None and reveals nothing. Tokens do not expire: they stay valid until
`SECRET_KEY` changes (an unsubscribe link must keep working in an old email).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass

from jobwatch.config import get_settings

#: Most alert ids one token may name (a digest covers a handful of alerts; this bounds the URL length).
MAX_ALERTS = 50


@dataclass(frozen=True, slots=True)
class LinkToken:
    """What a valid token names: a user and, unless it covers the whole account, some of their alerts."""

    user_id: int
    alert_ids: tuple[int, ...] = ()


def _signature(payload: str) -> str:
    key = get_settings().effective_secret_key.encode()
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def make_link_token(user_id: int, purpose: str, *, alert_ids: Sequence[int] = ()) -> str:
    """A token that proves `purpose` (`unsub`, `feed`) for `user_id`, or for some of that user's alerts.

    `alert_ids` are kept in the given order without duplicates; at most `MAX_ALERTS` (`ValueError` beyond).
    `purpose` must not contain `.`.
    """
    if "." in purpose or not purpose:
        raise ValueError("a token purpose is a non-empty word without dots")
    unique = list(dict.fromkeys(int(a) for a in alert_ids))
    if len(unique) > MAX_ALERTS:
        raise ValueError(f"a token names at most {MAX_ALERTS} alerts")
    payload = f"{user_id}.{purpose}" if not unique else f"{user_id}.{'-'.join(map(str, unique))}.{purpose}"
    return f"{payload}.{_signature(payload)}"


def read_token(token: str, purpose: str) -> LinkToken | None:
    """What a token of `purpose` names, or None when it is malformed, forged or of another purpose."""
    parts = token.split(".")
    if len(parts) == 3:
        user, alerts, token_purpose, signature = parts[0], "", parts[1], parts[2]
    elif len(parts) == 4:
        user, alerts, token_purpose, signature = parts
    else:
        return None
    if token_purpose != purpose or not user.isdigit() or len(user) > 18:
        return None
    alert_parts = alerts.split("-") if alerts else []
    if len(alert_parts) > MAX_ALERTS or not all(a.isdigit() and len(a) <= 18 for a in alert_parts):
        return None
    payload = token.rsplit(".", 1)[0]
    if not hmac.compare_digest(signature.encode(), _signature(payload).encode()):
        return None
    return LinkToken(user_id=int(user), alert_ids=tuple(int(a) for a in alert_parts))

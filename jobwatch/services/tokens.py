"""Signed, stateless tokens for links in emails (unsubscribe), made with HMAC-SHA256 over `SECRET_KEY`.

A token is `<user id>.<purpose>.<signature>`; a forged or altered token reads as None, revealing nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from jobwatch.config import get_settings


def _signature(payload: str) -> str:
    key = get_settings().effective_secret_key.encode()
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def make_link_token(user_id: int, purpose: str) -> str:
    """A token that proves `purpose` (e.g. `unsub`) for `user_id`; valid until `SECRET_KEY` changes."""
    payload = f"{user_id}.{purpose}"
    return f"{payload}.{_signature(payload)}"


def read_link_token(token: str, purpose: str) -> int | None:
    """The user id a token of `purpose` was made for, or None when it is malformed, forged or of another purpose."""
    parts = token.split(".")
    if len(parts) != 3 or parts[1] != purpose or not parts[0].isdigit():
        return None
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], _signature(payload)):
        return None
    return int(parts[0])

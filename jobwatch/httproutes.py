"""Plain HTTP routes that must work without JavaScript or cookies (CONTRACT section 4), plus the alert feeds
and the mail service's webhook.

- `/unsubscribe?token=...`: mail scanners fetch every link in a message, so `GET` (and `HEAD`) only shows a
  confirmation page, with an `Unsubscribe` button for the alerts the token names and a `Stop all digest
  emails` button; `POST` (a button, or a mail client's RFC 8058 one-click request with the body
  `List-Unsubscribe=One-Click`) unsubscribes, `&scope=all` every alert. An unknown or forged token answers
  404 and reveals nothing (field case B14).
- `GET /feeds/<token>`: an alert's Atom feed at its secret URL; 404 for anything else.
- `POST /webhooks/resend`: Resend's signed events (bounces, complaints); 401 when the signature fails.
"""

from __future__ import annotations

import json
import logging
from html import escape
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from jobwatch.config import get_settings
from jobwatch.db import session_scope
from jobwatch.services.feeds import alert_feed
from jobwatch.services.mail_events import SignatureError, receive_webhook
from jobwatch.services.unsubscribe import read_unsubscribe, unsubscribe

log = logging.getLogger(__name__)

#: Resend's webhook bodies are small JSON documents; anything bigger is refused unread.
MAX_WEBHOOK_BYTES = 256 * 1024

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title} · jobwatch</title></head>
<body style="margin:0;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;
background:#f4f5f7;color:#1f2328;">
<main style="max-width:480px;margin:64px auto;background:#fff;border-radius:8px;padding:32px;">
<h1 style="font-size:22px;margin:0 0 12px 0;">{title}</h1>{body}</main></body></html>"""

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
_PRIMARY = "background:#0b5cad;color:#fff;border:0;border-radius:6px;padding:10px 16px;font-size:15px;cursor:pointer;"
_SECONDARY = (
    "background:#fff;color:#1f2328;border:1px solid #c7ccd1;border-radius:6px;padding:9px 15px;font-size:14px;"
    "cursor:pointer;"
)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status, headers=_HEADERS)


def _not_found() -> HTMLResponse:
    return _page("Link not valid", "<p>This unsubscribe link is not valid.</p>", 404)


def _form(token: str, label: str, style: str, *, all_alerts: bool) -> str:
    action = f"/unsubscribe?token={quote(token, safe='')}" + ("&scope=all" if all_alerts else "")
    return (
        f'<form method="post" action="{escape(action, quote=True)}" style="margin:16px 0 0 0;">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        f'<button type="submit" style="{style}">{escape(label)}</button></form>'
    )


def _describe(token: str) -> tuple[bool, list[str]] | None:
    """(account-wide, names of the alerts it covers) for a valid token; None otherwise. Reads only."""
    with session_scope() as session:
        target = read_unsubscribe(session=session, token=token)
        if target is None:
            return None
        return target.account_wide, [a.name for a in target.alerts]


def _apply(token: str, scope: str) -> bool:
    with session_scope() as session:
        return unsubscribe(session=session, token=token, scope="all" if scope == "all" else "token")


async def unsubscribe_page(request: Request) -> HTMLResponse:
    """`GET /unsubscribe?token=...`: a confirmation page with an `Unsubscribe` button; changes nothing."""
    token = request.query_params.get("token", "")
    described = await run_in_threadpool(_describe, token) if token else None
    if described is None:
        return _not_found()
    account_wide, names = described
    keeps = "Your inbox on jobwatch keeps working, and account emails (such as password resets) still arrive."
    if account_wide:
        return _page(
            "Unsubscribe from job alert emails?",
            f'<p style="line-height:1.5">You will stop getting digest emails for all your alerts. {keeps}</p>'
            + _form(token, "Unsubscribe", _PRIMARY, all_alerts=False),
        )
    if names:
        quoted = ", ".join(f"“{escape(n)}”" for n in names)
        noun = "alert" if len(names) == 1 else "alerts"
        what = f"You will stop getting digest emails for your {noun} {quoted}."
    else:
        what = "The alert of this email no longer exists, so it sends no more emails."
    return _page(
        "Unsubscribe from job alert emails?",
        f'<p style="line-height:1.5">{what} {keeps}</p>'
        + _form(token, "Unsubscribe", _PRIMARY, all_alerts=False)
        + '<p style="line-height:1.5;margin:24px 0 0 0;color:#57606a;font-size:14px;">'
        "Or stop every digest email from jobwatch, for all your alerts:</p>"
        + _form(token, "Stop all digest emails", _SECONDARY, all_alerts=True),
    )


async def unsubscribe_post(request: Request) -> HTMLResponse:
    """`POST /unsubscribe?token=...[&scope=all]`: unsubscribe (200), or 404 for an unknown or forged token."""
    token = request.query_params.get("token", "")
    scope = request.query_params.get("scope", "token")
    if not token or not await run_in_threadpool(_apply, token, scope):
        return _not_found()
    described = await run_in_threadpool(_describe, token)
    account_wide = described is None or described[0] or scope == "all"
    what = "No more digest emails will be sent." if account_wide else "This alert sends no more digest emails."
    # Email for every alert comes back on /settings; one alert's email comes back on /alerts ("Email on").
    where = '<a href="/settings">your settings</a>' if account_wide else '<a href="/alerts">your alerts page</a>'
    return _page(
        "You are unsubscribed",
        f'<p style="line-height:1.5">{what} Your inbox keeps working. You can turn email back on in {where}.</p>',
    )


def _feed(token: str) -> bytes | None:
    with session_scope() as session:
        return alert_feed(session=session, token=token)


async def feed(request: Request) -> Response:
    """`GET /feeds/<token>`: the alert's Atom feed, or 404 revealing nothing."""
    body = await run_in_threadpool(_feed, request.path_params["token"])
    if body is None:
        return Response("Not found", status_code=404, media_type="text/plain", headers=_HEADERS)
    return Response(
        body,
        media_type="application/atom+xml; charset=utf-8",
        headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"},
    )


def _webhook(body: bytes, headers: dict[str, str]) -> str:
    with session_scope() as session:
        result = receive_webhook(
            session=session, body=body, headers=headers, secret=get_settings().resend_webhook_secret
        )
        return result.outcome


async def resend_webhook(request: Request) -> JSONResponse:
    """`POST /webhooks/resend`: 200 with the outcome; 401 for a bad signature; 400 for a bad body."""
    body = await request.body()
    if len(body) > MAX_WEBHOOK_BYTES:
        return JSONResponse({"error": "too large"}, status_code=413)
    try:
        outcome = await run_in_threadpool(_webhook, body, dict(request.headers))
    except SignatureError as exc:
        log.warning("resend webhook refused: %s", exc)
        return JSONResponse({"error": "invalid signature"}, status_code=401)
    except (ValueError, json.JSONDecodeError):
        return JSONResponse({"error": "invalid body"}, status_code=400)
    return JSONResponse({"outcome": outcome})


ROUTES = [
    Route("/unsubscribe", unsubscribe_page, methods=["GET", "HEAD"]),
    Route("/unsubscribe", unsubscribe_post, methods=["POST"]),
    Route("/feeds/{token}", feed, methods=["GET", "HEAD"]),
    Route("/webhooks/resend", resend_webhook, methods=["POST"]),
]

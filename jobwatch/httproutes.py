"""Plain HTTP routes that must work without JavaScript or cookies: `/unsubscribe` (CONTRACT section 4).

Mail scanners fetch every link in a message, so `GET` only shows a confirmation page with an
`Unsubscribe` button; `POST` (the button, or a mail client's RFC 8058 one-click request with the body
`List-Unsubscribe=One-Click`) unsubscribes. An unknown or forged token answers 404 and reveals nothing.
"""

from __future__ import annotations

from html import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from jobwatch.db import session_scope
from jobwatch.services.unsubscribe import unsubscribe, user_for_unsubscribe

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{title} · jobwatch</title></head>
<body style="margin:0;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;
background:#f4f5f7;color:#1f2328;">
<main style="max-width:480px;margin:64px auto;background:#fff;border-radius:8px;padding:32px;">
<h1 style="font-size:22px;margin:0 0 12px 0;">{title}</h1>{body}</main></body></html>"""

_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status, headers=_HEADERS)


def _not_found() -> HTMLResponse:
    return _page("Link not valid", "<p>This unsubscribe link is not valid.</p>", 404)


def _check(token: str) -> bool:
    with session_scope() as session:
        return user_for_unsubscribe(session=session, token=token) is not None


def _apply(token: str) -> bool:
    with session_scope() as session:
        return unsubscribe(session=session, token=token)


async def unsubscribe_page(request: Request) -> HTMLResponse:
    """`GET /unsubscribe?token=...`: a confirmation page with an `Unsubscribe` button; changes nothing."""
    token = request.query_params.get("token", "")
    if not token or not await run_in_threadpool(_check, token):
        return _not_found()
    action = escape(f"/unsubscribe?token={token}", quote=True)
    return _page(
        "Unsubscribe from job alert emails?",
        '<p style="line-height:1.5">You will stop getting digest emails for all your alerts. Your inbox on '
        "jobwatch keeps working, and account emails (such as password resets) still arrive.</p>"
        f'<form method="post" action="{action}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit" style="background:#0b5cad;color:#fff;border:0;border-radius:6px;'
        'padding:10px 16px;font-size:15px;cursor:pointer;">Unsubscribe</button></form>',
    )


async def unsubscribe_post(request: Request) -> HTMLResponse:
    """`POST /unsubscribe?token=...`: unsubscribe (200), or 404 for an unknown or forged token."""
    token = request.query_params.get("token", "")
    if not token or not await run_in_threadpool(_apply, token):
        return _not_found()
    return _page(
        "You are unsubscribed",
        '<p style="line-height:1.5">No more digest emails will be sent. You can turn email back on for any alert '
        'on <a href="/alerts">your alerts page</a>.</p>',
    )


ROUTES = [
    Route("/unsubscribe", unsubscribe_page, methods=["GET", "HEAD"]),
    Route("/unsubscribe", unsubscribe_post, methods=["POST"]),
]

"""The Reflex app: every page with its `on_load` check, and the plain HTTP routes.

Reflex imports this module as `jobwatch.jobwatch` (`<app_name>/<app_name>.py`). The HTTP routes (`/healthz`,
`/metrics`, the favicon and `/unsubscribe`) live in a small Starlette app handed to Reflex as `api_transformer`:
Reflex mounts its own backend (and, in production, the compiled frontend) below it, so these routes answer
first, on the same port, and its middleware (`RequestContextMiddleware`: request ids, access log lines,
security headers) wraps every response the server sends. Logging and Sentry are set up when a server process
starts (a Reflex lifespan task), not at import, so compiling the app or importing it in tests changes nothing.
"""

from __future__ import annotations

import reflex as rx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobwatch.httproutes import ROUTES as MAIL_ROUTES
from jobwatch.metrics import metrics
from jobwatch.observability import RequestContextMiddleware, setup_process
from jobwatch.services.health import health
from jobwatch.ui import routes
from jobwatch.ui.components.layout import not_found_page
from jobwatch.ui.pages.account import (
    forgot_password_page,
    index_page,
    login_page,
    register_page,
    reset_password_page,
    verify_email_page,
)
from jobwatch.ui.pages.admin import admin_page
from jobwatch.ui.pages.alerts import alerts_page, edit_alert_page, new_alert_page
from jobwatch.ui.pages.boards import boards_page
from jobwatch.ui.pages.emails import emails_page
from jobwatch.ui.pages.inbox import inbox_page
from jobwatch.ui.pages.jobs import jobs_page, posting_page
from jobwatch.ui.pages.settings import settings_page
from jobwatch.ui.state.account import (
    ForgotPasswordState,
    LoginState,
    RegisterState,
    ResetPasswordState,
    VerifyEmailState,
)
from jobwatch.ui.state.admin import AdminState
from jobwatch.ui.state.alerts import AlertBuilderState, AlertsState
from jobwatch.ui.state.auth import AuthState
from jobwatch.ui.state.boards import BoardsState
from jobwatch.ui.state.emails import EmailsState
from jobwatch.ui.state.inbox import InboxState
from jobwatch.ui.state.jobs import JobsState, PostingState
from jobwatch.ui.state.settings import SettingsState


async def healthz(_request: Request) -> JSONResponse:
    """`GET /healthz`: 200 `{"db": "ok", "queue": "ok"}` when healthy, else 503 with the same keys."""
    healthy, report = await run_in_threadpool(health)
    return JSONResponse(report, status_code=200 if healthy else 503, headers={"Cache-Control": "no-store"})


#: The app's icon (a radar in the accent colour), inline so that no asset file is needed.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="#3e63dd"/>'
    '<circle cx="16" cy="16" r="9" fill="none" stroke="#fff" stroke-width="2"/>'
    '<circle cx="16" cy="16" r="3" fill="#fff"/><path d="M16 16 26 6" stroke="#fff" stroke-width="2.5" '
    'stroke-linecap="round"/></svg>'
)


async def favicon(_request: Request) -> Response:
    """`GET /favicon.ico` (and `.svg`): the icon, so browsers do not log a 404 for it."""
    return Response(FAVICON_SVG, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})


http_routes = Starlette(
    routes=[
        Route(routes.HEALTHZ, healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/favicon.svg", favicon, methods=["GET"]),
        *MAIL_ROUTES,
    ],
    middleware=[Middleware(RequestContextMiddleware)],
)

app = rx.App(
    api_transformer=http_routes,
    html_lang="en",
    head_components=[
        rx.el.meta(name="referrer", content="strict-origin-when-cross-origin"),
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
    ],
)
app.register_lifespan_task(setup_process)

app.add_page(index_page, route=routes.INDEX, title="jobwatch", on_load=AuthState.route_home)
app.add_page(login_page, route=routes.LOGIN, title="Log in · jobwatch", on_load=LoginState.load)
app.add_page(register_page, route=routes.REGISTER, title="Create account · jobwatch", on_load=RegisterState.load)
app.add_page(
    forgot_password_page,
    route=routes.FORGOT_PASSWORD,
    title="Forgot password · jobwatch",
    on_load=ForgotPasswordState.load,
)
app.add_page(
    reset_password_page,
    route=routes.RESET_PASSWORD,
    title="Set a new password · jobwatch",
    on_load=ResetPasswordState.load,
)
app.add_page(
    verify_email_page, route=routes.VERIFY_EMAIL, title="Confirm your email · jobwatch", on_load=VerifyEmailState.load
)
app.add_page(alerts_page, route=routes.ALERTS, title="Alerts · jobwatch", on_load=AlertsState.load)
app.add_page(new_alert_page, route=routes.NEW_ALERT, title="New alert · jobwatch", on_load=AlertBuilderState.load)
app.add_page(edit_alert_page, route=routes.EDIT_ALERT, title="Edit alert · jobwatch", on_load=AlertBuilderState.load)
app.add_page(inbox_page, route=routes.INBOX, title="Inbox · jobwatch", on_load=InboxState.load)
app.add_page(jobs_page, route=routes.JOBS, title="Jobs · jobwatch", on_load=JobsState.load)
app.add_page(posting_page, route=routes.POSTING, title="Job · jobwatch", on_load=PostingState.load)
app.add_page(boards_page, route=routes.BOARDS, title="Boards · jobwatch", on_load=BoardsState.load)
app.add_page(emails_page, route=routes.EMAILS, title="Emails · jobwatch", on_load=EmailsState.load)
app.add_page(settings_page, route=routes.SETTINGS, title="Settings · jobwatch", on_load=SettingsState.load)
app.add_page(admin_page, route=routes.ADMIN, title="Admin · jobwatch", on_load=AdminState.load)
app.add_page(not_found_page, route=routes.NOT_FOUND, title="Page not found · jobwatch")

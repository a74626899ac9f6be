"""Every URL of the web app in one place (CONTRACT section 4 names them; pages and redirects use these)."""

from __future__ import annotations

INDEX = "/"
LOGIN = "/login"
REGISTER = "/register"
FORGOT_PASSWORD = "/forgot-password"
ALERTS = "/alerts"
NEW_ALERT = "/alerts/new"
INBOX = "/inbox"
JOBS = "/jobs"
BOARDS = "/boards"
EMAILS = "/emails"
HEALTHZ = "/healthz"

#: Where a signed-in user lands (after login, registration, or opening `/`).
HOME = ALERTS

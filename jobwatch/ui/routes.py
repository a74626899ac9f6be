"""Every URL of the web app in one place (CONTRACT section 4 names them; pages and redirects use these)."""

from __future__ import annotations

INDEX = "/"
LOGIN = "/login"
REGISTER = "/register"
FORGOT_PASSWORD = "/forgot-password"
RESET_PASSWORD = "/reset-password"
VERIFY_EMAIL = "/verify-email"
ALERTS = "/alerts"
NEW_ALERT = "/alerts/new"
INBOX = "/inbox"
JOBS = "/jobs"
BOARDS = "/boards"
EMAILS = "/emails"
SETTINGS = "/settings"
ADMIN = "/admin"
HEALTHZ = "/healthz"

#: Where a signed-in user lands (after login, registration, or opening `/`).
HOME = ALERTS

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
#: One alert in the builder (Reflex dynamic route; the id is read from the URL path).
EDIT_ALERT = "/alerts/[alert_id]"
INBOX = "/inbox"
JOBS = "/jobs"
#: One posting (Reflex dynamic route).
POSTING = "/jobs/[posting_id]"
BOARDS = "/boards"
EMAILS = "/emails"
SETTINGS = "/settings"
ADMIN = "/admin"
HEALTHZ = "/healthz"
#: Reflex's slug for the page of unknown routes.
NOT_FOUND = "404"

#: Where a signed-in user lands (after login, registration, or opening `/`).
HOME = ALERTS

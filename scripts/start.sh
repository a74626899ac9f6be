#!/usr/bin/env bash
# Install everything (idempotent) and run jobwatch on the embedded default: SQLite, Huey's SQLite storage and
# the local mail outbox, with the web app (`jobwatch serve`) and one worker (`jobwatch worker`) together.
# Ctrl-C (or SIGTERM) stops both. PORT picks the port (default 8000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
PORT="${PORT:-8000}"
# Links in emails and feeds point at APP_URL: on another port, they follow it unless APP_URL is set.
export APP_URL="${APP_URL:-http://localhost:$PORT}"

.venv/bin/jobwatch db upgrade
.venv/bin/jobwatch worker &
WORKER=$!
.venv/bin/jobwatch serve --port "$PORT" &
WEB=$!

stop() {
    kill -TERM "$WEB" "$WORKER" 2>/dev/null || true
    wait "$WEB" "$WORKER" 2>/dev/null || true
}
trap stop INT TERM EXIT
printf '\njobwatch is starting: open http://localhost:%s once the web app says it is ready (Ctrl-C stops it)\n\n' "$PORT" >&2
wait -n "$WEB" "$WORKER"

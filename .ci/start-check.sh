#!/usr/bin/env bash
# Run the README's first command (`bash scripts/start.sh`) from this checkout on a free loopback port until
# `GET /healthz` answers 200, then stop it through its process group with SIGTERM and check that it exits and
# leaves nothing answering. Fails when it never gets healthy within START_TIMEOUT seconds (default 900).
set -euo pipefail
cd "$(dirname "$0")/.."
START_TIMEOUT="${START_TIMEOUT:-900}"
PORT="$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
healthz() { .venv/bin/python - "$PORT" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

echo "ci: bash scripts/start.sh on port $PORT" >&2
# Its own session, so one signal to the group reaches the script, the web app and the worker (no job control
# here, so setsid does not fork and $! is the group's leader).
PORT="$PORT" setsid bash scripts/start.sh >"$log" 2>&1 </dev/null &
leader=$!
stop_group() { kill -TERM -- "-$leader" 2>/dev/null || true; }
trap 'stop_group; sleep 1; kill -KILL -- "-$leader" 2>/dev/null || true; rm -f "$log"' EXIT

started=$(date +%s)
until healthz; do
    if ! kill -0 "$leader" 2>/dev/null; then
        echo "ci: scripts/start.sh exited before /healthz answered:" >&2; tail -n 60 "$log" >&2; exit 1
    fi
    if (( $(date +%s) - started > START_TIMEOUT )); then
        echo "ci: /healthz did not answer 200 within ${START_TIMEOUT} s:" >&2; tail -n 60 "$log" >&2; exit 1
    fi
    sleep 2
done
echo "ci: /healthz answered 200 after $(( $(date +%s) - started )) s; stopping" >&2

stop_group
for _ in $(seq 60); do kill -0 "$leader" 2>/dev/null || break; sleep 1; done
if kill -0 "$leader" 2>/dev/null; then
    echo "ci: scripts/start.sh did not stop within 60 s of SIGTERM:" >&2; tail -n 30 "$log" >&2; exit 1
fi
# The web app runs Reflex in a session of its own; it must have gone too.
for _ in $(seq 30); do healthz || break; sleep 1; done
if healthz; then echo "ci: something still answers on port $PORT after the stop" >&2; exit 1; fi
echo "ci: scripts/start.sh stopped cleanly" >&2

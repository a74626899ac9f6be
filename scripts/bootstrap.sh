#!/usr/bin/env bash
# Set up a jobwatch checkout so that `jobwatch serve` and the tests run with no other step.
#
# Idempotent and quick when everything is already there. It:
#   1. creates .venv (Python 3.11 or 3.12) when missing and installs jobwatch with its dev extras;
#   2. fetches bun (the JavaScript runtime Reflex builds the frontend with) from the npm registry into
#      .data/reflex/bun/bin/bun, because Reflex's own installer downloads a script from the web;
#   3. installs Debian's chromium for the browser test when /usr/bin/chromium is missing and we are root
#      (never `playwright install`: it downloads a browser build from outside the package registries).
#
# Environment: PYTHON picks the interpreter for a new .venv; JOBWATCH_SKIP_CHROMIUM=1 skips step 3;
# JOBWATCH_EXTRAS (default `dev`) names the optional dependencies installed with jobwatch (empty: none, as
# the Dockerfile does).
set -euo pipefail

cd "$(dirname "$0")/.."
PROJECT_DIR="$(pwd)"
VENV="$PROJECT_DIR/.venv"

log() { printf 'bootstrap: %s\n' "$*" >&2; }

# --- 1. Python environment -----------------------------------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    PYTHON="${PYTHON:-}"
    if [[ -z "$PYTHON" ]]; then
        for candidate in python3.11 python3.12 python3; do
            if command -v "$candidate" >/dev/null 2>&1; then PYTHON="$candidate"; break; fi
        done
    fi
    [[ -n "$PYTHON" ]] || { log "no python3 found; install Python 3.11 or 3.12"; exit 1; }
    log "creating .venv with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi

# Reinstall only when pyproject.toml changed since the last successful install (pip's resolver alone takes
# several seconds even when nothing is to do).
STAMP="$VENV/.jobwatch-installed"
if [[ ! -f "$STAMP" || pyproject.toml -nt "$STAMP" ]] || ! "$VENV/bin/python" -c 'import jobwatch' 2>/dev/null; then
    EXTRAS="${JOBWATCH_EXTRAS-dev}"
    log "installing jobwatch${EXTRAS:+ and its $EXTRAS dependencies} into .venv"
    "$VENV/bin/python" -m pip install --quiet -e ".${EXTRAS:+[$EXTRAS]}"
    touch "$STAMP"
fi

# --- 2. bun, from the npm registry ---------------------------------------------------------------------
# The logic (platform package, -baseline for CPUs without AVX2, pinned version) lives in Python so that
# `jobwatch serve` can use the same code when bun goes missing.
if ! command -v npm >/dev/null 2>&1; then
    log "npm not found: install Node.js 20+ (Debian: apt-get install -y nodejs npm); it is needed to fetch bun"
    exit 1
fi
"$VENV/bin/python" -m jobwatch.reflexenv >/dev/null

# --- 3. a browser for the browser test -----------------------------------------------------------------
if [[ ! -x /usr/bin/chromium && "${JOBWATCH_SKIP_CHROMIUM:-0}" != "1" ]]; then
    if [[ "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
        log "installing Debian's chromium for the browser test"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        log "/usr/bin/chromium is missing (the browser test will be skipped); as root: apt-get install -y chromium"
    fi
fi

log "ready: .venv/bin/jobwatch serve"

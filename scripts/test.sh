#!/usr/bin/env bash
# Install everything (idempotent) and run the whole test suite: unit, service and end-to-end tests on SQLite
# and PostgreSQL, and the browser tests in headless Chromium. Extra arguments go to pytest.
#
# JOBWATCH_FIXTURES_DIR (default: ../shared/fixtures/ats when it exists) adds every recorded board response;
# JOBWATCH_TEST_DATABASES=sqlite runs without PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh

if [[ -z "${JOBWATCH_FIXTURES_DIR:-}" && -d ../shared/fixtures/ats ]]; then
    export JOBWATCH_FIXTURES_DIR="$(cd ../shared/fixtures/ats && pwd)"
fi
mkdir -p test-artifacts
exec .venv/bin/python -m pytest "$@"

# jobwatch: the web app (`jobwatch serve`) and the workers (`jobwatch worker`) from one image.
#
#   docker build -t jobwatch .        then see compose.yaml and docs/deployment.md
#
# The build stage runs the same install and build commands as CI (.ci/run), so CI proves them on every change
# although Docker itself cannot run on the CI machines (tests/test_deploy_files.py keeps the two in step):
#   bash scripts/bootstrap.sh                            .venv with the pinned packages; bun from the npm registry
#   .venv/bin/python -m jobwatch.webserver --build-only  the Reflex production frontend, into .web/
# The runtime stage copies the result and runs as an unprivileged user; `jobwatch serve` then rebuilds the
# frontend from .web/ in seconds (for this container's APP_URL) without reaching any package registry.
ARG PYTHON_IMAGE=python:3.11-slim-trixie

FROM ${PYTHON_IMAGE} AS build
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    JOBWATCH_DATA_DIR=/app/.data JOBWATCH_SKIP_CHROMIUM=1 JOBWATCH_EXTRAS=
# npm only fetches bun (Reflex builds the frontend with bun); neither npm nor Node.js is in the final image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md rxconfig.py alembic.ini ./
COPY reflex.lock ./reflex.lock
COPY scripts ./scripts
COPY alembic ./alembic
COPY workers ./workers
COPY jobwatch ./jobwatch
RUN bash scripts/bootstrap.sh
RUN .venv/bin/python -m jobwatch.webserver --build-only \
    && rm -rf .data/reflex/bun-cache .data/jobwatch.db* .data/huey.db* .data/secret_key

FROM ${PYTHON_IMAGE} AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/app/.venv/bin:$PATH \
    JOBWATCH_DATA_DIR=/app/.data JOBWATCH_ENV=production LOG_FORMAT=json
RUN groupadd --system --gid 10001 jobwatch \
    && useradd --system --uid 10001 --gid jobwatch --home-dir /app --shell /usr/sbin/nologin jobwatch
WORKDIR /app
# The app folder belongs to the app user: `serve` rewrites .web/ (the frontend build) and .data/ at start.
COPY --from=build --chown=jobwatch:jobwatch /app /app
USER jobwatch
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"]
# `serve` stops cleanly on SIGTERM (Docker's default stop signal); so do the workers (`jobwatch worker`: finish or re-queue the tasks in hand).
CMD ["jobwatch", "serve", "--port", "8000"]

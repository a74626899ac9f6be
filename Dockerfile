# jobwatch: the web app (`jobwatch serve`) and workers (`jobwatch worker`) from one image.
# The steps mirror scripts/bootstrap.sh, which CI runs; Docker itself cannot run on the CI machines.
FROM python:3.11-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    JOBWATCH_DATA_DIR=/app/.data
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm unzip curl \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 jobwatch
WORKDIR /app

FROM base AS build
COPY pyproject.toml README.md rxconfig.py alembic.ini ./
COPY jobwatch ./jobwatch
COPY workers ./workers
COPY alembic ./alembic
COPY assets ./assets
COPY scripts ./scripts
RUN python -m venv .venv && .venv/bin/pip install -e . \
    && .venv/bin/python -m jobwatch.reflexenv >/dev/null

FROM base AS runtime
COPY --from=build --chown=jobwatch:jobwatch /app /app
USER jobwatch
ENV PATH=/app/.venv/bin:$PATH
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["jobwatch", "serve", "--port", "8000"]

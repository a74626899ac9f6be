"""Settings: one `Settings` object read from the environment and an optional `.env` file (CONTRACT section 4).

`get_settings()` builds it once per process; tests call `get_settings.cache_clear()` after changing the
environment. Nothing else in jobwatch reads `os.environ` for configuration.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The project folder (where `rxconfig.py` lives). The data folder sits inside it unless configured.
PROJECT_DIR = Path(__file__).resolve().parent.parent

PLACEHOLDER_SECRETS = frozenset({"", "changethis", "change-me", "changeme", "secret", "dev", "insecure"})


class ConfigError(RuntimeError):
    """The settings cannot be used (a production start without a real `SECRET_KEY`, say)."""


class Settings(BaseSettings):
    """Every setting jobwatch reads, with its default. Names are the environment variables' names.

    `<SOURCE>_API_URL` values are templates: `{token}`, `{tenant}`, `{dc}` and `{site}` take the board
    token's parts, so the whole stack can run against a loopback server replaying recorded responses.
    Those configured URLs are trusted; career page URLs that users type (`jsonld:URL` boards, pages read
    by board discovery) are held to public addresses, except on the hosts of `JSONLD_TRUSTED_HOSTS`.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    jobwatch_env: Literal["development", "production", "test"] = "development"
    jobwatch_data_dir: Path = PROJECT_DIR / ".data"
    database_url: str | None = None
    redis_url: str | None = None
    resend_api_key: str | None = None
    resend_api_url: str | None = None
    #: Resend's webhook signing secret (`whsec_...`); unset: the `/webhooks/resend` route refuses every call.
    resend_webhook_secret: str | None = None
    #: Resend API calls per second allowed to all worker processes together (Resend's default: 2).
    resend_rate_per_second: float = Field(default=2.0, gt=0, le=1000)
    #: Emails per Resend batch call (Resend's maximum: 100).
    resend_batch_size: int = Field(default=100, ge=1, le=100)
    #: Seconds before one Resend call is given up as timed out (and retried with the same idempotency key).
    resend_timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    #: Digests go only to addresses whose owner confirmed them (`User.email_verified_at`).
    require_verified_email: bool = True
    email_from: str = "jobwatch <jobwatch@localhost>"
    app_url: str = "http://localhost:8000"
    secret_key: str | None = None

    greenhouse_api_url: str = "https://boards-api.greenhouse.io"
    lever_api_url: str = "https://api.lever.co"
    lever_eu_api_url: str = "https://api.eu.lever.co"
    ashby_api_url: str = "https://api.ashbyhq.com"
    workday_api_url: str = "https://{tenant}.{dc}.myworkdayjobs.com"
    smartrecruiters_api_url: str = "https://api.smartrecruiters.com"
    workable_api_url: str = "https://apply.workable.com"
    recruitee_api_url: str = "https://{token}.recruitee.com"
    personio_api_url: str = "https://{token}.jobs.personio.de"
    #: Comma-separated `host[:port]` list (`127.0.0.1:8123, careers.intranet.example`, `[::1]:9000`) of
    #: career page hosts exempt from the public-address guard of user-supplied URLs (loopback test servers,
    #: an operator's own internal page); a host without a port is trusted on every port. Size and time
    #: limits still apply. Empty (the default): every user-supplied URL must be on a public address.
    jsonld_trusted_hosts: str = ""

    #: Boards one user may add to the shared watch list per 24 hours (admins and operators are not limited).
    boards_per_user_per_day: int = Field(default=20, ge=0, le=10_000)
    #: The User-Agent of every request to a job board or career page: say who is asking and how to reach them.
    scraper_user_agent: str = Field(default="jobwatch/0.1 (+https://github.com/jobwatch/jobwatch)", min_length=1)
    #: Requests in flight at once to one host (`host:port`) when many boards are scraped together.
    scrape_per_host_limit: int = Field(default=4, ge=1, le=64)
    #: Boards scraped at once by `jobwatch scrape --all` (and the scrape benchmark).
    scrape_workers: int = Field(default=32, ge=1, le=256)
    #: Minutes between two scrapes of one board, unless the board sets its own.
    default_scrape_interval_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    #: How many postings one digest lists per alert before "and N more".
    digest_max_per_alert: int = Field(default=10, ge=1, le=100)
    #: Server-side session lifetime, in hours.
    session_hours: int = Field(default=24 * 14, ge=1)

    # --- background work (`jobwatch worker`, issue 7) ---
    #: Seconds a lease on periodic work lives without renewal; a live run renews it every third of that, so
    #: a killed worker's lease frees itself this long after it died at most.
    worker_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    #: On SIGTERM a worker stops taking tasks and waits this long for the tasks in hand to finish; tasks
    #: still running then are put back on the queue (every task is idempotent) before the process exits.
    #: Give the process manager a longer grace period (`stop_grace_period`, `TimeoutStopSec`).
    worker_shutdown_seconds: float = Field(default=20.0, ge=0, le=3600)
    #: Tests and demos only: run every periodic task every N seconds (a divisor of 60) instead of its crontab.
    schedule_every_seconds: int | None = Field(default=None, ge=1, le=60)
    #: A worker delivering a batch of digests holds it this long; a worker that died lets it go after that.
    mail_batch_lease_seconds: int = Field(default=120, ge=5, le=3600)
    #: Retention, applied by the hourly cleanup task: closed postings (never one that somebody saved or
    #: applied to) this many days after they closed; at least 31, past the 30-day repost window.
    retention_closed_postings_days: int = Field(default=180, ge=31, le=36_500)
    #: Scrape runs and task runs this many days after they started or were queued.
    retention_runs_days: int = Field(default=30, ge=1, le=36_500)
    #: Emails of the local outbox this many days after they were written.
    retention_outbox_days: int = Field(default=30, ge=1, le=36_500)

    # --- operations: logs, metrics, error reports (jobwatch/observability.py, jobwatch/metrics.py) ---------
    #: The least severe log level written (`DEBUG`, `INFO`, `WARNING`, `ERROR`), for jobwatch and its libraries.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    #: `json` (one JSON object per line, with `request_id`/`task_id`), `text` (for a terminal), or `auto`:
    #: `json` when `JOBWATCH_ENV=production`, else `text`.
    log_format: Literal["auto", "json", "text"] = "auto"
    #: Sentry's DSN; unset (the default): Sentry is not initialized and nothing is sent anywhere.
    sentry_dsn: str | None = None
    #: The share of requests and tasks Sentry traces for performance (0: errors only).
    sentry_traces_sample_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    #: When set, `GET /metrics` asks for `Authorization: Bearer <METRICS_TOKEN>`; unset: it is open.
    metrics_token: str | None = None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _production_needs_secret(self) -> Settings:
        if self.jobwatch_env == "production" and (
            self.secret_key is None or self.secret_key.strip().lower() in PLACEHOLDER_SECRETS
        ):
            raise ConfigError(
                "SECRET_KEY is missing or a placeholder; in production (JOBWATCH_ENV=production) set it to a "
                'long random value, e.g. `python -c "import secrets; print(secrets.token_urlsafe(48))"`'
            )
        return self

    @model_validator(mode="after")
    def _schedule_divides_a_minute(self) -> Settings:
        if self.schedule_every_seconds is not None and 60 % self.schedule_every_seconds:
            raise ConfigError(f"SCHEDULE_EVERY_SECONDS must divide 60, got {self.schedule_every_seconds}")
        return self

    @property
    def data_dir(self) -> Path:
        """The data folder (created on first use): SQLite files, Huey's storage, Reflex and bun caches."""
        self.jobwatch_data_dir.mkdir(parents=True, exist_ok=True)
        return self.jobwatch_data_dir

    @property
    def effective_database_url(self) -> str:
        """`DATABASE_URL`, or a SQLite file in the data folder; `postgres://` is normalized to psycopg 3."""
        url = self.database_url or f"sqlite:///{self.data_dir / 'jobwatch.db'}"
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgres://")
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @property
    def effective_secret_key(self) -> str:
        """`SECRET_KEY`, or (outside production) a random key generated once and kept in the data folder."""
        if self.secret_key and self.secret_key.strip().lower() not in PLACEHOLDER_SECRETS:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def api_url(self, source: str) -> str:
        """The `<SOURCE>_API_URL` template for `source` (`lever-eu` reads `LEVER_EU_API_URL`).

        Raises `KeyError` for a source without an API URL setting (`jsonld` boards are their own URL).
        """
        value = getattr(self, f"{source.replace('-', '_')}_api_url", None)
        if value is None:
            raise KeyError(source)
        return str(value).rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once. Raises `ConfigError` for unusable settings."""
    return Settings()

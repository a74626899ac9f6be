"""Settings: defaults, URL normalization, the production secret check (CONTRACT section 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobwatch.config import ConfigError, Settings
from tests.test_cli import run


def test_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    settings = Settings(jobwatch_data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'jobwatch.db'}"
    assert settings.redis_url is None and settings.resend_api_key is None
    assert settings.api_url("greenhouse") == "https://boards-api.greenhouse.io"
    assert settings.api_url("lever-eu") == "https://api.eu.lever.co"
    assert settings.api_url("workday") == "https://{tenant}.{dc}.myworkdayjobs.com"
    with pytest.raises(KeyError):
        settings.api_url("jsonld")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db/jw", "postgresql+psycopg://u:p@db/jw"),
        ("postgresql://u@db/jw", "postgresql+psycopg://u@db/jw"),
        ("postgresql+psycopg://u@db/jw", "postgresql+psycopg://u@db/jw"),
    ],
)
def test_postgres_urls_use_psycopg3(given: str, expected: str) -> None:
    assert Settings(database_url=given, _env_file=None).effective_database_url == expected  # type: ignore[call-arg]


def test_generated_secret_is_kept_in_the_data_folder(tmp_path: Path) -> None:
    first = Settings(jobwatch_data_dir=tmp_path, secret_key=None, _env_file=None)  # type: ignore[call-arg]
    key = first.effective_secret_key
    assert len(key) >= 48
    again = Settings(jobwatch_data_dir=tmp_path, secret_key=None, _env_file=None)  # type: ignore[call-arg]
    assert again.effective_secret_key == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("secret", [None, "", "changethis", "  CHANGEME "])
def test_production_refuses_a_missing_or_placeholder_secret(secret: str | None) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings(jobwatch_env="production", secret_key=secret, _env_file=None)  # type: ignore[call-arg]
    Settings(jobwatch_env="production", secret_key="x" * 40, _env_file=None)  # type: ignore[call-arg]


def test_production_start_without_secret_stops_with_a_clear_message(tmp_path: Path) -> None:
    result = run(
        "db",
        "upgrade",
        env={"JOBWATCH_ENV": "production", "SECRET_KEY": "", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"},
    )
    assert result.returncode == 1
    assert "SECRET_KEY is missing or a placeholder" in result.stderr
    assert "Traceback" not in result.stderr

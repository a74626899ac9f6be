"""How `jobwatch serve` runs Reflex (command, environment, bun package) and the plain HTTP routes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

import jobwatch.jobwatch as web
from jobwatch import reflexenv, webserver
from jobwatch.config import get_settings


def test_reflex_env_keeps_everything_in_the_data_folder_and_offline() -> None:
    env = reflexenv.reflex_env()
    data = get_settings().data_dir
    for key in ("REFLEX_DIR", "REFLEX_BUN_PATH", "REFLEX_STATES_WORKDIR"):
        assert Path(env[key]).is_relative_to(data), key
    assert env["REFLEX_BUN_PATH"] == str(data / "reflex" / "bun" / "bin" / "bun")
    assert env["REFLEX_TELEMETRY_ENABLED"] == "false"
    assert env["REFLEX_CHECK_LATEST_VERSION"] == "false"
    assert env["REFLEX_HTTP_CLIENT_BIND_ADDRESS"] == "0.0.0.0"
    assert env["NPM_CONFIG_REGISTRY"].startswith(("http://", "https://"))


@pytest.mark.parametrize(
    ("platform", "machine", "avx2", "package"),
    [
        ("linux", "x86_64", True, "@oven/bun-linux-x64"),
        ("linux", "x86_64", False, "@oven/bun-linux-x64-baseline"),
        ("linux", "aarch64", True, "@oven/bun-linux-aarch64"),
        ("darwin", "arm64", True, "@oven/bun-darwin-aarch64"),
        ("darwin", "x86_64", False, "@oven/bun-darwin-x64-baseline"),
    ],
)
def test_bun_package_fits_the_platform(
    monkeypatch: pytest.MonkeyPatch, platform: str, machine: str, avx2: bool, package: str
) -> None:
    monkeypatch.setattr(reflexenv.sys, "platform", platform)
    monkeypatch.setattr(reflexenv.platform, "machine", lambda: machine)
    monkeypatch.setattr(reflexenv, "_has_avx2", lambda: avx2)
    monkeypatch.setattr(reflexenv, "_is_musl", lambda: False)
    assert reflexenv.bun_package() == package


def test_unsupported_cpu_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reflexenv.platform, "machine", lambda: "riscv64")
    with pytest.raises(reflexenv.BunUnavailable, match="riscv64"):
        reflexenv.bun_package()


def test_serve_runs_the_production_build_on_one_port() -> None:
    command = webserver.reflex_command(8123)
    assert command[1:] == ["-m", "reflex", "run", "--env", "prod", "--single-port", "--backend-port", "8123"]


def test_public_app_url_becomes_the_websocket_address(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("APP_URL", "https://jobs.example.org/")
    env = webserver.server_env(8000, base={})
    assert env["REFLEX_API_URL"] == env["REFLEX_DEPLOY_URL"] == "https://jobs.example.org"
    get_settings.cache_clear()
    settings_env.setenv("APP_URL", "http://localhost:8000")
    assert "REFLEX_API_URL" not in webserver.server_env(9000, base={})


def _get(path: str) -> httpx.Response:
    """GET `path` from the app's plain HTTP routes, in process (no server, no Reflex backend)."""

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=web.http_routes)
        async with httpx.AsyncClient(transport=transport, base_url="http://jobwatch.test") as client:
            return await client.get(path)

    return asyncio.run(fetch())


def test_healthz_answers_ok(db: Engine) -> None:
    response = _get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"db": "ok", "queue": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_healthz_answers_503_when_unhealthy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web, "health", lambda: (False, {"db": "error", "queue": "ok"}))
    response = _get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"db": "error", "queue": "ok"}


def test_favicon_is_served() -> None:
    response = _get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")

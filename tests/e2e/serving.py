"""A running `jobwatch serve` for browser tests, and the browser settings they share.

Each server gets a fresh data folder (SQLite, local outbox) and its own `.web`, so a build never swaps files
under a developer's running app and every run measures a cold start; bun and its package cache are shared
with the project's so nothing is fetched again.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobwatch.config import PROJECT_DIR

CHROMIUM = Path("/usr/bin/chromium")
#: Flags that keep Debian's chromium headless and off the (closed) network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The former shared screenshot folder, kept for tests not yet on the `browser` fixture (conftest.py), which
#: saves to `test-artifacts/<test name>/`.
SCREENSHOTS = PROJECT_DIR / "test-artifacts" / "screenshots"
#: A cold build (bun installing the frontend packages, then the production build) takes well under this.
STARTUP_TIMEOUT_SECONDS = 420
#: Longest wait for one condition in the browser (a websocket round trip, a page change).
UI_TIMEOUT_MS = 20_000
#: Skip (with the reason) where Debian's chromium is not installed.
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (apt-get install chromium)"
)


@dataclass
class Server:
    """A running `jobwatch serve`: its base URL, process, log, start-up time and data folder."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    startup_seconds: float
    data_dir: Path
    #: The environment the server runs with (for a worker or a command beside it).
    env: dict[str, str]

    @property
    def database(self) -> Path:
        """The server's SQLite database file."""
        return self.data_dir / "jobwatch.db"

    def wait_for_user(self, email: str, timeout: float = 30.0) -> None:
        """Wait until the account of `email` exists (registration writes it off the request path)."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.closing(sqlite3.connect(self.database)) as conn:
                if conn.execute("SELECT 1 FROM user_account WHERE email = ?", (email,)).fetchone():
                    return
            if time.monotonic() > deadline:
                pytest.fail(f"no account for {email} after registering")
            time.sleep(0.1)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def healthz(url: str) -> dict[str, object] | None:
    """The JSON of `GET {url}/healthz`, or None when nothing (healthy) answers."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
            return json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None


def _link_shared_bun(data_dir: Path) -> None:
    shared = PROJECT_DIR / ".data" / "reflex" / "bun" / "bin" / "bun"
    if shared.exists():
        target = data_dir / "reflex" / "bun" / "bin" / "bun"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(shared)


@contextlib.contextmanager
def serve(base: Path, *, set_app_url: bool = False, env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """Run `python -m jobwatch.webserver --port N` in `base` until `/healthz` answers; SIGTERM afterwards.

    `set_app_url` points `APP_URL` at the server (for links in emails); `env` adds settings (such as
    `GREENHOUSE_API_URL` of a loopback board server, or a `DATABASE_URL`). Fails the test when the server exits
    or does not come up within `STARTUP_TIMEOUT_SECONDS`.
    """
    data_dir = base / "data"
    _link_shared_bun(data_dir)
    port = free_port()
    url = f"http://localhost:{port}"
    extra = dict(env or {})
    env = dict(os.environ)
    for var in ("DATABASE_URL", "REDIS_URL", "RESEND_API_KEY", "RESEND_API_URL", "APP_URL", "SECRET_KEY"):
        env.pop(var, None)
    env.update(JOBWATCH_DATA_DIR=str(data_dir), JOBWATCH_ENV="development", REFLEX_WEB_WORKDIR=str(base / "web"))
    if set_app_url:
        env["APP_URL"] = url
    env.update(extra)
    env.setdefault("BUN_INSTALL_CACHE_DIR", str(PROJECT_DIR / ".data" / "reflex" / "bun-cache"))
    log = base / "serve.log"
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobwatch.webserver", "--port", str(port)],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = started + STARTUP_TIMEOUT_SECONDS
        while healthz(url) is None:
            if process.poll() is not None:
                pytest.fail(f"jobwatch serve exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"jobwatch serve did not answer /healthz in time:\n{log.read_text()[-4000:]}")
            time.sleep(0.5)
        yield Server(url, process, log, time.monotonic() - started, data_dir, env)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a process we started (and its group after 60 s, SIGKILL)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@contextlib.contextmanager
def worker(server: Server) -> Iterator[subprocess.Popen[bytes]]:
    """Run `jobwatch worker --no-scheduler` (a Huey consumer) beside `server`, with its settings and data folder.

    Tasks queued by the app (a "Scrape now") run here, as in production; periodic work does not, so a test
    decides when digests go out (`run_cli(server, "notify")`). Stopped with SIGTERM afterwards.
    """
    log = server.log.parent / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jobwatch.cli", "worker", "--no-scheduler", "--workers", "1"],
            cwd=PROJECT_DIR,
            env=server.env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # Ready once it has applied migrations and says so (just before the consumer starts).
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while b"jobwatch worker:" not in log.read_bytes():
            if process.poll() is not None:
                pytest.fail(f"jobwatch worker exited with {process.returncode}:\n{log.read_text()[-4000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"jobwatch worker did not start in time:\n{log.read_text()[-4000:]}")
            time.sleep(0.1)
        yield process
    finally:
        _stop(process)
        if process.returncode not in (0, -signal.SIGTERM):
            print(f"worker exited with {process.returncode}:\n{log.read_text()[-4000:]}", file=sys.stderr)


def run_cli(server: Server, *args: str, timeout: float = 120) -> str:
    """Run `jobwatch ARGS` with `server`'s settings; its stdout. Fails the test on a non-zero exit."""
    done = subprocess.run(
        [sys.executable, "-m", "jobwatch.cli", *args],
        cwd=PROJECT_DIR,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        pytest.fail(f"jobwatch {' '.join(args)} exited with {done.returncode}:\n{done.stderr[-4000:]}")
    return done.stdout

"""`jobwatch serve`: the production build of the Reflex app, frontend and backend on one port.

What it runs, from the project folder (where `rxconfig.py` is), with `reflex_env()` over the environment:

    python -m reflex run --env prod --single-port --backend-port PORT

In Reflex 0.10 the production mode compiles the pages, builds the frontend with bun (`.web/`, git-ignored)
and serves the static build from the backend process (Granian), next to the websocket and `/healthz`, on
the one port. Pending database migrations are applied first (tables only ever come from Alembic).

`python -m jobwatch.webserver --build-only` runs the same compile and frontend build without serving (the
`Dockerfile` and CI run it): `.web/` then holds the installed frontend packages and a build, so a later
`serve` rebuilds from them without the npm registry.

Reflex's own messages go to stderr (stdout is for data only, CONTRACT section 1). SIGTERM or SIGINT (Ctrl-C)
stops Reflex's whole process group with SIGTERM; `serve` waits for it to stop and returns 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from types import FrameType
from urllib.parse import urlsplit

from jobwatch import migrations
from jobwatch.config import PROJECT_DIR, get_settings
from jobwatch.reflexenv import BunUnavailable, ensure_bun, reflex_env

#: How long Reflex gets to stop after the signal before it is killed.
STOP_TIMEOUT_SECONDS = 20.0
#: How long `serve` watches for the app to answer before it stops announcing (the build keeps going).
READY_TIMEOUT_SECONDS = 600.0
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})


def reflex_command(port: int) -> list[str]:
    """The command line that runs the production build on one port."""
    return [
        sys.executable,
        "-m",
        "reflex",
        "run",
        "--env",
        "prod",
        "--single-port",
        "--backend-port",
        str(port),
    ]


def build_command() -> list[str]:
    """The command line that compiles the pages and builds the production frontend into `.web/`, not serving."""
    return [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip", "--env", "prod"]


def build() -> int:
    """Compile the app and build the production frontend (what `serve` does before it serves); 0 on success.

    Fetches bun first when it is missing. The frontend packages Reflex installs from the npm registry stay in
    `.web/node_modules` (and bun's cache in the data folder), so a later `serve` needs no registry.
    """
    try:
        ensure_bun()
    except BunUnavailable as exc:
        print(f"jobwatch: {exc}; run scripts/bootstrap.sh", file=sys.stderr)
        return 1
    print("jobwatch: building the production frontend", file=sys.stderr, flush=True)
    started = time.monotonic()
    result = subprocess.run(
        build_command(), cwd=PROJECT_DIR, env=server_env(8000), stdin=subprocess.DEVNULL, stdout=sys.stderr.fileno()
    )
    if result.returncode != 0:
        print(f"jobwatch: the frontend build failed (status {result.returncode})", file=sys.stderr)
        return 1
    print(f"jobwatch: frontend built in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


def server_env(port: int, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for Reflex: `base` (default `os.environ`), then `reflex_env()`.

    When `APP_URL` names a public host (not localhost), it becomes Reflex's `api_url`/`deploy_url`, so a
    browser behind a reverse proxy reaches the websocket at the public address. Otherwise Reflex bakes
    `http://localhost:PORT` into the frontend, which its client rewrites to the host the page came from.
    """
    env = dict(os.environ if base is None else base)
    env.update(reflex_env())
    settings = get_settings()
    if "app_url" in settings.model_fields_set:
        host = (urlsplit(settings.app_url).hostname or "").lower()
        if host and host not in _LOCAL_HOSTS:
            app_url = settings.app_url.rstrip("/")
            env.setdefault("REFLEX_API_URL", app_url)
            env.setdefault("REFLEX_DEPLOY_URL", app_url)
    # Python's own output must not sit in a buffer when the server is stopped or crashes.
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _announce_when_ready(port: int, stop: threading.Event) -> None:
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status in (200, 503):
                    print(f"jobwatch: ready, open http://localhost:{port}/", file=sys.stderr, flush=True)
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == 503:
                print(
                    f"jobwatch: up at http://localhost:{port}/ but unhealthy (see /healthz)",
                    file=sys.stderr,
                    flush=True,
                )
                return
        except (OSError, ValueError):
            pass
        stop.wait(0.5)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, sig)


def serve(port: int = 8000) -> int:
    """Apply migrations, then run the production web app on `port` until SIGTERM/SIGINT; returns 0 after a
    clean stop, 1 when Reflex could not start or died. Raises `jobwatch.config.ConfigError` for settings
    that cannot be used (production without a real `SECRET_KEY`)."""
    settings = get_settings()
    settings.effective_secret_key  # noqa: B018  (creates the key file, or fails early, before the build)
    print("jobwatch: applying database migrations", file=sys.stderr, flush=True)
    migrations.upgrade()
    try:
        ensure_bun()
    except BunUnavailable as exc:
        print(f"jobwatch: {exc}; run scripts/bootstrap.sh", file=sys.stderr)
        return 1

    started = time.monotonic()
    print(
        f"jobwatch: building the web app and starting it on port {port} (the production build takes a few seconds)",
        file=sys.stderr,
        flush=True,
    )
    # Its own session (process group), so a stop reaches Reflex and the server workers it forks, and a
    # terminal's Ctrl-C is not delivered twice.
    proc = subprocess.Popen(
        reflex_command(port),
        cwd=PROJECT_DIR,
        env=server_env(port),
        stdin=subprocess.DEVNULL,
        stdout=sys.stderr.fileno(),
        start_new_session=True,
    )
    stopping = threading.Event()
    signalled: list[int] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        signalled.append(signum)
        stopping.set()
        # SIGTERM in both cases: Reflex ignores a SIGINT that arrives while it builds the frontend.
        _signal_group(proc, signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    watcher = threading.Thread(target=_announce_when_ready, args=(port, stopping), daemon=True)
    watcher.start()
    try:
        code = _wait(proc, stopping)
    finally:
        stopping.set()
        # Workers forked by the server may outlive their parent for a moment; none may be left behind.
        _signal_group(proc, signal.SIGTERM)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if signalled:
        print(f"jobwatch: stopped after {time.monotonic() - started:.0f} s", file=sys.stderr)
        return 0
    print(f"jobwatch: the web app exited with status {code}", file=sys.stderr)
    return 0 if code == 0 else 1


def _wait(proc: subprocess.Popen[bytes], stopping: threading.Event) -> int:
    """Wait for Reflex to exit; once a stop was asked for, give it `STOP_TIMEOUT_SECONDS`, then kill it."""
    while True:
        try:
            return proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            if not stopping.is_set():
                continue
        try:
            return proc.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            print("jobwatch: the web app did not stop in time; killing it", file=sys.stderr)
            _signal_group(proc, signal.SIGKILL)
            return proc.wait()


def main(argv: list[str] | None = None) -> int:
    """`python -m jobwatch.webserver [--port N]` (the same as `jobwatch serve`), or `--build-only`."""
    parser = argparse.ArgumentParser(prog="python -m jobwatch.webserver", description=serve.__doc__)
    parser.add_argument("--port", type=int, default=8000, help="the one port for pages and API")
    parser.add_argument(
        "--build-only", action="store_true", help="compile and build the production frontend, then exit"
    )
    args = parser.parse_args(argv)
    if args.build_only:
        return build()
    return serve(args.port)


if __name__ == "__main__":
    raise SystemExit(main())

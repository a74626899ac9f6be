"""The `Dockerfile` and `compose.yaml`, checked where Docker cannot run: parsed and compared with what CI runs.

CI (`.ci/run`) runs `scripts/bootstrap.sh` and the frontend build on every change; the image must run the very
same commands, so a change to the install or build steps that breaks the image breaks CI first. The compose
file is parsed and its services, commands, settings, health checks and start order asserted.
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from jobwatch import webserver
from jobwatch.config import PROJECT_DIR, Settings

DOCKERFILE = PROJECT_DIR / "Dockerfile"
COMPOSE = PROJECT_DIR / "compose.yaml"
CI_RUN = PROJECT_DIR / ".ci" / "run"
START = PROJECT_DIR / "scripts" / "start.sh"

#: The install and build commands that CI runs and the image's build stage must run too, word for word.
SHARED_STEPS = ["bash scripts/bootstrap.sh", ".venv/bin/python -m jobwatch.webserver --build-only"]
APP_SERVICES = ("migrate", "web", "worker", "consumer")
SETTINGS_NAMES = {name.upper() for name in Settings.model_fields}


@dataclass
class Stage:
    """One `FROM` stage of the Dockerfile: its name and its instructions as (keyword, arguments)."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def dockerfile_stages(text: str) -> tuple[dict[str, str], list[Stage]]:
    """(global ARG defaults, stages) of a Dockerfile: continuation lines joined, comments dropped."""
    logical: list[str] = []
    buffer = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not buffer and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        logical.append(buffer + line)
        buffer = ""
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        rest = rest.strip()
        if keyword == "FROM":
            words = rest.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), words[0])
            stages.append(Stage(base, name))
        elif not stages:
            if keyword == "ARG":
                key, _, value = rest.partition("=")
                args[key] = value
        else:
            stages[-1].instructions.append((keyword, rest))
    return args, stages


def _normalize(command: str) -> str:
    return " ".join(command.split())


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return dockerfile_stages(DOCKERFILE.read_text())[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


# --- Dockerfile ----------------------------------------------------------------------------------------


def test_the_image_runs_the_same_install_and_build_steps_as_ci(stages: list[Stage]) -> None:
    build = stages[0]
    runs = [_normalize(r) for r in build.all("RUN")]
    ci_lines = [_normalize(line) for line in CI_RUN.read_text().splitlines() if not line.lstrip().startswith("#")]
    for step in SHARED_STEPS:
        assert any(run == step or run.startswith(step + " &&") for run in runs), f"Dockerfile lacks: {step}"
        assert any(step in line for line in ci_lines), f".ci/run lacks: {step}"
    # The build step is the real command of `python -m jobwatch.webserver --build-only`.
    assert webserver.build_command()[1:] == ["-m", "reflex", "export", "--frontend-only", "--no-zip", "--env", "prod"]
    assert webserver.main.__doc__ and "--build-only" in webserver.main.__doc__


def test_the_build_stage_copies_everything_the_install_needs(stages: list[Stage]) -> None:
    copied: set[str] = set()
    for args in stages[0].all("COPY"):
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        for source in words[:-1]:
            assert (PROJECT_DIR / source).exists(), f"COPY {source}: not in the repository"
            copied.add(source.rstrip("/"))
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    needed = {"pyproject.toml", "rxconfig.py", "alembic.ini", "alembic", "scripts", "reflex.lock"}
    needed.add(pyproject["project"]["readme"])
    needed |= {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert needed <= copied, f"not copied into the image: {sorted(needed - copied)}"


def test_multi_stage_non_root_with_a_health_check(stages: list[Stage]) -> None:
    assert len(stages) >= 2
    runtime = stages[-1]
    assert any(args.startswith("--from=") and "/app" in args for args in runtime.all("COPY"))
    # Nothing of the build stage's toolchain is installed again in the runtime stage.
    assert not any("npm" in run or "nodejs" in run for run in runtime.all("RUN"))
    users = runtime.all("USER")
    assert users and users[-1].split(":")[0] not in ("root", "0")
    (healthcheck,) = runtime.all("HEALTHCHECK")
    assert "/healthz" in healthcheck and "127.0.0.1:8000" in healthcheck
    assert "--start-period=" in healthcheck
    (expose,) = runtime.all("EXPOSE")
    cmd = runtime.all("CMD")[-1]

    assert json.loads(cmd) == ["jobwatch", "serve", "--port", expose]


def test_the_image_python_is_one_the_project_supports() -> None:
    _args, stages = dockerfile_stages(DOCKERFILE.read_text())
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    supported = SpecifierSet(pyproject["project"]["requires-python"])
    for stage in stages:
        match = re.match(r"python:(\d+\.\d+)", stage.base)
        assert match, stage.base
        assert f"{match.group(1)}.0" in supported
    assert len({s.base for s in stages}) == 1, "build and runtime stages must share one Python"


def test_the_runtime_image_is_production_by_default(stages: list[Stage]) -> None:
    env = " ".join(stages[-1].all("ENV"))
    assert "JOBWATCH_ENV=production" in env
    assert "LOG_FORMAT=json" in env


# --- compose.yaml ----------------------------------------------------------------------------------------


def test_compose_services_and_commands(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert services["migrate"]["command"] == ["jobwatch", "db", "upgrade"]
    assert services["web"]["command"] == ["jobwatch", "serve", "--port", "8000"]
    assert services["worker"]["command"] == ["jobwatch", "worker"]
    assert services["consumer"]["command"] == ["jobwatch", "worker", "--no-scheduler"]
    # Exactly one consumer schedules periodic work (field case B20); the others scale freely.
    schedulers = [
        name
        for name, svc in services.items()
        if svc.get("command", [])[:2] == ["jobwatch", "worker"] and "--no-scheduler" not in svc["command"]
    ]
    assert schedulers == ["worker"]
    assert services["worker"]["deploy"]["replicas"] == 1
    assert services["consumer"]["deploy"]["replicas"] >= 1
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
        assert services[name]["image"] == services["web"]["image"]


def test_compose_commands_are_the_ones_start_sh_runs(compose: dict[str, Any]) -> None:
    start = START.read_text()
    for name in ("migrate", "web", "worker"):
        command = " ".join(compose["services"][name]["command"][:2])
        assert f".venv/bin/{command}" in start, f"start.sh does not run `{command}`"


def test_compose_settings_are_real_settings_pointing_at_the_bundled_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        unknown = set(env) - SETTINGS_NAMES
        assert not unknown, f"{name}: not jobwatch settings: {sorted(unknown)}"
        assert env["JOBWATCH_ENV"] == "production"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required, never defaulted"
        assert env["LOG_FORMAT"] == "json"
    env = services["web"]["environment"]
    pg = services["postgres"]["environment"]
    db = urlsplit(env["DATABASE_URL"])
    assert db.scheme == "postgresql" and db.hostname == "postgres" and db.port == 5432
    assert db.username == pg["POSTGRES_USER"] and db.path == f"/{pg['POSTGRES_DB']}"
    assert db.password == pg["POSTGRES_PASSWORD"]
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"


def test_compose_health_checks_and_start_order(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
    assert services["redis"]["healthcheck"]["test"][-1] == "ping"
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "http://127.0.0.1:8000/healthz" in web_check
    assert services["web"]["ports"] == ["${PORT:-8000}:8000"]
    for name in ("worker", "consumer"):
        assert "health()" in " ".join(services[name]["healthcheck"]["test"])
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "consumer"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}
        assert depends["postgres"] == {"condition": "service_healthy"}
        assert depends["redis"] == {"condition": "service_healthy"}


def test_workers_drain_their_tasks_when_stopped(compose: dict[str, Any]) -> None:
    """Field case B22: `jobwatch worker` treats SIGTERM as its graceful stop (finish or re-queue the tasks in
    hand within WORKER_SHUTDOWN_SECONDS); the grace period before Docker's SIGKILL must be longer."""
    shutdown = Settings.model_fields["worker_shutdown_seconds"].default
    for name in ("worker", "consumer"):
        service = compose["services"][name]
        assert service["stop_signal"] == "SIGTERM"
        minutes = re.fullmatch(r"(\d+)m", service["stop_grace_period"])
        assert minutes and int(minutes.group(1)) * 60 > shutdown


def test_compose_keeps_its_data_in_volumes(compose: dict[str, Any]) -> None:
    assert set(compose["volumes"]) == {"postgres-data", "redis-data"}
    assert "postgres-data:/var/lib/postgresql/data" in compose["services"]["postgres"]["volumes"]
    assert "--appendonly" in compose["services"]["redis"]["command"]

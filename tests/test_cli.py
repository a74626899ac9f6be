"""The `jobwatch` command line as operators and outside tests run it: a real process, stdout data, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loopback import BoardServer, Reply

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `jobwatch ARGS` in a fresh process with the test run's environment (plus `env`)."""
    return subprocess.run(
        [sys.executable, "-m", "jobwatch.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        input=stdin,
        timeout=120,
        check=False,
    )


def lines(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_parse_prints_one_posting_per_line() -> None:
    result = run("parse", "greenhouse", str(FIXTURES / "greenhouse" / "jobs_acme.json"), "--board", "acme")
    assert result.returncode == 0, result.stderr
    postings = lines(result.stdout)
    assert postings and all(p["source"] == "greenhouse" and p["board"] == "acme" for p in postings)
    assert postings[0]["title"] == "Senior Health & Protection Consultant"  # B05


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["parse", "nosuchsource", "FIXTURE"], "unknown source"),
        (["parse", "greenhouse", "/no/such/file.json"], "/no/such/file.json"),
        (["parse", "lever", "BAD"], "BAD"),
        (["parse", "greenhouse", "FIXTURE", "--fetched-at", "yesterday"], "--fetched-at"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: list[str], needle: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    fixture = str(FIXTURES / "greenhouse" / "jobs_acme.json")
    argv = [fixture if a == "FIXTURE" else str(bad) if a == "BAD" else a for a in args]
    result = run(*argv)
    assert result.returncode == 2
    assert result.stdout == ""
    err = result.stderr.strip().splitlines()
    assert len(err) == 1 and needle.replace("BAD", str(bad)) in err[0]


def test_match_prints_pairs_and_names_the_bad_alert_line(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    alerts = tmp_path / "alerts.jsonl"
    base = {"source": "lever", "board": "acme", "company": "Acme", "locations": []}
    jobs.write_text(
        "\n".join(
            json.dumps({**base, "id": i, "external_id": i, "title": t})
            for i, t in [("j1", "Senior JavaScript Engineer"), ("j2", "Java Developer")]
        )
    )
    alerts.write_text(json.dumps({"id": "a", "filters": {"keywords": ["Java"]}}) + "\n")
    result = run("match", "--jobs", str(jobs), "--alerts", str(alerts), "--now", "2026-06-01T00:00:00Z")
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout) == [{"alert_id": "a", "job_id": "j2"}]  # B09

    alerts.write_text(
        json.dumps({"id": "a", "filters": {"keywords": ["Java"]}}) + "\n" + json.dumps({"id": "b", "filters": {}})
    )
    result = run("match", "--jobs", str(jobs), "--alerts", str(alerts))
    assert result.returncode == 2
    assert f"{alerts}:2" in result.stderr


@pytest.fixture()
def operator_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], BoardServer]]:
    """A fresh SQLite database and data folder, and a loopback Greenhouse serving board `acme`."""
    with BoardServer() as server:
        server.replies["/v1/boards/acme/jobs"] = Reply(200, (FIXTURES / "greenhouse" / "jobs_acme.json").read_bytes())
        yield (
            {
                "JOBWATCH_DATA_DIR": str(tmp_path / "data"),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
                "GREENHOUSE_API_URL": server.url,
            },
            server,
        )


def test_operator_commands(operator_env: tuple[dict[str, str], BoardServer]) -> None:
    env, server = operator_env
    assert run("db", "upgrade", env=env).returncode == 0

    added = run("boards", "add", "https://boards.greenhouse.io/acme", env=env)
    assert added.returncode == 0, added.stderr
    assert lines(added.stdout)[0]["board"] == "greenhouse:acme"
    again = run("boards", "add", "Greenhouse:ACME", env=env)
    assert lines(again.stdout)[0]["created"] is False  # one board, however it is spelled
    assert run("boards", "add", "nonsense:thing", env=env).returncode == 2

    scraped = run("scrape", "greenhouse:acme", env=env)
    assert scraped.returncode == 0, scraped.stderr
    summary = lines(scraped.stdout)[0]
    assert summary["status"] == "ok" and summary["new"] > 0
    assert server.hits["/v1/boards/acme/jobs"] == 1

    listed = run("postings", "list", "--board", "greenhouse:acme", env=env)
    assert len(lines(listed.stdout)) == summary["new"]
    boards = lines(run("boards", "list", env=env).stdout)
    assert boards[0]["open_postings"] == summary["new"] and boards[0]["last_run_status"] == "ok"

    created = run("users", "create", "Ops@Example.test", "--admin", env={**env, "JOBWATCH_PASSWORD": "a long pass"})
    assert created.returncode == 0, created.stderr
    assert lines(created.stdout)[0] == {"id": 1, "email": "ops@example.test", "is_admin": True}

    status = lines(run("status", env=env).stdout)[0]
    assert status["boards"] == 1 and status["runs"] == {"ok": 1} and status["failing_boards"] == []

    notified = lines(run("notify", env=env).stdout)[0]
    assert notified["notifications"] == 0  # the first scrape is the baseline

    server.replies["/v1/boards/acme/jobs"] = Reply(404, b'{"status":404,"error":"Job not found"}')
    failed = run("scrape", "greenhouse:acme", env=env)
    assert failed.returncode == 1
    assert lines(failed.stdout)[0]["status"] == "failed"
    assert len(lines(run("postings", "list", env=env).stdout)) == summary["new"]  # B03: nothing closed

    changed = run("users", "set-password", "ops@example.test", env={**env, "JOBWATCH_PASSWORD": "another pass"})
    assert changed.returncode == 0, changed.stderr
    assert (
        run("users", "set-password", "nobody@example.test", env={**env, "JOBWATCH_PASSWORD": "x" * 10}).returncode == 2
    )
    assert run("users", "set-password", "ops@example.test", env={**env, "JOBWATCH_PASSWORD": "short"}).returncode == 2

    removed = run("boards", "remove", "greenhouse:acme", env=env)
    assert removed.returncode == 0 and lines(removed.stdout)[0]["removed"] is True
    assert lines(run("boards", "list", env=env).stdout) == []
    assert run("postings", "list", env=env).stdout == ""
    assert run("boards", "remove", "greenhouse:acme", env=env).returncode == 2


@pytest.mark.parametrize(
    "args",
    [
        ["nosuchcommand"],
        ["boards", "add"],
        ["boards", "list", "--bogus"],
        ["serve", "--port", "abc"],
        ["serve", "--port", "99999"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""

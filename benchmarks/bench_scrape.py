"""Scrape benchmark: 1,000 boards across every source, from a slow loopback server, into a throwaway SQLite file.

    .venv/bin/python -m benchmarks.bench_scrape [--boards 1000] [--workers N] [--per-host N]

A loopback HTTP/1.1 server (asyncio, keep-alive) answers every request after a random 100 to 300 ms with a
recorded response of `../shared/fixtures/ats` (or `JOBWATCH_FIXTURES_DIR`). Sources on one shared API host
in real life get one loopback address each (Greenhouse 127.0.0.11, Lever .12, Ashby .13, SmartRecruiters
.14, Workable .15); tenant-hosted sources get one address per board through their `<SOURCE>_API_URL`
templates (Workday `http://127.0.1.{tenant}`, Recruitee `http://127.0.2.{token}`, Personio
`http://127.0.3.{token}`), and JSON-LD career pages one per board too (127.0.4.N, trusted through
`JSONLD_TRUSTED_HOSTS`, robots.txt read first). The boards are scraped with the shipped service
(`services.scrape_many.scrape_boards`: `SCRAPE_WORKERS` threads, `SCRAPE_PER_HOST_LIMIT` requests per host)
into a fresh, migrated SQLite database, and the script prints boards, requests, requests per second, wall
time and peak memory (the process's peak RSS, loopback server included).

Targets (issue 3): at most 60 s wall on a 2-core machine, peak memory under 400 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import random
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

SHARED_HOSTS = {
    "greenhouse": "127.0.0.11",
    "lever": "127.0.0.12",
    "ashby": "127.0.0.13",
    "smartrecruiters": "127.0.0.14",
    "workable": "127.0.0.15",
}
#: Third octet of the per-board addresses of tenant-hosted sources and career pages.
TENANT_NETS = {"workday": 1, "recruitee": 2, "personio": 3, "jsonld": 4}
SOURCES = ("greenhouse", "lever", "ashby", "smartrecruiters", "workable", "workday", "recruitee", "personio", "jsonld")


def fixtures_dir() -> Path:
    """`JOBWATCH_FIXTURES_DIR`, else `../shared/fixtures/ats`."""
    env = os.environ.get("JOBWATCH_FIXTURES_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "ats"


class Replies:
    """The recorded bodies the server answers with, made self-consistent (totals equal to what is listed)."""

    def __init__(self, root: Path) -> None:
        def load(name: str) -> Any:
            return json.loads((root / name).read_text(encoding="utf-8"))

        greenhouse = load("greenhouse/jobs_content_honeycomb_2.json")
        greenhouse.setdefault("meta", {})["total"] = len(greenhouse["jobs"])
        smart = load("smartrecruiters/postings_hirevue_3.json")
        smart.update(offset=0, limit=100, totalFound=len(smart["content"]))
        workday = load("workday/jobs_gdit_page_with_facets.json")
        workday["total"] = len(workday["jobPostings"])
        self.json: dict[str, bytes] = {
            "greenhouse": json.dumps(greenhouse).encode(),
            "lever": (root / "lever/postings_palantir_3.json").read_bytes(),
            "ashby": (root / "ashby/job_board_render_2.json").read_bytes(),
            "smartrecruiters": json.dumps(smart).encode(),
            "workable": (root / "workable/widget_vasion_2.json").read_bytes(),
            "recruitee": (root / "recruitee/offers_aikidosecurity_3.json").read_bytes(),
            "workday": json.dumps(workday).encode(),
            "workday-detail": (root / "workday/job_detail_gdit.json").read_bytes(),
        }
        self.smart_detail = load("smartrecruiters/posting_detail_hirevue.json")
        self.personio = (root / "personio/feed_sanitized_acme.xml").read_bytes()
        self.page = (root / "html/jsonld_meta_software_engineer.html").read_bytes()

    def answer(self, source: str, method: str, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for one request to `source`'s host."""
        bare = path.split("?", 1)[0]
        if source == "jsonld":
            if bare == "/robots.txt":
                return 200, "text/plain", b"User-agent: *\nAllow: /\n"
            return 200, "text/html; charset=utf-8", self.page
        if source == "personio":
            return 200, "application/xml", self.personio
        if source == "smartrecruiters" and bare.rstrip("/").count("/") >= 5:  # /v1/companies/X/postings/ID
            detail = copy.deepcopy(self.smart_detail)
            detail["id"] = bare.rstrip("/").rsplit("/", 1)[1]
            return 200, "application/json", json.dumps(detail).encode()
        if source == "workday" and method == "GET":
            return 200, "application/json", self.json["workday-detail"]
        return 200, "application/json", self.json[source]


class LoopbackServer:
    """An asyncio HTTP/1.1 server on many loopback addresses, one port, answering after 100-300 ms."""

    def __init__(self, replies: Replies, addresses: dict[str, str]) -> None:
        self.replies = replies
        self.source_of = addresses  # address -> source
        self.requests: Counter[str] = Counter()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.base_events.Server | None = None

    def start(self) -> None:
        """Start serving (returns once every address listens)."""
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._listen())
        self._ready.set()
        self.loop.run_forever()

    async def _listen(self) -> None:
        first = await asyncio.start_server(self._serve, "127.0.0.1", 0, backlog=1024)
        self.port = first.sockets[0].getsockname()[1]
        first.close()
        await first.wait_closed()
        self._server = await asyncio.start_server(
            self._serve, host=sorted(self.source_of), port=self.port, backlog=1024, reuse_address=True
        )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        source = self.source_of.get(writer.get_extra_info("sockname")[0], "greenhouse")
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:] if ":" in ln)}
                length = int(headers.get("content-length", "0") or 0)
                if length:
                    await reader.readexactly(length)
                self.requests[source] += 1
                await asyncio.sleep(random.uniform(0.1, 0.3))
                status, content_type, body = self.replies.answer(source, method, path)
                close = headers.get("connection", "").lower() == "close"
                writer.write(
                    f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                    f"Connection: {'close' if close else 'keep-alive'}\r\n\r\n".encode("latin-1")
                    + body
                )
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def stop(self) -> None:
        """Stop serving and end the server thread."""

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            self.loop.stop()

        self.loop.call_soon_threadsafe(lambda: asyncio.ensure_future(shutdown()))
        self._thread.join(timeout=10)


def board_keys(count: int, port: int) -> list[str]:
    """`count` board keys spread evenly over the nine sources (tenant-hosted ones numbered 1..254 per source)."""
    keys: list[str] = []
    for n in range(count):
        source = SOURCES[n % len(SOURCES)]
        k = n // len(SOURCES) + 1
        if source == "workday":
            keys.append(f"workday:{k}.wd1/External")
        elif source in ("recruitee", "personio"):
            keys.append(f"{source}:{k}")
        elif source == "jsonld":
            keys.append(f"jsonld:http://127.0.4.{k}:{port}/jobs/1")
        else:
            keys.append(f"{source}:bench{k}")
    return keys


def main(argv: list[str]) -> int:
    """Run the benchmark and print its figures; exit status 1 when a target or a board failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--boards", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=None, help="default: SCRAPE_WORKERS")
    parser.add_argument("--per-host", type=int, default=None, help="default: SCRAPE_PER_HOST_LIMIT")
    args = parser.parse_args(argv)
    per_source = -(-args.boards // len(SOURCES))
    if per_source > 254:
        parser.error("at most 254 boards per source (one loopback address each)")

    addresses = {address: source for source, address in SHARED_HOSTS.items()}
    for source, net in TENANT_NETS.items():
        addresses.update({f"127.0.{net}.{k}": source for k in range(1, per_source + 1)})
    server = LoopbackServer(Replies(fixtures_dir()), addresses)
    server.start()
    port = server.port

    workdir = Path(tempfile.mkdtemp(prefix="jobwatch-bench-scrape-"))
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    os.environ.update(
        {
            "JOBWATCH_DATA_DIR": str(workdir / "data"),
            "DATABASE_URL": database_url,
            "JSONLD_TRUSTED_HOSTS": ",".join(f"127.0.4.{k}" for k in range(1, per_source + 1)),
            "WORKDAY_API_URL": f"http://127.0.1.{{tenant}}:{port}",
            "RECRUITEE_API_URL": f"http://127.0.2.{{token}}:{port}",
            "PERSONIO_API_URL": f"http://127.0.3.{{token}}:{port}",
            **{f"{source.upper()}_API_URL": f"http://{address}:{port}" for source, address in SHARED_HOSTS.items()},
        }
    )
    if args.workers:
        os.environ["SCRAPE_WORKERS"] = str(args.workers)
    if args.per_host:
        os.environ["SCRAPE_PER_HOST_LIMIT"] = str(args.per_host)

    from sqlmodel import Session, func, select

    from jobwatch import migrations
    from jobwatch.config import get_settings
    from jobwatch.db import make_engine
    from jobwatch.models import Board, JobPosting
    from jobwatch.services.scrape_many import scrape_boards

    get_settings.cache_clear()
    settings = get_settings()
    migrations.upgrade(database_url)
    engine = make_engine(database_url)
    with Session(engine) as session:
        for key in board_keys(args.boards, port):
            ats, token = key.split(":", 1)
            session.add(Board(key=key, ats=ats, token=token))
        session.commit()
        ids = [i for i in session.exec(select(Board.id)).all() if i is not None]

    started = time.perf_counter()
    result = scrape_boards(ids, engine=engine)
    wall = time.perf_counter() - started
    server.stop()

    with Session(engine) as session:
        postings = session.exec(select(func.count()).select_from(JobPosting)).one()
    engine.dispose()
    statuses = Counter(s.status for s in result.summaries)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    requests = sum(server.requests.values())
    busiest = max(result.peak_per_host.values(), default=0)
    print(f"boards:            {len(result.summaries)} ({dict(statuses)})")
    print(f"postings stored:   {postings}")
    print(f"requests:          {requests} (client side {result.requests}; per source {dict(server.requests)})")
    print(f"requests/second:   {requests / wall:.1f}")
    print(f"wall time:         {wall:.1f} s")
    print(f"peak memory (RSS): {peak_mb:.0f} MB")
    print(
        f"limits:            {settings.scrape_workers} workers, {settings.scrape_per_host_limit} per host "
        f"(most seen in flight on one host: {busiest}); {os.cpu_count()} CPUs"
    )
    failed = [s for s in result.summaries if s.status != "ok"]
    for summary in failed[:5]:
        print(f"  {summary.board_key}: {summary.status}: {summary.error}", file=sys.stderr)
    ok = not failed and wall <= 60 and peak_mb < 400
    print(f"targets (<= 60 s, < 400 MB, every board ok): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

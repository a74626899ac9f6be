"""A loopback fake of Resend's email API, strict where jobwatch's correctness depends on it; never the network.

It enforces what the real service enforces and what field case B17 is about:
- a rate limit: at most `rate` requests admitted in any rolling second; beyond it, 429 `rate_limit_exceeded`
  with `retry-after`, `ratelimit-limit`, `ratelimit-remaining` and `ratelimit-reset` headers;
- batches of at most `max_batch` emails (422 otherwise);
- `x-batch-validation: permissive`: invalid addresses are refused one by one (`errors` with their index) and
  the rest are accepted; strict mode refuses the whole batch;
- idempotency: a key seen before with the same payload replays the first answer and is not counted again;
  with a different payload it answers 409 `invalid_idempotent_request`.

Faults are scripted per coming request: `fail_next(500)`, `delay_next(seconds)` (the request is accepted,
then the answer comes too late for the client's timeout), `fail_next(429, retry_after=1)`. `hold_after(k)`:
after k accepted batch calls, every further accepted one is processed (counted) but its answer is held back
until `release()`, as when a worker is killed while the service has acted and not yet answered; `held` counts
the answers held back so far.

`accepted` counts acceptances per idempotency key and `delivered` emails per address; a correct client keeps
every count at 1. Run standalone (`python -m tests.fake_resend --rate 2 --batch 100`) it prints its URL and
serves `GET /_stats` with the counts, for the benchmark.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "re_test_key"


@dataclass
class Fault:
    """What happens to one coming POST: an error answer (`status`), or a late answer (`delay` seconds)."""

    status: int | None = None
    delay: float = 0.0
    retry_after: float | None = None
    name: str = "application_error"


@dataclass
class Logged:
    """One request as the fake saw it."""

    at: float
    path: str
    key: str | None
    status: int
    size: int
    replay: bool = False


@dataclass
class _Stored:
    digest: str
    body: bytes


@dataclass
class FakeResend:
    """The fake server; use as a context manager. `url` is what `RESEND_API_URL` should hold."""

    rate: float = 2
    max_batch: int = 100
    keep_messages: bool = True
    invalid: set[str] = field(default_factory=set)
    accepted: Counter[str] = field(default_factory=Counter)
    delivered: Counter[str] = field(default_factory=Counter)
    messages: list[dict[str, Any]] = field(default_factory=list)
    log: list[Logged] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)
    emails_accepted: int = 0
    first_accept_at: float | None = None
    last_accept_at: float | None = None
    batches_accepted: int = 0
    held: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._hold_after: int | None = None
        self._released = threading.Event()
        self._admitted: deque[float] = deque()
        self._keys: dict[str, _Stored] = {}
        self._seq = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, payload, headers, delay = fake._handle(self.path, dict(self.headers), body)
                if delay < 0:
                    fake._released.wait()  # a held answer: sent (to whoever still listens) on release()
                    delay = 0.0
                if delay:
                    time.sleep(delay)  # the slow answer itself: the client is meant to time out first
                self._reply(status, payload, headers)

            def do_GET(self) -> None:
                if self.path == "/_stats":
                    self._reply(200, json.dumps(fake.stats()).encode(), {})
                else:
                    self._reply(404, b'{"statusCode":404,"name":"not_found","message":"Not found"}', {})

            def _reply(self, status: int, payload: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout fault)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    # --- scripting ------------------------------------------------------------------------------------

    def fail_next(self, status: int, *, retry_after: float | None = None, name: str = "application_error") -> None:
        """The next coming POST gets `status` (without being processed)."""
        self.faults.append(Fault(status=status, retry_after=retry_after, name=name))

    def delay_next(self, seconds: float) -> None:
        """The next coming POST is processed (accepted), then answered only after `seconds`."""
        self.faults.append(Fault(delay=seconds))

    def hold_after(self, accepted_batches: int) -> None:
        """Hold back the answer of every batch call accepted after the first `accepted_batches` ones."""
        self._hold_after = accepted_batches
        self._released.clear()

    def release(self) -> None:
        """Send the held answers and stop holding."""
        self._hold_after = None
        self._released.set()

    # --- the service ----------------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, name: str, message: str) -> bytes:
        return json.dumps({"statusCode": status, "name": name, "message": message}).encode()

    def _rate_headers(self, now: float) -> dict[str, str]:
        remaining = max(0, int(self.rate) - len(self._admitted))
        reset = math.ceil(self._admitted[0] + 1.0 - now) if self._admitted else 1
        return {
            "ratelimit-limit": str(int(self.rate)),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(max(1, reset)),
        }

    def _handle(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, dict[str, str], float]:
        lowered = {k.lower(): v for k, v in headers.items()}
        key = lowered.get("idempotency-key")
        with self._lock:
            now = time.monotonic()
            fault = self.faults.popleft() if self.faults else None
            while self._admitted and self._admitted[0] <= now - 1.0:
                self._admitted.popleft()
            if fault is not None and fault.status is not None:
                extra = {"retry-after": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                self.log.append(Logged(now, path, key, fault.status, 0))
                return fault.status, self._error(fault.status, fault.name, "scripted failure"), extra, 0.0
            if len(self._admitted) >= self.rate:
                wait = max(1, math.ceil(self._admitted[0] + 1.0 - now))
                headers_out = {"retry-after": str(wait), **self._rate_headers(now)}
                self.log.append(Logged(now, path, key, 429, 0))
                message = f"Too many requests. You can only make {self.rate:g} requests per second."
                return 429, self._error(429, "rate_limit_exceeded", message), headers_out, 0.0
            self._admitted.append(now)
            rate_headers = self._rate_headers(now)
            if lowered.get("authorization") != f"Bearer {API_KEY}":
                self.log.append(Logged(now, path, key, 403, 0))
                return 403, self._error(403, "invalid_api_key", "API key is invalid"), rate_headers, 0.0
            digest = hashlib.sha256(path.encode() + b"\0" + body).hexdigest()
            if key is not None and key in self._keys:
                stored = self._keys[key]
                if stored.digest != digest:
                    self.log.append(Logged(now, path, key, 409, 0))
                    message = "Same idempotency key used with a different request payload."
                    return 409, self._error(409, "invalid_idempotent_request", message), rate_headers, 0.0
                self.log.append(Logged(now, path, key, 200, 0, replay=True))
                return 200, stored.body, rate_headers, fault.delay if fault else 0.0
            status, answer = self._process(path, lowered, body, now)
            if status == 200 and key is not None:
                self._keys[key] = _Stored(digest, answer)
            self.log.append(Logged(now, path, key, status, len(answer)))
            if status == 200 and path == "/emails/batch":
                self.batches_accepted += 1
                if self._hold_after is not None and self.batches_accepted > self._hold_after:
                    self.held += 1
                    return status, answer, rate_headers, -1.0
            return status, answer, rate_headers, fault.delay if fault else 0.0

    def _process(self, path: str, headers: dict[str, str], body: bytes, now: float) -> tuple[int, bytes]:
        try:
            data = json.loads(body)
        except ValueError:
            return 400, self._error(400, "validation_error", "Invalid JSON")
        if path == "/emails/batch":
            if not isinstance(data, list) or not data:
                return 422, self._error(422, "validation_error", "Expected a non-empty list of emails")
            if len(data) > self.max_batch:
                return 422, self._error(422, "validation_error", f"Too many emails: at most {self.max_batch}")
            permissive = headers.get("x-batch-validation") == "permissive"
            errors = [{"index": i, "message": problem} for i, m in enumerate(data) if (problem := self._problem(m))]
            if errors and not permissive:
                return 422, self._error(422, "validation_error", errors[0]["message"])
            refused = {e["index"] for e in errors}
            ids = [{"id": self._accept(m, now)} for i, m in enumerate(data) if i not in refused]
            answer: dict[str, Any] = {"data": ids}
            if permissive:
                answer["errors"] = errors
            key = headers.get("idempotency-key")
            if key is not None:
                self.accepted[key] += 1
            return 200, json.dumps(answer).encode()
        if path == "/emails":
            problem = self._problem(data)
            if problem:
                return 422, self._error(422, "validation_error", problem)
            key = headers.get("idempotency-key")
            if key is not None:
                self.accepted[key] += 1
            return 200, json.dumps({"id": self._accept(data, now)}).encode()
        return 404, self._error(404, "not_found", "Not found")

    def _problem(self, message: Any) -> str | None:
        if not isinstance(message, dict):
            return "Each email must be an object"
        for name in ("from", "to", "subject"):
            if not message.get(name):
                return f"Missing `{name}` field."
        to = message["to"] if isinstance(message["to"], list) else [message["to"]]
        for address in to:
            if not isinstance(address, str) or "@" not in address or address in self.invalid:
                return (
                    f"Invalid `to` field. The email address needs to follow the `email@example.com` format: {address}"
                )
        return None

    def _accept(self, message: dict[str, Any], now: float) -> str:
        self._seq += 1
        to = message["to"] if isinstance(message["to"], list) else [message["to"]]
        for address in to:
            self.delivered[address] += 1
        self.emails_accepted += 1
        self.first_accept_at = self.first_accept_at or now
        self.last_accept_at = now
        if self.keep_messages:
            self.messages.append(message)
        return f"fake-{self._seq:08d}"

    # --- reading the counts -----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """The counts as JSON-ready values (what `GET /_stats` serves)."""
        with self._lock:
            statuses = Counter(entry.status for entry in self.log)
            return {
                "requests": len(self.log),
                "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "replays": sum(1 for entry in self.log if entry.replay),
                "emails_accepted": self.emails_accepted,
                "addresses": len(self.delivered),
                "duplicate_addresses": sum(1 for n in self.delivered.values() if n > 1),
                "keys": len(self.accepted),
                "keys_accepted_twice": sum(1 for n in self.accepted.values() if n > 1),
                "first_accept_at": self.first_accept_at,
                "last_accept_at": self.last_accept_at,
            }

    def __enter__(self) -> FakeResend:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def main() -> None:
    """Serve until killed; print the URL on the first line of stdout."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with FakeResend(rate=args.rate, max_batch=args.batch, keep_messages=False) as fake:
        print(fake.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()

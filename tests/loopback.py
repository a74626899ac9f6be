"""A loopback HTTP server that replays canned responses (board APIs, in tests); never the network."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] | None = None


class BoardServer:
    """A loopback server answering `path -> Reply` (query strings ignored); replies can change between scrapes.

    A path in `held` is answered only after `release()`; `waiting` counts requests being held back.
    """

    def __init__(self) -> None:
        self.replies: dict[str, Reply] = {}
        self.hits: dict[str, int] = {}
        self.held: set[str] = set()
        self.waiting = 0
        self._released = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.hits[path] = server.hits.get(path, 0) + 1
                if path in server.held:
                    server.waiting += 1
                    server._released.wait()
                reply = server.replies.get(path, Reply(404, b'{"error":"not found"}'))
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    for key, value in (reply.headers or {}).items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client is gone (a held request whose worker was stopped)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def release(self) -> None:
        """Answer every held request, and from now on answer held paths at once."""
        self._released.set()

    def __enter__(self) -> BoardServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self.httpd.shutdown()
        self.httpd.server_close()

"""A small synchronous client for ASGI apps in tests: httpx over `ASGITransport`, one event loop per call."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class AsgiClient:
    """Calls an ASGI app in-process, as `httpx.Client` would over the network (`get`, `post`, `head`)."""

    def __init__(self, app: Any, base_url: str = "http://jobwatch.test") -> None:
        self.app = app
        self.base_url = base_url

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(call())

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

"""The guard for user-supplied URLs: public addresses only (after DNS, on every redirect hop and on the
address connected to), size, time and redirect limits.

No test resolves a real name or connects outside: names go through a resolver stub (`public.test` ->
93.184.216.34), the "internet" is an `httpx.MockTransport` or a transport that hands what is addressed to
93.184.216.34 to a loopback server, and time comes from a fake clock.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from jobwatch.scrapers.base import ScrapeError, UnexpectedContent, UnsafeURL, UpstreamError
from jobwatch.scrapers.guard import (
    DEFAULT_MAX_BYTES,
    GuardedTransport,
    address_problem,
    check_url,
    make_guarded_client,
)
from jobwatch.scrapers.http import USER_AGENT, request
from tests.loopback import BoardServer, Reply

PUBLIC_IP = "93.184.216.34"
PUBLIC_IP6 = "2606:2800:220:1:248:1893:25c8:1946"
NAMES = {
    "public.test": [PUBLIC_IP],
    "other.test": ["93.184.216.35"],
    "v6.test": [PUBLIC_IP6],
    "evil.test": ["10.0.0.1"],
    "meta.test": ["169.254.169.254"],
    "mixed.test": [PUBLIC_IP, "127.0.0.1"],
    "mapped.test": ["::ffff:127.0.0.1"],
}


class StubResolver:
    """Resolves from a table and counts lookups; an unknown name does not resolve."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = NAMES if table is None else table
        self.calls: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            raise OSError(f"[Errno -2] Name or service not known: {host}")
        return self.table[host]


def mock_client(
    handler: Callable[[httpx.Request], httpx.Response], **options: object
) -> tuple[httpx.Client, list[httpx.Request]]:
    """A guarded client whose inner transport is `handler`; returns it and the requests the handler saw."""
    seen: list[httpx.Request] = []

    def record(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return handler(req)

    options.setdefault("resolver", StubResolver())
    client = make_guarded_client(transport=httpx.MockTransport(record), **options)  # type: ignore[arg-type]
    return client, seen


def ok(req: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="<html>careers</html>", headers={"Content-Type": "text/html"})


# --- refused addresses ---------------------------------------------------------------------------------

REFUSED = [
    ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
    ("http://127.0.0.1:6379/", "127.0.0.1 is a loopback address"),
    ("http://127.0.0.1./", "127.0.0.1 is a loopback address"),
    ("http://[::1]/", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "IPv4-mapped form of 127.0.0.1, a loopback address"),
    ("http://[::ffff:10.0.0.1]/", "IPv4-mapped form of 10.0.0.1, a private address"),
    ("http://[::127.0.0.1]/", "IPv4-compatible form of 127.0.0.1, a loopback address"),
    ("http://10.0.0.1/", "10.0.0.1 is a private address"),
    ("http://172.16.5.4/", "172.16.5.4 is a private address"),
    ("http://192.168.1.1/", "192.168.1.1 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://100.64.0.1/", "100.64.0.1 is a shared (carrier-grade NAT) address"),
    ("http://0.0.0.0/", "0.0.0.0 is the unspecified address"),
    ("http://0/", "0 means 0.0.0.0, the unspecified address"),
    ("http://224.0.0.1/", "224.0.0.1 is a multicast address"),
    ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
    ("http://255.255.255.255/", "the broadcast address"),
    ("http://192.0.2.10/", "192.0.2.10 is a documentation address"),
    ("http://198.18.0.1/", "198.18.0.1 is a benchmarking address"),
    ("http://0x7f000001/", "0x7f000001 means 127.0.0.1, a loopback address"),
    ("http://2130706433/", "2130706433 means 127.0.0.1, a loopback address"),
    ("http://0177.0.0.1/", "0177.0.0.1 means 127.0.0.1, a loopback address"),
    ("http://127.1/", "127.1 means 127.0.0.1, a loopback address"),
    ("http://0xa.0.0.1/", "0xa.0.0.1 means 10.0.0.1, a private address"),
    ("http://167772161/", "167772161 means 10.0.0.1, a private address"),
    ("http://0xA9FEA9FE/", "means 169.254.169.254, a link-local address"),
    ("http://1.2.3.999/", "neither a host name nor a valid IP address"),
    ("http://[::]/", ":: is the unspecified address"),
    ("http://[fe80::1]/", "fe80::1 is a link-local address"),
    ("http://[fec0::1]/", "fec0::1 is a site-local address"),
    ("http://[fd12:3456::1]/", "is a unique local (private) address"),
    ("http://[fc00::1]/", "is a unique local (private) address"),
    ("http://[ff02::1]/", "ff02::1 is a multicast address"),
    ("http://[2001:db8::1]/", "2001:db8::1 is a documentation address"),
    ("http://[2002:a00:1::1]/", "6to4 form of 10.0.0.1, a private address"),
    ("http://[2002:7f00:1::]/", "6to4 form of 127.0.0.1, a loopback address"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "a Teredo tunnel address"),
    ("http://[64:ff9b::a9fe:a9fe]/", "NAT64 form of 169.254.169.254, a link-local address"),
    ("http://localhost/", "localhost is this machine"),
    ("http://api.localhost:8000/", "api.localhost is this machine"),
    ("http://evil.test/", "evil.test resolves to 10.0.0.1, a private address"),
    ("http://meta.test/", "meta.test resolves to 169.254.169.254, a link-local address"),
    ("http://mixed.test/", "mixed.test resolves to 127.0.0.1, a loopback address"),
    ("http://mapped.test/", "mapped.test resolves to ::ffff:7f00:1, an IPv4-mapped form of 127.0.0.1"),
    ("http://user:pw@10.0.0.1/", "10.0.0.1 is a private address"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_check_url_refuses_non_public_hosts_in_every_spelling(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURL) as caught:
        check_url(url, resolver=StubResolver())
    assert str(caught.value).startswith("refused: ")
    assert reason in str(caught.value)


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_guarded_client_refuses_them_before_anything_is_sent(url: str, reason: str) -> None:
    client, seen = mock_client(ok)
    with client, pytest.raises((UnsafeURL, httpx.InvalidURL)) as caught:
        client.get(url)
    # httpx itself rejects a few spellings ("0177.0.0.1") before any transport sees them.
    assert reason in str(caught.value) or isinstance(caught.value, httpx.InvalidURL)
    assert seen == []


@pytest.mark.parametrize("url", ["ftp://public.test/", "file:///etc/passwd", "gopher://public.test/", "data:,x"])
def test_only_http_and_https(url: str) -> None:
    with pytest.raises(UnsafeURL, match="only http and https"):
        check_url(url, resolver=StubResolver())


@pytest.mark.parametrize(
    "url",
    [
        "http://public.test/careers",
        "https://PUBLIC.test./careers",
        f"http://{PUBLIC_IP}/",
        "http://0x5db8d822/",  # 93.184.216.34, spelt in hex: judged by the address it means
        f"http://[::ffff:{PUBLIC_IP}]/",
        f"http://[{PUBLIC_IP6}]/",
        "https://v6.test/jobs",
    ],
)
def test_public_hosts_pass(url: str) -> None:
    check_url(url, resolver=StubResolver())  # raises when refused


def test_a_name_that_does_not_resolve() -> None:
    with pytest.raises(UpstreamError, match=re.escape("cannot resolve nowhere.test")):
        check_url("https://nowhere.test/", resolver=StubResolver())
    client, seen = mock_client(ok)
    with client, pytest.raises(httpx.ConnectError, match=re.escape("cannot resolve nowhere.test")):
        client.get("https://nowhere.test/")
    assert seen == []


def test_address_problem_is_none_only_for_public_addresses() -> None:
    import ipaddress

    assert address_problem(ipaddress.ip_address(PUBLIC_IP)) is None
    assert address_problem(ipaddress.ip_address(PUBLIC_IP6)) is None
    assert address_problem(ipaddress.ip_address("192.0.0.8")) == "an IETF protocol assignment address"
    assert address_problem(ipaddress.ip_address("fe80::1%eth0")) == "a scoped (link-local) address"


# --- pinning ---------------------------------------------------------------------------------------------


def test_the_connection_goes_to_the_checked_address_with_the_name_kept() -> None:
    resolver = StubResolver()
    client, seen = mock_client(ok, resolver=resolver)
    with client:
        response = client.get("https://public.test/careers?x=1")
    assert response.status_code == 200
    [sent] = seen
    assert sent.url.host == PUBLIC_IP
    assert str(sent.url) == f"https://{PUBLIC_IP}/careers?x=1"
    assert sent.headers["Host"] == "public.test"
    assert sent.extensions["sni_hostname"] == "public.test"  # TLS: SNI and certificate checks use the name
    assert sent.headers["User-Agent"] == USER_AGENT
    assert sent.headers["Accept-Encoding"] == "gzip, deflate"
    assert response.request.url.host == "public.test"  # what the caller sees is its own URL
    assert resolver.calls == ["public.test"]


def test_ipv6_addresses_are_pinned_in_brackets() -> None:
    client, seen = mock_client(ok)
    with client:
        client.get("https://v6.test:8443/jobs")
    assert seen[0].url.netloc == f"[{PUBLIC_IP6}]:8443".encode()
    assert seen[0].headers["Host"] == "v6.test:8443"


def test_dns_rebinding_cannot_move_the_connection() -> None:
    """The name is resolved once per request and that checked answer is connected to: a resolver that
    turns private after its first answer changes nothing for that request, and refuses the next one."""
    answers = iter([[PUBLIC_IP], ["127.0.0.1"]])
    client, seen = mock_client(ok, resolver=lambda host: next(answers))
    with client:
        assert client.get("http://rebind.test/").status_code == 200
        with pytest.raises(UnsafeURL, match=re.escape("rebind.test resolves to 127.0.0.1, a loopback address")):
            client.get("http://rebind.test/")
    assert [str(r.url) for r in seen] == [f"http://{PUBLIC_IP}/"]


def test_the_next_address_is_tried_when_one_does_not_connect() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.host == PUBLIC_IP6:
            raise httpx.ConnectError("no route to host", request=req)
        return ok(req)

    resolver = StubResolver({"dual.test": [PUBLIC_IP6, PUBLIC_IP]})
    client, seen = mock_client(handler, resolver=resolver)
    with client:
        assert client.get("http://dual.test/").status_code == 200
    assert [r.url.host for r in seen] == [PUBLIC_IP6, PUBLIC_IP]


class _FakeNetworkStream:
    def __init__(self, peer: tuple[str, int]) -> None:
        self.peer = peer

    def get_extra_info(self, info: str) -> object:
        return self.peer if info == "server_addr" else None


def test_the_peer_actually_connected_to_is_checked() -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="x", extensions={"network_stream": _FakeNetworkStream(("127.0.0.1", 80))})

    client, _ = mock_client(handler)
    with client, pytest.raises(UnsafeURL, match=f"connected to 127.0.0.1, not the checked address {PUBLIC_IP}"):
        client.get("http://public.test/")


class Internet(httpx.BaseTransport):
    """Stands in for the internet: what is addressed to 93.184.216.34 goes to a loopback server over a real
    socket. `keep_peer` keeps the real `network_stream` (whose peer is 127.0.0.1) in the response."""

    def __init__(self, server: BoardServer, *, keep_peer: bool = False) -> None:
        self.port = int(server.url.rsplit(":", 1)[1])
        self.keep_peer = keep_peer
        self.inner = httpx.HTTPTransport()
        self.hosts: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == PUBLIC_IP, f"tried to reach {request.url.host}"
        self.hosts.append(request.headers.get("Host"))
        target = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        forwarded = httpx.Request(
            request.method, target, headers=request.headers, stream=request.stream, extensions=request.extensions
        )
        response = self.inner.handle_request(forwarded)
        extensions = dict(response.extensions)
        if not self.keep_peer:
            extensions.pop("network_stream", None)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code, headers=response.headers, stream=response.stream, extensions=extensions
        )

    def close(self) -> None:
        self.inner.close()


def test_a_real_connection_to_a_loopback_peer_is_refused() -> None:
    with BoardServer() as server:
        server.replies["/careers"] = Reply(200, b"<html>hi</html>", "text/html")
        with (
            make_guarded_client(resolver=StubResolver(), transport=Internet(server, keep_peer=True)) as client,
            pytest.raises(UnsafeURL, match=re.escape("connected to 127.0.0.1")),
        ):
            client.get("http://public.test/careers")


# --- redirects -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://10.0.0.1/admin", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:6379/", "::1 is a loopback address"),
        ("http://0x7f000001/", "0x7f000001 means 127.0.0.1"),
        ("http://evil.test/", "evil.test resolves to 10.0.0.1"),
        ("file:///etc/passwd", "only http and https"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused(location: str, reason: str) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": location})

    client, seen = mock_client(handler)
    with client, pytest.raises(UnsafeURL, match="refused: ") as caught:
        client.get("http://public.test/careers")
    assert reason in str(caught.value)
    assert [r.url.host for r in seen] == [PUBLIC_IP]


def test_a_redirect_served_over_a_real_socket_to_a_private_address_is_refused() -> None:
    with BoardServer() as server:
        server.replies["/careers"] = Reply(
            302, b"", "text/html", headers={"Location": "http://169.254.169.254/latest/meta-data/"}
        )
        internet = Internet(server)
        with make_guarded_client(resolver=StubResolver(), transport=internet) as client:
            with pytest.raises(UnsafeURL, match=re.escape("169.254.169.254 is a link-local address")) as caught:
                client.get("http://public.test/careers")
            assert caught.value.url == "http://169.254.169.254/latest/meta-data/"
            # A public hop is followed, over the real socket, with the name in the Host header.
            server.replies["/old"] = Reply(301, b"", "text/html", headers={"Location": "/careers-page"})
            server.replies["/careers-page"] = Reply(200, b"<html>jobs</html>", "text/html")
            response = client.get("http://public.test/old")
            assert response.text == "<html>jobs</html>"
            assert str(response.url) == "http://public.test/careers-page"
        assert server.hits == {"/careers": 1, "/old": 1, "/careers-page": 1}
        assert internet.hosts == ["public.test"] * 3


def test_redirects_are_limited() -> None:
    def loop(req: httpx.Request) -> httpx.Response:
        n = int(req.url.path.strip("/") or 0)
        return httpx.Response(302, headers={"Location": f"/{n + 1}"})

    client, seen = mock_client(loop, max_redirects=3)
    with client, pytest.raises(httpx.TooManyRedirects):
        client.get("http://public.test/")
    assert len(seen) == 4  # the request and three redirects
    client, _ = mock_client(loop, max_redirects=3)
    sleeps: list[float] = []
    with client, pytest.raises(UpstreamError, match="too many redirects"):
        request(client, "GET", "http://public.test/", sleep=sleeps.append)
    assert sleeps == []


def test_request_does_not_retry_a_refusal() -> None:
    client, seen = mock_client(ok)
    sleeps: list[float] = []
    with client, pytest.raises(UnsafeURL):
        request(client, "GET", "http://10.0.0.1/", sleep=sleeps.append)
    assert sleeps == [] and seen == []
    assert isinstance(UnsafeURL("x"), ScrapeError)


# --- size and time ---------------------------------------------------------------------------------------


def _chunks(n: int, size: int, counter: list[int]) -> Iterator[bytes]:
    for _ in range(n):
        counter[0] += 1
        yield b"x" * size


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    client, _ = mock_client(lambda req: httpx.Response(200, headers={"Content-Length": str(6 * 1024 * 1024)}))
    with client, pytest.raises(UnexpectedContent, match="is 6,291,456 bytes, over the 5 MB read from a page"):
        client.get("http://public.test/")


def test_a_streamed_body_stops_at_the_limit() -> None:
    produced = [0]
    client, _ = mock_client(
        lambda req: httpx.Response(200, content=_chunks(1000, 64 * 1024, produced)), max_bytes=1024 * 1024
    )
    with client, pytest.raises(UnexpectedContent, match="sent more than 1 MB"):
        client.get("http://public.test/")
    assert produced[0] == 17  # 16 chunks fill the megabyte; the 17th goes over and reading stops


def test_the_default_limit_is_5_mb() -> None:
    assert DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    client, _ = mock_client(lambda req: httpx.Response(200, content=b"x" * DEFAULT_MAX_BYTES))
    with client:
        assert len(client.get("http://public.test/").content) == DEFAULT_MAX_BYTES
    client, _ = mock_client(lambda req: httpx.Response(200, content=b"x" * (DEFAULT_MAX_BYTES + 1)))
    with client, pytest.raises(UnexpectedContent, match="is 5,242,881 bytes, over the 5 MB"):
        client.get("http://public.test/")


def test_a_compression_bomb_is_stopped_by_the_decoded_size() -> None:
    bomb = gzip.compress(b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros in ~50 KB
    assert len(bomb) < 100_000
    client, _ = mock_client(
        lambda req: httpx.Response(200, content=bomb, headers={"Content-Encoding": "gzip"}), max_bytes=1024 * 1024
    )
    with client, pytest.raises(UnexpectedContent, match="sent more than 1 MB"):
        client.get("http://public.test/")


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("identity", lambda data: data),
    ],
)
def test_compressed_bodies_under_the_limit_are_decoded_once(encoding: str, encode: Callable[[bytes], bytes]) -> None:
    page = "<html><title>Carrières</title></html>".encode() * 100
    client, _ = mock_client(
        lambda req: httpx.Response(200, content=encode(page), headers={"Content-Encoding": encoding})
    )
    with client:
        response = client.get("http://public.test/")
    assert response.content == page
    assert "Content-Encoding" not in response.headers or encoding == "identity"


def test_an_unsupported_encoding_is_refused() -> None:
    client, _ = mock_client(lambda req: httpx.Response(200, content=b"xx", headers={"Content-Encoding": "br"}))
    with client, pytest.raises(UnexpectedContent, match="unsupported content encoding 'br'"):
        client.get("http://public.test/")


def test_a_body_that_drips_past_the_deadline_is_cut_off() -> None:
    now = [0.0]

    def drip() -> Iterator[bytes]:
        for _ in range(100):
            now[0] += 5.0  # each chunk arrives within the read timeout, but they add up
            yield b"x"

    client, _ = mock_client(lambda req: httpx.Response(200, content=drip()), deadline=30.0, clock=lambda: now[0])
    with client, pytest.raises(UpstreamError, match="did not finish sending its answer in time"):
        client.get("http://public.test/")
    assert now[0] == 35.0


def test_timeouts_and_environment() -> None:
    with make_guarded_client(resolver=StubResolver(), timeout=10.0) as client:
        assert client.timeout.connect == 5.0
        assert client.timeout.read == 10.0
        assert client.max_redirects == 5
        assert client.trust_env is False  # no proxies from the environment: they would connect unchecked
        assert isinstance(client._transport, GuardedTransport)


# --- trusted hosts ---------------------------------------------------------------------------------------


def test_trusted_hosts_skip_the_address_checks_but_not_the_limits() -> None:
    with BoardServer() as server:
        port = int(server.url.rsplit(":", 1)[1])
        server.replies["/careers"] = Reply(200, b"<html>ok</html>", "text/html")
        server.replies["/big"] = Reply(200, b"x" * 2048, "text/html")
        server.replies["/away"] = Reply(302, b"", "text/html", headers={"Location": "http://10.0.0.1/"})
        trusted = f"127.0.0.1:{port}, careers.intranet.test"
        with make_guarded_client(resolver=StubResolver(), trusted_hosts=trusted, max_bytes=1024) as client:
            assert client.get(f"{server.url}/careers").text == "<html>ok</html>"
            with pytest.raises(UnexpectedContent):
                client.get(f"{server.url}/big")
            with pytest.raises(UnsafeURL, match=re.escape("10.0.0.1 is a private address")):
                client.get(f"{server.url}/away")
            # Another port of the same host is not trusted.
            with pytest.raises(UnsafeURL, match="loopback"):
                client.get(f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/")
        check_url(f"{server.url}/careers", trusted_hosts=trusted)
        check_url("https://careers.intranet.test/jobs", trusted_hosts=trusted)
        with pytest.raises(UnsafeURL):
            check_url(f"{server.url}/careers")


def test_a_bad_trusted_hosts_entry_is_an_error() -> None:
    with pytest.raises(ValueError, match="not host\\[:port\\]"):
        make_guarded_client(trusted_hosts="127.0.0.1:http")

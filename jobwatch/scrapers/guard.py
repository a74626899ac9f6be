"""Fetching URLs that users typed: public addresses only, with size and time limits.

A careers page URL a user pastes (a `jsonld:URL` board, or a page that board discovery reads) must not
let them make jobwatch's server talk to itself or its network: `http://127.0.0.1:6379/`, a cloud metadata
address such as `http://169.254.169.254/`, or a name that resolves to `10.0.0.1`. Configured
`<SOURCE>_API_URL`s are trusted and never come here (CONTRACT section 4).

`make_guarded_client()` returns an `httpx.Client` whose transport (`GuardedTransport`), for every request
and every redirect hop:

1. accepts `http` and `https` only;
2. reads the host the way browsers do, so IPv4 in odd spellings (`0x7f000001`, `2130706433`,
   `0177.0.0.1`, `127.1`) and IPv6 forms that embed IPv4 (`::ffff:127.0.0.1`, 6to4, NAT64) are judged by
   the address they mean;
3. resolves a name with the injectable resolver (host -> IP strings) and refuses the URL unless *every*
   address is public (`address_problem` lists what is not: loopback, private, link-local, CGNAT,
   multicast, reserved, unspecified, site-local, unique-local, documentation, benchmarking ...);
4. connects to the checked address itself (the request URL is rewritten to the IP; the `Host` header
   and, for TLS, the `sni_hostname` extension keep the name, so certificates are still verified against
   it), so a DNS answer that changes between check and connect (DNS rebinding) cannot redirect the
   connection; when the network layer reports the peer it connected to, that is checked again;
5. streams the body and stops at `max_bytes` of *decoded* content (gzip/deflate are decoded here under
   the same limit, so a small compressed bomb cannot expand in memory) and at a total deadline per hop,
   on top of the client's connect/read timeouts; the client follows at most `max_redirects` redirects.

Refusals raise `UnsafeURL` (a `ScrapeError`; `str(err)` says why: "refused: 127.0.0.1 is a loopback
address"). A body over the limit raises `UnexpectedContent`, a missed deadline `UpstreamError`, a name
that does not resolve `httpx.ConnectError` (so `scrapers.http.request` treats it like any network error).

Hosts listed as trusted (`JSONLD_TRUSTED_HOSTS`, for loopback test servers and operators' own pages)
skip the address checks, never the size and time limits.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from jobwatch.scrapers.base import UnexpectedContent, UnsafeURL, UpstreamError
from jobwatch.scrapers.http import USER_AGENT

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: A resolver: host name -> its IP addresses as strings (or `ipaddress` objects). Raises `OSError`
#: (`socket.gaierror`) when the name does not resolve.
Resolver = Callable[[str], Sequence[str | IPAddress]]
Clock = Callable[[], float]

#: Largest body read from a user-supplied URL, in bytes (after decompression).
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: Seconds allowed for each network wait (read, write, pool); connecting gets at most `CONNECT_TIMEOUT`.
DEFAULT_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0
#: Seconds one request (one redirect hop) may take from sending to the body's last byte; stops a
#: server that drips a byte just before every read timeout.
DEFAULT_DEADLINE = 30.0
DEFAULT_MAX_REDIRECTS = 5

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Encodings decoded here under the size limit; we never advertise others.
_ACCEPT_ENCODING = "gzip, deflate"


# ------------------------------------------------------------------------------------------------
# Which addresses are public
# ------------------------------------------------------------------------------------------------

_V4 = ipaddress.IPv4Network
_V6 = ipaddress.IPv6Network

# Ordered: the first match names the reason. Sources: IANA IPv4/IPv6 special-purpose address registries.
_V4_RANGES: tuple[tuple[ipaddress.IPv4Network, str], ...] = (
    (_V4("0.0.0.0/32"), "the unspecified address"),
    (_V4("0.0.0.0/8"), "a 'this network' address"),
    (_V4("127.0.0.0/8"), "a loopback address"),
    (_V4("10.0.0.0/8"), "a private address"),
    (_V4("172.16.0.0/12"), "a private address"),
    (_V4("192.168.0.0/16"), "a private address"),
    (_V4("169.254.0.0/16"), "a link-local address"),
    (_V4("100.64.0.0/10"), "a shared (carrier-grade NAT) address"),
    (_V4("224.0.0.0/4"), "a multicast address"),
    (_V4("255.255.255.255/32"), "the broadcast address"),
    (_V4("240.0.0.0/4"), "a reserved address"),
    (_V4("192.0.2.0/24"), "a documentation address"),
    (_V4("198.51.100.0/24"), "a documentation address"),
    (_V4("203.0.113.0/24"), "a documentation address"),
    (_V4("198.18.0.0/15"), "a benchmarking address"),
    (_V4("192.0.0.0/24"), "an IETF protocol assignment address"),
    (_V4("192.88.99.0/24"), "a deprecated 6to4 relay address"),
)
_V6_RANGES: tuple[tuple[ipaddress.IPv6Network, str], ...] = (
    (_V6("::/128"), "the unspecified address"),
    (_V6("::1/128"), "a loopback address"),
    (_V6("64:ff9b:1::/48"), "a local-use NAT64 address"),
    (_V6("100::/64"), "a discard-only address"),
    (_V6("2001::/32"), "a Teredo tunnel address"),
    (_V6("2001:db8::/32"), "a documentation address"),
    (_V6("3fff::/20"), "a documentation address"),
    (_V6("fe80::/10"), "a link-local address"),
    (_V6("fec0::/10"), "a site-local address"),
    (_V6("fc00::/7"), "a unique local (private) address"),
    (_V6("ff00::/8"), "a multicast address"),
)
_V4_COMPATIBLE = _V6("::/96")
_NAT64 = _V6("64:ff9b::/96")


def _embedded_v4(ip: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 address carries, with the name of the form, or None."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "an IPv4-mapped form of"
    if ip.sixtofour is not None:
        return ip.sixtofour, "a 6to4 form of"
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "a NAT64 form of"
    if ip in _V4_COMPATIBLE and int(ip) > 1:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "an IPv4-compatible form of"
    return None


def address_problem(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address ("a loopback address", "an IPv4-mapped form of 10.0.0.1, a
    private address"), or None when it is one jobwatch may connect to for a user.

    IPv4: unspecified and 0/8, loopback, private (RFC 1918), link-local (where cloud metadata lives),
    CGNAT 100.64/10, multicast, broadcast, reserved 240/4, documentation, benchmarking, IETF protocol
    assignments, and anything else Python does not call global. IPv6: unspecified, loopback, forms
    embedding an IPv4 address (mapped, compatible, 6to4, NAT64: judged by that address), local-use NAT64,
    discard, Teredo, documentation, link-local, site-local, unique local fc00::/7, multicast, and anything
    else not global.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return "a scoped (link-local) address"
        embedded = _embedded_v4(ip)
        if embedded is not None:
            v4, form = embedded
            problem = address_problem(v4)
            return f"{form} {v4}, {problem}" if problem else None
        for network6, reason in _V6_RANGES:
            if ip in network6:
                return reason
    else:
        for network4, reason in _V4_RANGES:
            if ip in network4:
                return reason
    return None if ip.is_global else "not a public address"


# ------------------------------------------------------------------------------------------------
# Reading hosts
# ------------------------------------------------------------------------------------------------

_NUMBER_PART = re.compile(r"^(?:0[xX][0-9a-fA-F]*|[0-9]+)$")


def _ipv4_number(part: str) -> int | None:
    """One part of a WHATWG IPv4 host: decimal, octal (leading 0) or hex (0x); None if not a number."""
    if not part:
        return None
    try:
        if part[:2].lower() == "0x":
            return int(part[2:], 16) if part[2:] else 0
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def _numeric_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address of a host the WHATWG URL standard reads as IPv4 (`0x7f000001`, `2130706433`,
    `0177.0.0.1`, `127.1`), which is how browsers and `inet_aton` read it; None for a host whose last
    label is not a number (a name). Raises `UnsafeURL` for a numeric host that is no valid address."""
    labels = host.split(".")
    if len(labels) > 1 and labels[-1] == "":
        labels.pop()
    if not _NUMBER_PART.match(labels[-1]):
        return None
    numbers = [_ipv4_number(label) for label in labels]
    if len(labels) > 4 or any(n is None for n in numbers):
        raise UnsafeURL(f"refused: {host} is neither a host name nor a valid IP address")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise UnsafeURL(f"refused: {host} is neither a host name nor a valid IP address")
    address = values[-1]
    for index, n in enumerate(values[:-1]):
        address += n * 256 ** (3 - index)
    return ipaddress.IPv4Address(address)


def _plain_host(host: str) -> str:
    """A URL host as compared and resolved: lower case, no brackets, no trailing dot."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host[:-1] if host.endswith(".") and not host.endswith("..") else host


def system_resolver(host: str) -> list[str]:
    """The addresses the operating system resolves `host` to (IPv4 and IPv6, each once, in its order).

    Raises `socket.gaierror` (an `OSError`) when the name does not resolve.
    """
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: dict[str, None] = {}
    for *_, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    return list(seen)


class _Unresolvable(Exception):
    """A host name that does not resolve (turned into `httpx.ConnectError` or `UpstreamError`)."""


def _vet_host(host: str, resolver: Resolver) -> list[IPAddress]:
    """The public addresses `host` stands for (an IP literal in any spelling, or a resolved name).

    Raises `UnsafeURL` when the host, or any address a name resolves to, is not public, and
    `_Unresolvable` when a name has no address.
    """
    plain = _plain_host(host)
    if not plain:
        raise UnsafeURL("refused: the URL has no host")
    literal: IPAddress | None
    try:
        literal = ipaddress.ip_address(plain)
    except ValueError:
        literal = _numeric_ipv4(plain)
        if literal is not None:
            problem = address_problem(literal)
            if problem:
                raise UnsafeURL(f"refused: {plain} means {literal}, {problem}") from None
            return [literal]
    if literal is not None:
        problem = address_problem(literal)
        if problem:
            raise UnsafeURL(f"refused: {plain} is {problem}")
        return [literal]
    if plain == "localhost" or plain.endswith(".localhost"):
        # RFC 6761: these names always mean this machine, whatever a resolver says.
        raise UnsafeURL(f"refused: {plain} is this machine (a loopback name)")
    try:
        answers = list(resolver(plain))
    except (OSError, UnicodeError) as exc:
        raise _Unresolvable(f"cannot resolve {plain}: {exc}") from None
    if not answers:
        raise _Unresolvable(f"cannot resolve {plain}: no addresses")
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            address = ipaddress.ip_address(str(answer))
        except ValueError:
            raise UnsafeURL(f"refused: {plain} resolves to {answer!r}, which is not an IP address") from None
        problem = address_problem(address)
        if problem:
            # One non-public answer refuses the name: which answer a connection would use is not ours to pick.
            raise UnsafeURL(f"refused: {plain} resolves to {address}, {problem}")
        addresses.append(address)
    return addresses


# ------------------------------------------------------------------------------------------------
# Trusted hosts
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrustedHosts:
    """Hosts exempt from the address checks (not from size and time limits): `(host, port or None)`
    pairs; a pair without a port trusts every port of the host."""

    entries: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def parse(cls, value: str | Iterable[str] | TrustedHosts | None) -> TrustedHosts:
        """From a comma-separated `host[:port]` list (`127.0.0.1:8080, careers.internal`, `[::1]:9000`)
        or an iterable of such entries. Blank entries are ignored; raises `ValueError` for a bad port."""
        if isinstance(value, TrustedHosts):
            return value
        if value is None:
            return cls()
        items = value.split(",") if isinstance(value, str) else list(value)
        entries: set[tuple[str, int | None]] = set()
        for item in items:
            text = item.strip().lower()
            if not text:
                continue
            port_text = ""
            if text.startswith("["):
                host, _, rest = text[1:].partition("]")
                # "[::1]:9000" -> "9000"; anything but ":PORT" after the bracket is left to fail the check.
                port_text = rest[1:] if rest.startswith(":") else rest
            elif text.count(":") == 1:
                host, _, port_text = text.partition(":")
            else:
                host = text  # a name, an IPv4 address, or a bare IPv6 address
            if port_text and not (port_text.isdigit() and 0 < int(port_text) < 65536):
                raise ValueError(f"trusted host {item.strip()!r} is not host[:port] (port 1-65535)")
            entries.add((_plain_host(host), int(port_text) if port_text else None))
        return cls(frozenset(entries))

    def allows(self, url: httpx.URL) -> bool:
        """Whether `url`'s host (and port) is trusted."""
        if not self.entries:
            return False
        host = _plain_host(url.raw_host.decode("ascii"))
        port = url.port or _DEFAULT_PORTS.get(url.scheme)
        return (host, None) in self.entries or (host, port) in self.entries


# ------------------------------------------------------------------------------------------------
# Checking a URL without fetching it
# ------------------------------------------------------------------------------------------------


def parse_url(url: str | httpx.URL) -> httpx.URL:
    """`url` as the client will read it (`httpx.URL`). Raises `UnsafeURL` for a URL httpx rejects,
    naming the address an odd numeric host means when there is one ("0177.0.0.1 means 127.0.0.1, a
    loopback address"). Checks nothing else."""
    if isinstance(url, httpx.URL):
        return url
    try:
        return httpx.URL(url.strip())
    except httpx.InvalidURL as exc:
        invalid = exc
    # httpx rejects some odd hosts itself ("0177.0.0.1"); say what such a host means where we can.
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        host = None
    if host and _numeric_ipv4(_plain_host(host)) is not None:
        _vet_host(host, system_resolver)  # a numeric host never reaches the resolver
    raise UnsafeURL(f"refused: {url!r} is not a valid URL ({invalid})", url=url)


def check_url(
    url: str | httpx.URL,
    *,
    resolver: Resolver | None = None,
    trusted_hosts: str | Iterable[str] | TrustedHosts | None = None,
) -> None:
    """Refuse a user-supplied URL that the guarded client would refuse; returns None when it may be fetched.

    Checks the scheme (http/https) and the host: an IP literal in any spelling, or a name resolved with
    `resolver` (default: the system's) whose every address must be public (`address_problem`). Hosts in
    `trusted_hosts` pass unchecked. Raises `UnsafeURL` saying why, or `UpstreamError` when the name does
    not resolve. The fetch checks again (a name may resolve differently later).
    """
    parsed = parse_url(url)
    _check_scheme(parsed)
    if TrustedHosts.parse(trusted_hosts).allows(parsed):
        return
    try:
        _vet_host(parsed.raw_host.decode("ascii"), resolver or system_resolver)
    except _Unresolvable as exc:
        raise UpstreamError(str(exc), url=str(parsed)) from None
    except UnsafeURL as exc:
        raise UnsafeURL(str(exc), url=str(parsed)) from None


def _check_scheme(url: httpx.URL) -> None:
    if url.scheme not in ("http", "https"):
        shown = url.scheme or "no scheme"
        raise UnsafeURL(f"refused: only http and https URLs can be read, not {shown}", url=str(url))


# ------------------------------------------------------------------------------------------------
# The transport
# ------------------------------------------------------------------------------------------------


class _LimitedStream(httpx.SyncByteStream):
    """A response body that yields decoded bytes and stops at a size limit and a deadline."""

    def __init__(
        self,
        inner: httpx.SyncByteStream,
        *,
        encoding: str | None,
        url: str,
        max_bytes: int,
        deadline: float,
        clock: Clock,
    ) -> None:
        self._inner = inner
        self._encoding = encoding
        self._url = url
        self._max_bytes = max_bytes
        self._deadline = deadline
        self._clock = clock
        self._total = 0

    def _count(self, piece: bytes) -> bytes:
        self._total += len(piece)
        if self._total > self._max_bytes:
            raise UnexpectedContent(
                f"{self._url} sent more than {_size(self._max_bytes)}; pages larger than that are not read",
                url=self._url,
            )
        return piece

    def _check_time(self) -> None:
        if self._clock() > self._deadline:
            raise UpstreamError(f"{self._url} did not finish sending its answer in time", url=self._url)

    def __iter__(self) -> Iterator[bytes]:
        decoder = _Decoder(self._encoding, self._url) if self._encoding else None
        for chunk in self._inner:
            self._check_time()
            if decoder is None:
                yield self._count(chunk)
                continue
            # Decode at most what the limit still allows (+1 to notice going over), so memory stays bounded.
            for piece in decoder.feed(chunk, lambda: self._max_bytes - self._total + 1):
                yield self._count(piece)
        if decoder is not None:
            tail = decoder.finish()
            if tail:
                yield self._count(tail)

    def close(self) -> None:
        self._inner.close()


class _Decoder:
    """gzip/deflate decoding with a bound on each output step."""

    def __init__(self, encoding: str, url: str) -> None:
        self._url = url
        self._raw_fallback = encoding == "deflate"
        # gzip: a gzip header; deflate: a zlib header, or (as some servers send) raw deflate.
        wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._z = zlib.decompressobj(wbits)
        self._started = False

    def feed(self, data: bytes, room: Callable[[], int]) -> Iterator[bytes]:
        while data:
            try:
                out = self._z.decompress(data, max(1, room()))
            except zlib.error as exc:
                if self._raw_fallback and not self._started:
                    self._raw_fallback = False
                    self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise UnexpectedContent(f"{self._url} sent a body that does not decompress: {exc}") from None
            self._started = True
            data = self._z.unconsumed_tail
            if out:
                yield out
            elif data:  # no progress while input remains: a corrupt stream
                raise UnexpectedContent(f"{self._url} sent a body that does not decompress")

    def finish(self) -> bytes:
        try:
            return self._z.flush()
        except zlib.error as exc:
            raise UnexpectedContent(f"{self._url} sent a body that does not decompress: {exc}") from None


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MB" if n >= 1024 * 1024 else f"{n} bytes"


class GuardedTransport(httpx.BaseTransport):
    """An `httpx` transport that only lets requests reach public addresses (see the module docstring).

    `inner`: the transport that really sends (default: `httpx.HTTPTransport` without keep-alive, so a
    TLS connection made for one name is never reused for another name on the same address); it receives
    the rewritten request (URL host = the checked IP, `Host` header and `sni_hostname` = the name).
    `resolver`: host -> IPs (default `system_resolver`). `max_bytes`: body limit after decoding.
    `deadline`: seconds per request from sending to the last byte. `trusted_hosts`: exempt hosts.
    `clock`: monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        resolver: Resolver | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        deadline: float = DEFAULT_DEADLINE,
        trusted_hosts: str | Iterable[str] | TrustedHosts | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self._inner = inner or httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))
        self._resolver = resolver or system_resolver
        self._max_bytes = max_bytes
        self._deadline = deadline
        self._trusted = TrustedHosts.parse(trusted_hosts)
        self._clock = clock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Check, pin and send one request (one redirect hop); returns a response with a limited body.

        Raises `UnsafeURL`, `UnexpectedContent` (Content-Length over the limit, unsupported encoding),
        `httpx.ConnectError` (a name that does not resolve; every address failed) and what `inner` raises.
        """
        started = self._clock()
        url = request.url
        _check_scheme(url)
        headers = request.headers.copy()
        headers["Accept-Encoding"] = _ACCEPT_ENCODING
        if self._trusted.allows(url):
            forwarded = httpx.Request(
                request.method, url, headers=headers, stream=request.stream, extensions=request.extensions
            )
            return self._limited(self._inner.handle_request(forwarded), url=str(url), started=started)

        host = url.raw_host.decode("ascii")
        try:
            addresses = _vet_host(host, self._resolver)
        except _Unresolvable as exc:
            raise httpx.ConnectError(str(exc), request=request) from None
        except UnsafeURL as exc:
            raise UnsafeURL(str(exc), url=str(url)) from None

        last_error: httpx.TransportError | None = None
        for address in addresses:
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=str(address)),
                headers=headers,  # still carries `Host: <name>`, set when the request was built
                stream=request.stream,
                extensions={**request.extensions, "sni_hostname": _plain_host(host)},
            )
            try:
                response = self._inner.handle_request(pinned)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last_error = exc  # another address of the name may answer (an IPv6 one without a route)
                continue
            self._check_peer(response, address, url=str(url))
            return self._limited(response, url=str(url), started=started)
        assert last_error is not None
        raise last_error

    def _check_peer(self, response: httpx.Response, address: IPAddress, *, url: str) -> None:
        """Refuse the response if the network layer says it came from anywhere but `address`."""
        stream = response.extensions.get("network_stream")
        if stream is None or not hasattr(stream, "get_extra_info"):
            return
        try:
            peer = stream.get_extra_info("server_addr")
        except OSError:
            return
        if not peer:
            return
        try:
            connected = ipaddress.ip_address(str(peer[0]).split("%", 1)[0])
        except ValueError:
            return
        if _same_address(connected, address) and address_problem(connected) is None:
            return
        response.close()
        raise UnsafeURL(f"refused: connected to {connected}, not the checked address {address}", url=url)

    def _limited(self, response: httpx.Response, *, url: str, started: float) -> httpx.Response:
        headers = response.headers.copy()
        encoding = headers.get("Content-Encoding", "").strip().lower() or None
        if encoding == "identity":
            encoding = None
        if encoding not in (None, "gzip", "x-gzip", "deflate"):
            response.close()
            raise UnexpectedContent(f"{url} sent an unsupported content encoding {encoding!r}", url=url)
        length = headers.get("Content-Length", "").strip()
        if encoding is None and length.isdigit() and int(length) > self._max_bytes:
            response.close()
            raise UnexpectedContent(
                f"{url} is {int(length):,} bytes, over the {_size(self._max_bytes)} read from a page", url=url
            )
        if encoding is not None:
            # Decoded here under the limit; httpx must not decode again.
            del headers["Content-Encoding"]
            headers.pop("Content-Length", None)
        stream = response.stream
        assert isinstance(stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=_LimitedStream(
                stream,
                encoding=encoding,
                url=url,
                max_bytes=self._max_bytes,
                deadline=started + self._deadline,
                clock=self._clock,
            ),
            extensions=response.extensions,
        )

    def close(self) -> None:
        """Close the inner transport."""
        self._inner.close()


def _same_address(a: IPAddress, b: IPAddress) -> bool:
    def plain(ip: IPAddress) -> IPAddress:
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        return ip

    return plain(a) == plain(b)


def make_guarded_client(
    *,
    resolver: Resolver | None = None,
    transport: httpx.BaseTransport | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: float = DEFAULT_TIMEOUT,
    deadline: float = DEFAULT_DEADLINE,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    trusted_hosts: str | Iterable[str] | TrustedHosts | None = None,
    user_agent: str | None = None,
    clock: Clock = time.monotonic,
) -> httpx.Client:
    """The `httpx.Client` for URLs users typed: every hop through `GuardedTransport`.

    `transport` is the inner transport that really sends (a `MockTransport` in tests; it sees the pinned
    request). Timeouts: `timeout` seconds per network wait, connect at most `CONNECT_TIMEOUT`, `deadline`
    seconds per hop in all; at most `max_redirects` redirects (then `httpx.TooManyRedirects`); bodies over
    `max_bytes` (decoded) raise `UnexpectedContent`. Sends `user_agent` (services pass `SCRAPER_USER_AGENT`;
    default `scrapers.http.USER_AGENT`); environment proxies and `.netrc`
    are ignored (a proxy would connect where we did not check). The caller closes the client.
    """
    guarded = GuardedTransport(
        transport,
        resolver=resolver,
        max_bytes=max_bytes,
        deadline=deadline,
        trusted_hosts=trusted_hosts,
        clock=clock,
    )
    return httpx.Client(
        transport=guarded,
        timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT)),
        follow_redirects=True,
        max_redirects=max_redirects,
        headers={"User-Agent": user_agent or USER_AGENT},
        trust_env=False,
    )

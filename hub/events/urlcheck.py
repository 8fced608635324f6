"""SSRF guard for webhook URLs: which URLs a customer may register and which addresses we dial.

Two checks, both needed:

* :func:`validate_webhook_url` looks at the URL itself (at save time and again before each
  delivery): https only, no credentials in the URL, no loopback / private / link-local /
  metadata / otherwise non-public IP literals, whatever spelling they use (``2130706433``,
  ``0x7f000001``, ``0177.0.0.1``, ``127.1``, ``::ffff:127.0.0.1`` ...).
* :func:`resolve_and_check` resolves the host at delivery time and checks *every* address it
  gets; the delivery client then connects to one of those checked addresses and nothing else,
  which is what defeats DNS rebinding.

The allow-list (``IVALID_WEBHOOK_ALLOWLIST``, parsed by :func:`parse_allowlist`) names hosts and
networks an operator trusts, typically for local development: ``127.0.0.1/32,::1,localhost``.
An allow-listed *host name* may use plain http and is exempt from the name-based refusals
(``localhost``), but the addresses it resolves to are still checked: they must be public or
inside an allow-listed network. An allow-listed *address* (literal IP or resolved) may be
non-public; a URL whose host is an allow-listed IP literal may also use plain http.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWLIST_ENV = "IVALID_WEBHOOK_ALLOWLIST"
MAX_URL_LENGTH = 2048

# Reason codes carried by UnsafeURL (stable: the API and the delivery log show them).
INVALID_URL = "invalid_url"
SCHEME_NOT_ALLOWED = "scheme_not_allowed"
HTTP_NOT_ALLOWED = "http_not_allowed"
USERINFO_NOT_ALLOWED = "userinfo_not_allowed"
LOOPBACK = "loopback"
PRIVATE = "private"
LINK_LOCAL = "link_local"
METADATA = "metadata"
UNSPECIFIED = "unspecified"
MULTICAST = "multicast"
RESERVED = "reserved"
CGNAT = "cgnat"
UNIQUE_LOCAL = "unique_local"
IPV4_MAPPED = "ipv4_mapped"
NAT64 = "nat64"
NO_ADDRESS = "no_address"

_CLOUD_METADATA_IPS = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
    )
)
_CLOUD_METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_ULA = ipaddress.ip_network("fc00::/7")
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPAT = ipaddress.ip_network("::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # SIIT, RFC 2765
_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_HEX = frozenset("0123456789abcdef")
_HEX_PART = re.compile(r"^0[xX][0-9a-fA-F]+$")
_OCTAL_PART = re.compile(r"^0[0-7]+$")
_DECIMAL_PART = re.compile(r"^(?:0|[1-9][0-9]*)$")
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
# Characters that different URL parsers disagree about: refuse rather than guess.
_FORBIDDEN_URL_CHARS = re.compile(r"[\x00-\x20\x7f\\]")


class UnsafeURL(ValueError):
    """A webhook URL or address refused by the SSRF guard; ``reason_code`` is machine-readable."""

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


@dataclass(frozen=True)
class Allowlist:
    """Hosts and networks exempt from the public-address rule (and allowed to use plain http)."""

    hosts: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()

    def allows_host(self, host: str) -> bool:
        """Tell whether a normalised host name is allow-listed (exactly or by ``*.suffix``)."""
        return host in self.hosts or any(host.endswith(s) for s in self.suffixes)

    def allows_ip(self, ip: IPAddress) -> bool:
        """Tell whether an address lies in an allow-listed network."""
        return any(ip.version == n.version and ip in n for n in self.networks)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Allowlist:
        """Build the allow-list from ``IVALID_WEBHOOK_ALLOWLIST`` (empty when unset)."""
        env = os.environ if environ is None else environ
        return parse_allowlist(env.get(ALLOWLIST_ENV, ""))


@dataclass(frozen=True)
class WebhookTarget:
    """A validated webhook URL split into what the delivery client needs."""

    scheme: str
    host: str  # normalised: lower-case IDNA name, or canonical IP text (no brackets)
    port: int
    path: str  # path + query, never empty
    ip: IPAddress | None = None  # set when the host is an IP literal

    @property
    def host_header(self) -> str:
        """Return the ``Host`` header value (port only when not the scheme's default)."""
        host = f"[{self.host}]" if self.ip is not None and self.ip.version == 6 else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse_allowlist(value: str | None) -> Allowlist:
    """Parse ``"127.0.0.1/32,::1,localhost,*.example.test"`` (comma/space separated)."""
    hosts: set[str] = set()
    suffixes: list[str] = []
    networks: list[IPNetwork] = []
    for raw in re.split(r"[,\s]+", value or ""):
        entry = raw.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        wildcard = entry.startswith("*.")
        name = _normalise_hostname(entry[2:] if wildcard else entry)
        if name is None or parse_ip_literal(name) is not None:
            raise ValueError(f"invalid allow-list entry {raw!r}: expected a host name or a CIDR")
        if wildcard:
            suffixes.append("." + name)
        else:
            hosts.add(name)
    return Allowlist(frozenset(hosts), tuple(suffixes), tuple(networks))


def _parse_ipv4_part(part: str) -> int | None:
    """Parse one inet_aton component: decimal, ``0x`` hex or ``0``-led octal (nothing looser)."""
    if _HEX_PART.match(part):
        return int(part[2:], 16)
    if _OCTAL_PART.match(part):
        return int(part, 8)
    if _DECIMAL_PART.match(part):
        return int(part, 10)
    return None  # int() would also take "+7", "1_0" or Unicode digits: inet_aton does not


def parse_ipv4_inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """Parse IPv4 the permissive way resolvers do (``127.1``, ``0x7f.1``, ``2130706433``)."""
    if not text.isascii():
        return None
    # A single trailing dot is accepted by resolvers ("127.0.0.1.").
    parts = text[:-1].split(".") if text.endswith(".") else text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values = [_parse_ipv4_part(p) for p in parts]
    if any(v is None for v in values):
        return None
    nums = [v for v in values if v is not None]
    # Leading parts are one byte each; the last fills the remaining bytes (inet_aton rules).
    if any(v > 0xFF for v in nums[:-1]) or nums[-1] >= 1 << (8 * (5 - len(nums))):
        return None
    packed = 0
    for v in nums[:-1]:
        packed = packed << 8 | v
    packed = packed << (8 * (5 - len(nums))) | nums[-1]
    return ipaddress.IPv4Address(packed)


def parse_ip_literal(host: str) -> IPAddress | None:
    """Return the address a host string denotes if it is an IP literal in any spelling."""
    candidate = host.strip("[]")
    if "%" in candidate:  # zone ids only make sense for link-local, refused anyway
        candidate = candidate.split("%", 1)[0]
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        pass
    return parse_ipv4_inet_aton(candidate) if ":" not in candidate else None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """Return the IPv4 address a NAT64 or 6to4 IPv6 address carries, if any."""
    if ip in _NAT64_WELL_KNOWN:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def classify_ip(ip: IPAddress) -> str | None:
    """Return the reason code why an address must not be dialled, or None if it is public."""
    if ip in _CLOUD_METADATA_IPS:
        return METADATA
    if ip.is_unspecified:
        return UNSPECIFIED
    if ip.is_loopback:
        return LOOPBACK
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:a.b.c.d, ::a.b.c.d, ::ffff:0:a.b.c.d reach the IPv4 stack; no public host
        # publishes them in DNS.
        if ip.ipv4_mapped is not None or ip in _IPV4_COMPAT or ip in _IPV4_TRANSLATED:
            return IPV4_MAPPED
        if ip in _NAT64_LOCAL_USE:
            return NAT64
        inner = _embedded_ipv4(ip)
        if inner is not None and classify_ip(inner) is not None:
            return NAT64 if ip in _NAT64_WELL_KNOWN else IPV4_MAPPED
        if inner is not None:
            return None  # a public IPv4 reached through NAT64/6to4 is a public endpoint
        if ip in _ULA:
            return UNIQUE_LOCAL
    if ip.is_link_local:
        return LINK_LOCAL
    if ip.is_multicast:
        return MULTICAST
    if isinstance(ip, ipaddress.IPv4Address):
        if ip in _CGNAT:
            return CGNAT
        if any(ip in n for n in _RFC1918):
            return PRIVATE
    if ip.is_reserved:
        return RESERVED
    if ip.is_private or not ip.is_global:
        # Documentation, benchmarking, 0/8, 192.0.0/24, 2001:db8::/32 ... nothing to deliver to.
        return RESERVED
    return None


def check_ip(ip: IPAddress, allowlist: Allowlist, host: str | None = None) -> None:
    """Raise UnsafeURL unless the address is public or allow-listed."""
    reason = classify_ip(ip)
    if reason is None or allowlist.allows_ip(ip):
        return
    shown = f"{host} resolves to {ip}" if host and host != str(ip) else f"address {ip}"
    raise UnsafeURL(reason, f"{shown}: {reason.replace('_', '-')} addresses are not allowed")


def _normalise_hostname(host: str) -> str | None:
    """Return a lower-case ASCII (IDNA) host name without trailing dot, or None if malformed."""
    if host.endswith("."):  # the fully-qualified spelling names the same host
        host = host[:-1]
    try:
        # The idna codec also folds look-alikes such as full-width digits to ASCII.
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return None
    labels = ascii_host.split(".")
    if not ascii_host or len(ascii_host) > 253 or not all(_HOST_LABEL.match(x) for x in labels):
        return None
    return ascii_host


def _is_numeric_label(label: str) -> bool:
    """Tell whether a label reads as a number to a URL parser (WHATWG "ends in a number")."""
    hex_digits = label[2:] if label.startswith("0x") else None
    return label.isdigit() or (hex_digits is not None and all(c in _HEX for c in hex_digits))


def _split(url: str) -> SplitResult:
    """Split a URL, turning parser errors into UnsafeURL."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(INVALID_URL, "the URL is empty or too long")
    if _FORBIDDEN_URL_CHARS.search(url):
        raise UnsafeURL(INVALID_URL, "the URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - evaluating it validates the port
    except ValueError as exc:
        raise UnsafeURL(INVALID_URL, f"the URL cannot be parsed: {exc}") from None
    return parts


def parse_webhook_url(url: str, allowlist: Allowlist) -> WebhookTarget:
    """Validate a webhook URL without DNS and return its parts (raise UnsafeURL if refused)."""
    parts = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURL(SCHEME_NOT_ALLOWED, f"scheme {scheme or '(none)'!r} is not allowed")
    if "@" in parts.netloc:
        raise UnsafeURL(USERINFO_NOT_ALLOWED, "credentials in the URL are not allowed")
    raw_host = parts.hostname or ""
    if not raw_host:
        raise UnsafeURL(INVALID_URL, "the URL has no host")
    port = parts.port if parts.port is not None else (443 if scheme == "https" else 80)
    if port == 0:
        raise UnsafeURL(INVALID_URL, "port 0 is not allowed")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    ip, name = _parse_host(raw_host)
    if ip is not None:
        host = str(ip)
        allowed = allowlist.allows_ip(ip)
        check_ip(ip, allowlist)
    else:
        host = name
        if _is_numeric_label(host.rsplit(".", 1)[-1]):
            # "1.2.3.4.5" or "0x1.bad": a browser refuses it, a resolver may read it as an IP.
            raise UnsafeURL(INVALID_URL, f"host {raw_host!r} is neither a name nor an IP address")
        allowed = allowlist.allows_host(host)
        if not allowed:
            _check_hostname(host)
    if scheme == "http" and not allowed:
        raise UnsafeURL(HTTP_NOT_ALLOWED, "webhook URLs must use https")
    return WebhookTarget(scheme=scheme, host=host, port=port, path=path, ip=ip)


def _parse_host(raw_host: str) -> tuple[IPAddress | None, str]:
    """Return (address, "") for an IP literal in any spelling, else (None, normalised name)."""
    ip = parse_ip_literal(raw_host)
    if ip is not None:
        return ip, ""
    name = _normalise_hostname(raw_host)
    if name is None:
        raise UnsafeURL(INVALID_URL, f"invalid host name {raw_host!r}")
    # Normalisation can reveal an address ("１２７.0.0.1" in full-width digits).
    ip = parse_ip_literal(name)
    return (ip, "") if ip is not None else (None, name)


def _check_hostname(host: str) -> None:
    """Refuse names that always point inside the machine or the cloud provider."""
    if host == "localhost" or host.endswith(".localhost"):
        raise UnsafeURL(LOOPBACK, f"host {host!r} is a loopback name")
    if host in _CLOUD_METADATA_HOSTS:
        raise UnsafeURL(METADATA, f"host {host!r} is a cloud metadata service")


def validate_webhook_url(url: str, allowlist: Allowlist, *, resolve: bool = False) -> None:
    """Raise UnsafeURL if a webhook URL may not be registered; with ``resolve``, check DNS too."""
    target = parse_webhook_url(url, allowlist)
    if resolve:
        resolve_and_check(target.host, target.port, allowlist)


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    """Return addresses without duplicates, resolver order kept (it encodes preference)."""
    return list(dict.fromkeys(addresses))


def resolve_and_check(host: str, port: int, allowlist: Allowlist) -> list[IPAddress]:
    """Resolve a host and return its addresses if every one is allowed, else raise UnsafeURL.

    DNS failures propagate as :class:`socket.gaierror` (an OSError): they are not a policy
    decision and a later attempt may succeed.
    """
    literal, name = _parse_host(host)
    if literal is not None:
        check_ip(literal, allowlist)
        return [literal]
    if not allowlist.allows_host(name):
        _check_hostname(name)
    infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses = _unique(
        ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        for info in infos
        if info[0] in (socket.AF_INET, socket.AF_INET6)
    )
    if not addresses:
        raise UnsafeURL(NO_ADDRESS, f"host {name!r} has no IPv4 or IPv6 address")
    # Every address, not just the first: the client may fall back to any of them.
    for ip in addresses:
        check_ip(ip, allowlist, host=name)
    return addresses

"""SSRF guard: every URL spelling that reaches inside the network is refused, public ones pass."""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING

import pytest

from hub.events.urlcheck import (
    Allowlist,
    UnsafeURL,
    classify_ip,
    parse_allowlist,
    parse_ipv4_inet_aton,
    parse_webhook_url,
    resolve_and_check,
    validate_webhook_url,
)

if TYPE_CHECKING:
    from tests.events.conftest import FakeDns

NO_ALLOWLIST = Allowlist()
DEV_ALLOWLIST = parse_allowlist("127.0.0.1/32,::1,localhost,hooks.example.test,*.dev.test")

REFUSED = [
    # scheme and shape
    pytest.param("http://example.com/hook", "http_not_allowed", id="plain-http"),
    pytest.param("ftp://example.com/hook", "scheme_not_allowed", id="ftp"),
    pytest.param("file:///etc/passwd", "scheme_not_allowed", id="file"),
    pytest.param("gopher://example.com:70/_x", "scheme_not_allowed", id="gopher"),
    pytest.param("javascript:alert(1)", "scheme_not_allowed", id="javascript"),
    pytest.param("example.com/hook", "scheme_not_allowed", id="no-scheme"),
    pytest.param("https://user:pass@example.com/", "userinfo_not_allowed", id="userinfo"),
    pytest.param("https://user@example.com/", "userinfo_not_allowed", id="username-only"),
    pytest.param("https://example.com@127.0.0.1/", "userinfo_not_allowed", id="at-confusion"),
    pytest.param("https://example.com\\@127.0.0.1/", "invalid_url", id="backslash-confusion"),
    pytest.param("https://exa mple.com/", "invalid_url", id="space"),
    pytest.param("https://example.com/\r\nX: y", "invalid_url", id="crlf"),
    pytest.param("https:///hook", "invalid_url", id="no-host"),
    pytest.param("https://example.com:99999/", "invalid_url", id="port-out-of-range"),
    pytest.param("https://example.com:0/", "invalid_url", id="port-zero"),
    pytest.param("https://a..b/", "invalid_url", id="empty-label"),
    pytest.param("https://%31%32%37.0.0.1/", "invalid_url", id="percent-encoded-host"),
    pytest.param("https://1.2.3.4.5/", "invalid_url", id="five-numeric-labels"),
    pytest.param("https://example.0x10/", "invalid_url", id="ends-in-hex-number"),
    pytest.param("https://0x/", "invalid_url", id="bare-hex-prefix"),
    pytest.param("https://" + "a" * 2100 + ".com/", "invalid_url", id="too-long"),
    # loopback, every spelling
    pytest.param("https://127.0.0.1/", "loopback", id="loopback"),
    pytest.param("https://127.255.255.254/", "loopback", id="loopback-range"),
    pytest.param("https://127.0.0.1./", "loopback", id="loopback-trailing-dot"),
    pytest.param("http://2130706433/", "loopback", id="decimal-ipv4"),
    pytest.param("http://0x7f000001/", "loopback", id="hex-ipv4"),
    pytest.param("http://0X7F.0.0.1/", "loopback", id="hex-first-octet"),
    pytest.param("http://0177.0.0.1/", "loopback", id="octal-ipv4"),
    pytest.param("http://0177.0000.0000.0001/", "loopback", id="octal-padded"),
    pytest.param("http://127.1/", "loopback", id="short-form-ipv4"),
    pytest.param("http://127.0.1/", "loopback", id="three-part-ipv4"),
    pytest.param("https://１２７.0.0.1/", "loopback", id="fullwidth-digits"),
    pytest.param("https://[::1]/", "loopback", id="ipv6-loopback"),
    pytest.param("https://[0:0:0:0:0:0:0:1]/", "loopback", id="ipv6-loopback-long"),
    pytest.param("https://localhost/", "loopback", id="localhost"),
    pytest.param("https://LOCALHOST./", "loopback", id="localhost-fqdn"),
    pytest.param("https://api.localhost/", "loopback", id="localhost-subdomain"),
    # private and friends
    pytest.param("https://10.0.0.1/", "private", id="rfc1918-10"),
    pytest.param("https://172.16.5.4/", "private", id="rfc1918-172"),
    pytest.param("https://192.168.1.1/", "private", id="rfc1918-192"),
    pytest.param("https://0xa000001/", "private", id="hex-private"),
    pytest.param("https://100.64.0.1/", "cgnat", id="cgnat"),
    pytest.param("https://100.127.255.254/", "cgnat", id="cgnat-top"),
    pytest.param("https://169.254.1.1/", "link_local", id="link-local-v4"),
    pytest.param("https://[fe80::1]/", "link_local", id="link-local-v6"),
    pytest.param("https://[fe80::1%25eth0]/", "link_local", id="link-local-v6-zone"),
    pytest.param("https://169.254.169.254/latest/meta-data/", "metadata", id="metadata-v4"),
    pytest.param("http://2852039166/", "metadata", id="metadata-decimal"),
    pytest.param("https://[fd00:ec2::254]/", "metadata", id="metadata-v6"),
    pytest.param("https://metadata.google.internal/", "metadata", id="metadata-gcp"),
    pytest.param("https://0.0.0.0/", "unspecified", id="unspecified-v4"),
    pytest.param("https://0/", "unspecified", id="unspecified-short"),
    pytest.param("https://[::]/", "unspecified", id="unspecified-v6"),
    pytest.param("https://224.0.0.1/", "multicast", id="multicast-v4"),
    pytest.param("https://[ff02::1]/", "multicast", id="multicast-v6"),
    pytest.param("https://240.0.0.1/", "reserved", id="reserved-class-e"),
    pytest.param("https://255.255.255.255/", "reserved", id="broadcast"),
    pytest.param("https://192.0.2.10/", "reserved", id="documentation-v4"),
    pytest.param("https://198.18.0.1/", "reserved", id="benchmarking"),
    pytest.param("https://0.1.2.3/", "reserved", id="this-network"),
    pytest.param("https://[2001:db8::1]/", "reserved", id="documentation-v6"),
    pytest.param("https://[fc00::1]/", "unique_local", id="ula-fc"),
    pytest.param("https://[fd12:3456::1]/", "unique_local", id="ula-fd"),
    # IPv4 smuggled inside IPv6
    pytest.param("https://[::ffff:127.0.0.1]/", "ipv4_mapped", id="mapped-loopback"),
    pytest.param("https://[::ffff:7f00:1]/", "ipv4_mapped", id="mapped-loopback-hex"),
    pytest.param("https://[::ffff:10.0.0.1]/", "ipv4_mapped", id="mapped-private"),
    pytest.param("https://[::ffff:169.254.169.254]/", "ipv4_mapped", id="mapped-metadata"),
    pytest.param("https://[::127.0.0.1]/", "ipv4_mapped", id="compat-loopback"),
    pytest.param("https://[::ffff:0:127.0.0.1]/", "ipv4_mapped", id="translated-loopback"),
    pytest.param("https://[64:ff9b::127.0.0.1]/", "nat64", id="nat64-loopback"),
    pytest.param("https://[64:ff9b::10.0.0.1]/", "nat64", id="nat64-private"),
    pytest.param("https://[64:ff9b::a9fe:a9fe]/", "nat64", id="nat64-metadata"),
    pytest.param("https://[64:ff9b:1::1]/", "nat64", id="nat64-local-use"),
    pytest.param("https://[2002:7f00:1::]/", "ipv4_mapped", id="6to4-loopback"),
]

ACCEPTED = [
    pytest.param("https://hooks.example.com/ivalid", id="https-name"),
    pytest.param("https://hooks.example.com:8443/a/b?x=1&y=%C3%A9", id="port-and-query"),
    pytest.param("HTTPS://Hooks.Example.COM/Case", id="upper-case"),
    pytest.param("https://hooks.example.com./", id="fqdn-dot"),
    pytest.param("https://bücher.example/hook", id="idn"),
    pytest.param("https://93.184.216.34/", id="public-ipv4"),
    pytest.param("https://[2606:4700:4700::1111]/", id="public-ipv6"),
    pytest.param("https://[64:ff9b::808:808]/", id="nat64-public"),
    pytest.param("https://my_service.example.com/", id="underscore-label"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURL) as caught:
        validate_webhook_url(url, NO_ALLOWLIST)
    assert caught.value.reason_code == reason
    assert caught.value.message


@pytest.mark.parametrize("url", ACCEPTED)
def test_accepted(url: str) -> None:
    validate_webhook_url(url, NO_ALLOWLIST)


@pytest.mark.parametrize(
    ("url", "host", "port", "path", "host_header"),
    [
        pytest.param("https://Hooks.Example.com/x?y=1#frag", "hooks.example.com", 443, "/x?y=1",
                     "hooks.example.com", id="default-port-fragment-dropped"),
        pytest.param("https://hooks.example.com:8443", "hooks.example.com", 8443, "/",
                     "hooks.example.com:8443", id="explicit-port-empty-path"),
        pytest.param("https://bücher.example/", "xn--bcher-kva.example", 443, "/",
                     "xn--bcher-kva.example", id="idna"),
        pytest.param("http://[::1]:8080/h", "::1", 8080, "/h", "[::1]:8080", id="ipv6-literal"),
        pytest.param("http://2130706433:80/", "127.0.0.1", 80, "/", "127.0.0.1",
                     id="normalised-ipv4"),
    ],
)  # fmt: skip
def test_parse_normalises(url: str, host: str, port: int, path: str, host_header: str) -> None:
    target = parse_webhook_url(url, DEV_ALLOWLIST)
    assert (target.host, target.port, target.path, target.host_header) == (
        host,
        port,
        path,
        host_header,
    )


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("http://127.0.0.1:5000/hook", id="allowed-ip-http"),
        pytest.param("http://2130706433:5000/hook", id="allowed-ip-decimal"),
        pytest.param("https://[::1]/hook", id="allowed-ipv6"),
        pytest.param("http://localhost:5000/hook", id="allowed-localhost-name"),
        pytest.param("http://hooks.example.test/hook", id="allowed-name-http"),
        pytest.param("http://api.dev.test/hook", id="allowed-wildcard"),
    ],
)
def test_allowlist_permits(url: str) -> None:
    validate_webhook_url(url, DEV_ALLOWLIST)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param("http://127.0.0.2/", "loopback", id="outside-allowed-cidr"),
        pytest.param("http://10.0.0.1/", "private", id="private-not-listed"),
        pytest.param("http://example.com/", "http_not_allowed", id="http-for-unlisted-name"),
        pytest.param("http://dev.test/", "http_not_allowed", id="wildcard-needs-subdomain"),
        pytest.param("https://u:p@localhost/", "userinfo_not_allowed", id="userinfo-still"),
        pytest.param("gopher://localhost/", "scheme_not_allowed", id="scheme-still"),
    ],
)
def test_allowlist_is_narrow(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURL) as caught:
        validate_webhook_url(url, DEV_ALLOWLIST)
    assert caught.value.reason_code == reason


def test_parse_allowlist() -> None:
    allow = parse_allowlist(" 127.0.0.1/32, ::1 localhost,Hooks.Example.TEST., 10.1.0.0/16 ,")
    assert allow.hosts == {"localhost", "hooks.example.test"}
    assert [str(n) for n in allow.networks] == ["127.0.0.1/32", "::1/128", "10.1.0.0/16"]
    assert allow.allows_ip(ipaddress.ip_address("10.1.2.3"))
    assert not allow.allows_ip(ipaddress.ip_address("10.2.0.1"))
    assert parse_allowlist("") == Allowlist() == parse_allowlist(None)


@pytest.mark.parametrize("entry", ["127.1", "not a host!", "*.", "a..b"])
def test_parse_allowlist_rejects_garbage(entry: str) -> None:
    with pytest.raises(ValueError, match="allow-list entry"):
        parse_allowlist(entry)


def test_allowlist_from_env() -> None:
    allow = Allowlist.from_env({"IVALID_WEBHOOK_ALLOWLIST": "localhost,127.0.0.1"})
    assert allow.allows_host("localhost")
    assert Allowlist.from_env({}) == Allowlist()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2130706433", "127.0.0.1", id="one-part"),
        pytest.param("127.1", "127.0.0.1", id="two-parts"),
        pytest.param("10.1.258", "10.1.1.2", id="three-parts"),
        pytest.param("0x7f.0.0.0x1", "127.0.0.1", id="mixed-hex"),
        pytest.param("0300.0250.0.1", "192.168.0.1", id="octal"),
        pytest.param("1.2.3.256", None, id="octet-overflow"),
        pytest.param("4294967296", None, id="too-big"),
        pytest.param("08.0.0.1", None, id="bad-octal-digit"),
        pytest.param("0x+7f.0.0.1", None, id="signed-hex"),
        pytest.param("1_27.0.0.1", None, id="underscore-digits"),
        pytest.param("0x", None, id="bare-hex-prefix"),
        pytest.param("1.2.3.4.5", None, id="five-parts"),
        pytest.param("", None, id="empty"),
        pytest.param("example.com", None, id="name"),
    ],
)
def test_inet_aton_parsing(text: str, expected: str | None) -> None:
    parsed = parse_ipv4_inet_aton(text)
    assert (str(parsed) if parsed else None) == expected
    if expected is not None:  # the C library agrees
        assert socket.inet_ntoa(socket.inet_aton(text)) == expected


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        pytest.param("8.8.8.8", None, id="public"),
        pytest.param("2a00:1450:4007:80c::200e", None, id="public-v6"),
        pytest.param("172.31.255.255", "private", id="private-edge"),
        pytest.param("172.32.0.1", None, id="just-outside-private"),
        pytest.param("100.63.255.255", None, id="just-below-cgnat"),
    ],
)
def test_classify_ip(address: str, reason: str | None) -> None:
    assert classify_ip(ipaddress.ip_address(address)) == reason


def test_resolve_checks_every_address(fake_dns: FakeDns) -> None:
    fake_dns["hooks.example.com"] = ["93.184.216.34", "10.0.0.7"]
    with pytest.raises(UnsafeURL) as caught:
        resolve_and_check("hooks.example.com", 443, NO_ALLOWLIST)
    assert caught.value.reason_code == "private"
    assert "10.0.0.7" in caught.value.message


def test_resolve_returns_unique_addresses_in_resolver_order(fake_dns: FakeDns) -> None:
    fake_dns["hooks.example.com"] = ["2606:2800:220:1::1", "93.184.216.34", "93.184.216.34"]
    addresses = resolve_and_check("hooks.example.com", 443, NO_ALLOWLIST)
    assert [str(a) for a in addresses] == ["2606:2800:220:1::1", "93.184.216.34"]


def test_allowlisted_name_resolving_to_private_address_is_refused(fake_dns: FakeDns) -> None:
    # The name is trusted for http, not as a blank cheque for whatever it resolves to.
    fake_dns["hooks.example.test"] = ["192.168.1.20"]
    validate_webhook_url("http://hooks.example.test/", DEV_ALLOWLIST)  # static check passes
    with pytest.raises(UnsafeURL) as caught:
        validate_webhook_url("http://hooks.example.test/", DEV_ALLOWLIST, resolve=True)
    assert caught.value.reason_code == "private"


def test_allowlisted_name_resolving_to_allowlisted_address(fake_dns: FakeDns) -> None:
    fake_dns["hooks.example.test"] = ["127.0.0.1"]
    assert resolve_and_check("hooks.example.test", 80, DEV_ALLOWLIST) == [
        ipaddress.ip_address("127.0.0.1")
    ]


def test_resolve_refuses_localhost_without_allowlist() -> None:
    with pytest.raises(UnsafeURL) as caught:
        resolve_and_check("localhost", 80, NO_ALLOWLIST)
    assert caught.value.reason_code == "loopback"


def test_resolve_ip_literal_needs_no_dns(fake_dns: FakeDns) -> None:
    assert resolve_and_check("0x7f000001", 80, DEV_ALLOWLIST) == [ipaddress.ip_address("127.0.0.1")]


def test_resolution_failure_is_an_oserror_not_a_policy_refusal(fake_dns: FakeDns) -> None:
    fake_dns["does-not-exist.invalid"] = []
    with pytest.raises(socket.gaierror):
        resolve_and_check("does-not-exist.invalid", 443, NO_ALLOWLIST)

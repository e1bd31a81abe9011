"""Where webhooks may go: public addresses only, so that an agent cannot make the worker POST to
(and read the answer of) the machine it runs on, its cloud's metadata service or anything else
on the private network (server-side request forgery).

`vet(url)` is the one check, run when an endpoint is registered or edited and again before every
attempt: http or https, a host, no user:pass@; the host is resolved and refused when ANY of its
addresses is not public. The sender connects to the vetted addresses themselves, never to the
name again, so a DNS answer that changes between the check and the connection (rebinding) cannot
reach an internal address. Hosts named in ATELIER_WEBHOOK_ALLOWED_HOSTS (tests, local demos) may
be internal.
"""

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

type Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # 0.x.y.z reaches this host on Linux
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # the well-known NAT64 prefix (RFC 6052)
_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated IPv4-compatible IPv6 (::a.b.c.d)
# What inet_aton reads as IPv4 besides the dotted quad: 2130706433, 0177.0.0.1, 0x7f.1, 127.1.
_NUMERIC = re.compile(r"[0-9a-fx.]+")


class Refused(ValueError):
    """The URL may not receive webhooks; the message says why, for an agent."""


class Unresolved(Refused):
    """The host name does not resolve (now): refused at registration, retried when sending."""


@dataclass(frozen=True)
class Target:
    """A vetted URL: where to connect (`addresses`, all checked) and what to say there (`host`
    in the Host header and, for https, the TLS server name and certificate check)."""

    scheme: str
    host: str
    port: int
    path: str  # the request target: path and query
    addresses: tuple[str, ...]


def vet(url: str) -> Target:
    """The URL as a Target, or Refused (Unresolved when the name does not resolve)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise Refused(f"Only http and https URLs receive webhooks, not {scheme or url!r}.")
    if "@" in parts.netloc:
        raise Refused("A URL with a user name or password (user:pass@) is not accepted.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("The URL has no host.")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise Refused("The URL's port is not a valid port number.") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    allowed = _allowed(host)
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
        if not allowed and (reason := internal_reason(literal)):
            spelled = host if host == str(literal) else f"{host} ({literal})"
            raise Refused(f"{spelled} is an internal address ({reason}); {_PUBLIC_ONLY}")
    else:
        addresses = _resolve(host, port)
        for address in addresses:
            if not allowed and (reason := internal_reason(address)):
                raise Refused(
                    f"{host} resolves to {address}, an internal address ({reason}); {_PUBLIC_ONLY}"
                )
    return Target(scheme, host, port, path, tuple(str(a) for a in addresses))


_PUBLIC_ONLY = "webhooks are sent to public addresses only."


def internal_reason(address: Address) -> str | None:
    """Why `address` is not a public one (loopback, private…), or None when it is."""
    if isinstance(address, ipaddress.IPv6Address):
        wrapped = _wrapped_ipv4(address)
        if wrapped is not None:
            inner, how = wrapped
            if reason := internal_reason(inner):
                return f"{reason} {inner} inside {how}"
            if address.ipv4_mapped is not None or address in _NAT64:
                return None  # reaches the public IPv4 address it carries, nothing else
    checks = [
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address in _SHARED, "shared, carrier-grade NAT"),
        (address in _THIS_NETWORK, "this network"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (getattr(address, "is_site_local", False), "site-local"),
        (not address.is_global, "not public"),
    ]
    return next((reason for failed, reason in checks if failed), None)


def _wrapped_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "an IPv4-mapped IPv6 address"
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "a NAT64 address"
    if address in _COMPATIBLE and int(address) > 1:  # not :: or ::1
        return ipaddress.IPv4Address(int(address)), "an IPv4-compatible IPv6 address"
    if address.sixtofour is not None:
        return address.sixtofour, "a 6to4 address"
    if address.teredo is not None:
        return address.teredo[1], "a Teredo address"
    return None


def _literal(host: str) -> Address | None:
    """The address a host that is an IP literal stands for, however it is spelled."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if _NUMERIC.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _resolve(host: str, port: int) -> list[Address]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise Unresolved(f"{host} does not resolve ({error.strerror}).") from None
    except UnicodeError:
        raise Refused(f"{host} is not a valid host name.") from None
    addresses = []
    for family, _type, _proto, _name, sockaddr in found:
        if family in (socket.AF_INET, socket.AF_INET6):
            address = ipaddress.ip_address(sockaddr[0])
            if address not in addresses:
                addresses.append(address)
    if not addresses:
        raise Unresolved(f"{host} does not resolve to an IP address.")
    return addresses


def _normal(host: str) -> str:
    host = host.strip().lower().removeprefix("[").removesuffix("]").rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def _allowed(host: str) -> bool:
    return _normal(host) in {_normal(h) for h in settings.ATELIER_WEBHOOK_ALLOWED_HOSTS}

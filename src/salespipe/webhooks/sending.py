"""Where a webhook may point (the SSRF guard) and the one HTTP POST of a delivery.

The guard resolves the URL's host and refuses addresses inside the network (private, loopback,
link-local, multicast, reserved, unspecified) unless WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on. The POST
then connects to the very address that was checked, so a DNS answer that changes between the check
and the connection (DNS rebinding) cannot steer it inside. Redirects are never followed: a 3xx is a
failed attempt like any other non-2xx answer.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from salespipe.core.errors import InvalidInput

# A receiver has this long to connect and answer; webhooks are notifications, not long work.
TIMEOUT_SECONDS = 10
RESPONSE_EXCERPT_CHARS = 500
USER_AGENT = "Salespipe-Webhooks/1"


@dataclass(frozen=True)
class Target:
    """A webhook URL taken apart, with the address it resolved to (the one the POST connects to)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def _shown(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """An address as people write it: an IPv4 address inside IPv6 with its dotted part (`::ffff:10.0.0.1`),
    as Python 3.13 prints it and 3.11 does not (`::ffff:a00:1`)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, code="webhook_url_refused", fields={"url": message})


def target_resolve(url: str) -> Target:
    """The URL's parts and the address to connect to; InvalidInput for a URL a webhook may not use."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise _invalid(_("A webhook URL must start with http:// or https://, e.g. https://example.com/hook."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _invalid(_("The port of the webhook URL is not a number from 1 to 65535.")) from None
    host = parts.hostname
    if not host:
        raise _invalid(_("A webhook URL needs a host name, e.g. https://example.com/hook."))
    if parts.username or parts.password:
        raise _invalid(
            _("A webhook URL cannot carry a user name or password; the signature proves the sender.")
        )
    try:
        resolved = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _invalid(_("The host %(host)s of the webhook URL does not resolve.") % {"host": host}) from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in resolved]
    if not addresses:
        raise _invalid(_("The host %(host)s of the webhook URL does not resolve.") % {"host": host})
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        # Every address is checked, not only the first: a host with one public and one private address
        # could have its connection land on the private one.
        for address in addresses:
            if _refused(address):
                raise _invalid(
                    _(
                        "The webhook URL points at the address %(address)s (host %(host)s), which is "
                        "inside the network (private, loopback, link-local or reserved); webhooks go to "
                        "public addresses only. An administrator may allow these with the setting "
                        "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES."
                    )
                    % {"host": host, "address": _shown(address)}
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, address=str(addresses[0]))


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked address, whatever the host name resolves to by now."""

    def __init__(self, target: Target) -> None:
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS)
        self.pinned_address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above over TLS; the certificate is still checked against the host name."""

    def __init__(self, target: Target) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=TIMEOUT_SECONDS, context=self.tls)
        self.pinned_address = target.address

    def connect(self) -> None:
        raw = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to the target once; the status and the start of the answer. Network errors raise
    OSError (timeouts included) or http.client.HTTPException."""
    connection: http.client.HTTPConnection = (
        _PinnedHTTPSConnection(target) if target.scheme == "https" else _PinnedHTTPConnection(target)
    )
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        response = connection.getresponse()
        excerpt = response.read(RESPONSE_EXCERPT_CHARS * 4).decode("utf-8", errors="replace")
        return Answer(status=response.status, excerpt=excerpt[:RESPONSE_EXCERPT_CHARS])
    finally:
        connection.close()

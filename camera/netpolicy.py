"""Which addresses the controller may connect to: devices and IOC sinks, never itself or its host.

A camera URL, an endpoint host or a sink URL that a user types is a connection the
controller will make, and in places a reply it will store. Without a rule,
``http://127.0.0.1:8000/...`` (the controller itself), ``http://169.254.169.254/``
(a cloud's metadata service) or a database on loopback are one form away. So every
address passes here twice:

* where it is saved: an address literal, or a ``localhost`` name (RFC 6761: always
  loopback), that the policy refuses is a 422 naming the field;
* where it is connected to: the name is resolved, every address it resolves to is
  checked, and the connection goes to a checked address. A name that pointed to a
  camera when it was saved may point elsewhere later.

Always refused: link-local (169.254.0.0/16, fe80::/10), unspecified and "this network"
(0.0.0.0/8, ::), multicast and the broadcast address. Loopback (127.0.0.0/8, ::1) is
refused unless allowed: the demo and the tests run their simulated devices there.
What remains must fall inside the configured networks (default: every address). An
IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) is judged as the IPv4 address it is.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ANY_NETWORK", "AddressRefused", "NetPolicy", "parse_network"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# One getaddrinfo answer: (family, type, proto, canonname, sockaddr), the address first in sockaddr.
AddrInfo = tuple[object, object, object, object, tuple[object, ...]]

ANY_NETWORK: tuple[IPNetwork, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")  # "this host on this network": Linux connects to itself
_BROADCAST = ipaddress.ip_address("255.255.255.255")
SETTING = "DIEMCAU_DEVICE_NETWORKS"


class AddressRefused(ValueError):
    """A host the policy refuses; the message names the host, the address and why.

    A ValueError, so a schema validator reports it as a 422 on its field and the
    stream worker records it as the pull's last error.
    """

    def __init__(self, host: str, address: str, reason: str) -> None:
        where = host if host == address else f"{host} resolves to {address}, which"
        super().__init__(f"{where} is {reason}: the controller does not connect there")
        self.host, self.address, self.reason = host, address, reason


def parse_network(value: str) -> str:
    """A CIDR block as written in the settings (``10.0.0.0/8``, ``fd00::/8``); ValueError if not one."""
    try:
        return str(ipaddress.ip_network(value.strip(), strict=True))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a network in CIDR form (10.0.0.0/8): {exc}") from None


def _address(host: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _loopback_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name == "localhost" or name.endswith(".localhost")


@dataclass(frozen=True)
class NetPolicy:
    """The networks devices and sinks may be in; see the module docstring for the fixed refusals."""

    networks: tuple[IPNetwork, ...] = ANY_NETWORK
    allow_loopback: bool = False

    @classmethod
    def from_settings(cls, networks: Iterable[str], *, allow_loopback: bool = False) -> NetPolicy:
        return cls(tuple(ipaddress.ip_network(n) for n in networks), allow_loopback)

    def refusal(self, address: IPAddress) -> str | None:
        """Why the controller may not connect to ``address`` (None: it may)."""
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if address.is_loopback:
            return None if self.allow_loopback else "loopback"
        if address.is_link_local:
            return "link-local"
        if address.is_unspecified or address in _THIS_NETWORK:
            return "unspecified"
        if address.is_multicast:
            return "multicast"
        if address == _BROADCAST:
            return "broadcast"
        if not any(address.version == n.version and address in n for n in self.networks):
            return f"outside the device networks ({SETTING})"
        return None

    def check_host(self, host: str) -> None:
        """Where an address is saved: refuse a literal address or a loopback name the policy refuses.

        Other names pass here; they are checked when connected to (``resolve``), since where
        they point can change after saving.
        """
        address = _address(host)
        if address is None and _loopback_name(host):
            if not self.allow_loopback:
                raise AddressRefused(host, host, "loopback")
            return
        if address is not None and (why := self.refusal(address)) is not None:
            raise AddressRefused(host, host, why)

    def _checked(self, host: str, infos: Iterable[AddrInfo]) -> list[str]:
        addresses: list[str] = []
        for info in infos:
            text = str(info[4][0])
            address = _address(text)
            if address is None:
                continue
            if (why := self.refusal(address)) is not None:
                raise AddressRefused(host, text, why)  # one bad address refuses the name
            if text not in addresses:
                addresses.append(text)
        if not addresses:
            raise OSError(f"{host} resolves to no address")
        return addresses

    def resolve(self, host: str, port: int) -> list[str]:
        """Where a connection to ``host`` may go: every address it resolves to, all checked.

        Blocking (getaddrinfo): for worker threads. AddressRefused if any address is
        refused; OSError (socket.gaierror) if the name does not resolve. Names are not
        judged by their look here (``localhost`` too is resolved): the answer is what counts.
        """
        return self._checked(host, socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM))

    async def resolve_async(self, host: str, port: int) -> list[str]:
        """``resolve`` on the event loop (the loop's resolver runs in a thread)."""
        infos = await asyncio.get_running_loop().getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
        return self._checked(host, infos)

"""An httpx transport that connects only where the network policy allows, to the address it checked.

Checking a URL's name and then letting httpx resolve it again leaves a window in
which the name can point elsewhere (DNS rebinding). Here the name is resolved once,
every address is checked (``camera.netpolicy``), and the TCP connection is made to a
checked address; TLS still verifies the certificate against the name in the URL.

httpx offers no public way to give its connection pool a network backend, so the
transport's pool (``_pool``, the one attribute httpx's own transport uses) is
replaced by one built with the guarding backend; tests check that the guard is hit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import httpcore
import httpx

from camera.netpolicy import NetPolicy

__all__ = ["guarded_transport"]


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, policy: NetPolicy) -> None:
        self.policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            # AddressRefused (a ValueError) is not an httpcore error: it reaches the caller as itself
            addresses = await asyncio.wait_for(self.policy.resolve_async(host, port), timeout)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout} s") from None
        except OSError as exc:  # the name does not resolve
            raise httpcore.ConnectError(f"{host}: {exc}") from None
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("devices and sinks are reached over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(
    policy: NetPolicy, *, verify: bool = True, limits: httpx.Limits | None = None
) -> httpx.AsyncHTTPTransport:
    """A transport for ``httpx.AsyncClient(transport=...)``; environment proxies are never used."""
    limits = limits or httpx.Limits()
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits, trust_env=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_GuardedBackend(policy),
    )
    return transport

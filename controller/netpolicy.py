"""The controller's network policy (``camera.netpolicy``) from its settings, and in force where addresses are saved.

Connectors (the ONVIF client, the camera hub, the sink dispatcher) are handed
``policy(settings)``. Schema validators cannot be handed anything: FastAPI builds
the request models, and the CSV importers and the CLI build the same models. So the
policy of the controller at hand is *in force* for the code that runs for it: the
``PolicyMiddleware`` puts it in force for each request of an app, and ``build_state``
for its caller (the CLI, the demo, benchmarks and scripts that build a state and
then validate schemas). Where none was put in force the default applies: every
address but loopback, link-local, unspecified and multicast.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from functools import lru_cache
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

import endpoints
from camera.netpolicy import AddressRefused, NetPolicy
from controller.settings import Settings
from endpoints.pool import Target

__all__ = [
    "PolicyMiddleware",
    "activate",
    "allowed_host",
    "allowed_url_host",
    "endpoint_address",
    "in_force",
    "policy",
]

DEFAULT = NetPolicy()  # frozen: every address but the refused kinds, loopback refused
_IN_FORCE: ContextVar[NetPolicy] = ContextVar("diemcau_net_policy", default=DEFAULT)


@lru_cache(maxsize=16)
def _cached(networks: tuple[str, ...], allow_loopback: bool) -> NetPolicy:
    return NetPolicy.from_settings(networks, allow_loopback=allow_loopback)


def policy(settings: Settings) -> NetPolicy:
    """The policy the settings describe (``device_networks``, ``device_allow_loopback``)."""
    return _cached(tuple(settings.device_networks), settings.device_allow_loopback)


def in_force() -> NetPolicy:
    return _IN_FORCE.get()


def activate(p: NetPolicy) -> None:
    """Put ``p`` in force for the current context (and the tasks it starts from now on)."""
    _IN_FORCE.set(p)


def allowed_host(host: str) -> str:
    """A schema validator: a host the policy in force refuses is a ValueError (a 422 on the field)."""
    _IN_FORCE.get().check_host(host)
    return host


def allowed_url_host(url: str) -> str:
    """``allowed_host`` for the host of an already checked URL (the URL itself is returned)."""
    host = urlsplit(url).hostname
    if host:
        _IN_FORCE.get().check_host(host)
    return url


class PolicyMiddleware:
    """Puts one app's policy in force for each of its requests (several apps may share a process)."""

    def __init__(self, app: ASGIApp, policy: NetPolicy) -> None:
        self.app, self.policy = app, policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = _IN_FORCE.set(self.policy)
        try:
            await self.app(scope, receive, send)
        finally:
            _IN_FORCE.reset(token)


def endpoint_address(p: NetPolicy) -> Callable[[Target], Awaitable[str]]:
    """The session pool's ``address`` hook: an endpoint's host resolved and checked at every
    connect, and the checked address is what SSH connects to (a name re-pointed after it was
    saved, or a row saved before the policy, is refused then)."""

    async def address(target: Target) -> str:
        try:
            return (await p.resolve_async(target.host, target.port))[0]
        except AddressRefused as exc:
            raise endpoints.AddressRefused(str(exc), endpoint=target.endpoint) from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise endpoints.ConnectFailed(
                f"cannot resolve {target.host}: {reason}", endpoint=target.endpoint
            ) from None

    return address

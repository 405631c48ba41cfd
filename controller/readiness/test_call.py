"""The test call ("phiên thử"): dial the bridge's test conference, see it connect, read the
receive statistics over a short window, hang up and see the codec idle again.

Every step is bounded (setup time, window, hang-up confirmation), so a codec that never
connects, drops in the middle or never hangs up ends with its reason, never a stuck check.
The call is recognised as ours by the remote the codec reports, as a session's is.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from controller.health.catalogue import failure_params
from controller.readiness.checks import Finding, Limits, media_findings
from controller.sessions.dialplan import is_session_call
from endpoints import EndpointDriver
from endpoints.errors import EndpointError

__all__ = ["CallPlan", "TestCall", "run_test_call"]

TAG = "diemcau-readiness"  # the booking reference where the dialect takes one
WATCH_S = 1.0  # call state during the window: a drop is seen within a second


@dataclass(frozen=True)
class CallPlan:
    dial: str
    rate: int
    protocol: str
    setup_s: float
    window_s: float
    poll_s: float  # call state while connecting and hanging up: a port held longer than needed is a port another check waits for
    confirm_s: float
    limits: Limits


@dataclass
class TestCall:
    findings: list[Finding]
    figures: dict[str, Any]  # connect_s, loss_pct, jitter_ms, held_s


async def run_test_call(driver: EndpointDriver, plan: CallPlan) -> TestCall:
    started = time.monotonic()
    figures: dict[str, Any] = {"connect_s": None, "loss_pct": None, "jitter_ms": None}
    try:
        call_id = await driver.dial(plan.dial, plan.rate, plan.protocol, TAG)
    except EndpointError as exc:
        return TestCall([Finding("test_call_failed", {"cause": "refused", **failure_params(exc)})], figures)
    findings: list[Finding] = []
    try:
        problem, call_id = await _until_connected(driver, plan, call_id)
        if problem is not None:
            findings.append(problem)
        else:
            figures["connect_s"] = round(time.monotonic() - started, 1)
            findings += await _measure(driver, plan, figures, time.monotonic())
    except EndpointError as exc:
        findings.append(Finding("test_call_failed", {"cause": "lost", **failure_params(exc)}))
    if (ended := await _hang_up(driver, plan, call_id)) is not None:
        findings.append(ended)
    figures["held_s"] = round(time.monotonic() - started, 1)
    return TestCall(findings, figures)


async def _until_connected(
    driver: EndpointDriver, plan: CallPlan, call_id: int | None
) -> tuple[Finding | None, int | None]:
    deadline = time.monotonic() + plan.setup_s
    idle_seen = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(min(plan.poll_s, max(deadline - time.monotonic(), 0)))
        status = await driver.call_status()
        if status.state == "idle":
            idle_seen += 1
            if idle_seen >= 2:  # one idle read may race the codec's own update
                return Finding("test_call_failed", {"cause": "ended_during_setup"}), call_id
            continue
        if not is_session_call(plan.dial, status.remote):
            continue  # the codec has not reported our remote yet
        call_id = status.call_id if status.call_id is not None else call_id
        if status.state == "connected":
            return None, call_id
    return Finding("test_call_timeout", {"seconds": plan.setup_s}), call_id


async def _measure(
    driver: EndpointDriver, plan: CallPlan, figures: dict[str, Any], connected_at: float
) -> list[Finding]:
    first = await driver.media()
    end = connected_at + plan.window_s
    while (left := end - time.monotonic()) > 0:  # watched through the window: a drop is seen when it happens
        await asyncio.sleep(min(WATCH_S, left))
        status = await driver.call_status()
        if status.state != "connected" or not is_session_call(plan.dial, status.remote):
            after = round(time.monotonic() - connected_at, 1)
            return [Finding("test_call_dropped", {"after_s": after, "cause": status.state})]
    last = await driver.media()
    found, measured = media_findings(first, last, plan.limits)
    figures.update(measured)
    return found


async def _hang_up(driver: EndpointDriver, plan: CallPlan, call_id: int | None) -> Finding | None:
    """Hang up our call (only ours) and wait for idle; the reason when it is not confirmed."""
    deadline = time.monotonic() + plan.confirm_s
    try:
        status = await driver.call_status()
        if status.state == "idle":
            return None
        if not is_session_call(plan.dial, status.remote):
            return None  # not ours (it ended and something else rang in): never hang that up
        await driver.hangup(status.call_id if status.call_id is not None else call_id)
        while time.monotonic() < deadline:
            await asyncio.sleep(plan.poll_s)
            if (await driver.call_status()).state == "idle":
                return None
    except EndpointError as exc:
        return Finding("hangup_unconfirmed", {"cause": exc.code, **failure_params(exc)})
    return Finding("hangup_unconfirmed", {"cause": "still_in_call", "seconds": plan.confirm_s})

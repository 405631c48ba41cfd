"""Simulator state that changes: the ``set`` control op and its Python methods, seen by ``health()``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from endpoints import EndpointDriver
from endpoints.sim import ControlServer, Fleet, SimEndpoint, control_request

from .conftest import connect, profile_of

REMOTE = "sip:so-y-te@vc.example.gov.vn"


async def test_set_op_changes_what_health_reports(device: SimEndpoint, fleet: Fleet, tmp_path: Path) -> None:
    control = ControlServer(fleet)
    cf = tmp_path / "control.json"
    await control.start(cf)
    name = device.state.name
    try:
        async with await connect(device) as session:
            driver = EndpointDriver(session)
            before = await driver.health()
            assert (before.camera_connected, before.microphones_connected, before.sip_registered) == (
                True,
                True,
                True,
            )
            assert before.in_call is False and before.packet_loss_pct is None

            reply = await control_request(
                cf,
                {
                    "op": "set",
                    "endpoint": name,
                    "camera_connected": False,
                    "microphones_connected": False,
                    "sip_registered": False,
                    "packet_loss_pct": 3.5,
                    "temperature_c": 68.0,
                    "call": {"remote": REMOTE, "rate": 1152},
                },
            )
            assert reply["ok"], reply
            summary = reply["endpoint"]
            assert summary["in_call"] and summary["remote"] == REMOTE
            assert summary["call_direction"] == "incoming" and summary["camera_connected"] is False
            h = await driver.health()
            assert (h.camera_connected, h.microphones_connected, h.sip_registered) == (False, False, False)
            assert h.in_call is True and h.remote == REMOTE
            assert h.packet_loss_pct == pytest.approx(3.5, abs=0.5)  # lost/received packet counts, rounded
            if "temperature_c" in {f for q in profile_of(device).health.values() for f in q.fields}:
                assert h.temperature_c == pytest.approx(68.0)

            # only the fields given change
            assert (await control_request(cf, {"op": "set", "endpoint": name, "camera_connected": True}))[
                "ok"
            ]
            h = await driver.health()
            assert h.camera_connected is True and h.microphones_connected is False and h.in_call is True

            # refusals change nothing
            for bad in (
                {"camera_connected": "off"},  # a string is not a bool
                {"packet_loss_pct": 120},
                {"volume": 3},
                {"sip_registered": True, "call": {"remote": "sip:other@x"}},  # already in a call
                {"call": {"remote": "sip:a@b", "rate": "fast"}},
            ):
                reply = await control_request(cf, {"op": "set", "endpoint": name, **bad})
                assert reply["ok"] is False, bad
            assert device.state.sip_registered is False and device.state.call.remote == REMOTE  # type: ignore[union-attr]

            assert (await control_request(cf, {"op": "set", "endpoint": name, "call": None}))["ok"]
            h = await driver.health()
            assert h.in_call is False and h.remote is None and h.packet_loss_pct is None
            # ending a call that is not there is a no-op, not an error
            assert (await control_request(cf, {"op": "set", "endpoint": name, "call": None}))["ok"]
    finally:
        await control.stop()


async def test_python_methods(device: SimEndpoint) -> None:
    async with await connect(device) as session:
        driver = EndpointDriver(session)
        device.start_call(REMOTE, 768)
        device.set_state(packet_loss_pct=1.25)
        h = await driver.health()
        assert h.in_call and h.remote == REMOTE and h.packet_loss_pct == pytest.approx(1.25, abs=0.5)
        with pytest.raises(ValueError, match="already in a call"):
            device.start_call("sip:b@x")
        with pytest.raises(ValueError, match="unknown state field"):
            device.set_state(uptime_s=1)
        assert device.end_call() is True and device.end_call() is False
        device.set_state(call={"remote": REMOTE, "rate": 1920}, microphones_connected=False)
        h = await driver.health()
        assert h.in_call and h.microphones_connected is False
        device.set_state(call=None)
        assert (await driver.health()).in_call is False
        # a call we dial ourselves is outgoing; one started through the API is incoming
        await driver.dial(REMOTE, 1920)
        assert device.state.call.direction == "outgoing"  # type: ignore[union-attr]
        await driver.hangup()


async def test_dynamics_start_and_end_calls_and_unplug_cameras() -> None:
    seen: list[tuple[bool, bool]] = []  # (in call, camera connected) samples
    async with Fleet(6, seed=5, dynamics=True, dynamics_per_min=6000) as fleet:  # sped up
        for _ in range(30):
            await asyncio.sleep(0.01)
            seen += [(ep.state.call is not None, ep.state.camera_connected) for ep in fleet.endpoints]
    assert any(in_call for in_call, _ in seen) and any(not camera for _, camera in seen)
    assert any(not in_call for in_call, _ in seen)

"""Record raw transcripts from the simulator into firmware_profiles/fixtures (dev tool).

    .venv/bin/python tests/endpoints/record_fixtures.py [profile ...]
    .venv/bin/python tests/endpoints/record_fixtures.py --calls [profile ...]


Writes ``<case>.raw`` exactly as the simulated device printed it after the
command was sent (tag "1"), and a ``<case>.yaml`` with the parse the current
rules produce and ``provenance: simulator``.  ``--calls`` records only ``calls.status`` in each call state
(``sim_idle``, ``sim_dialling``, ``sim_ringing``, ``sim_connected``).  Review every new YAML by eye before committing: a recorded
expectation is only as good as the person who checked it.  Transcripts from
real devices, vendor documents and client-library fixtures go beside these as
further cases, with ``provenance: public-transcript`` or ``vendor-doc``.
"""

from __future__ import annotations

import asyncio
import sys

import asyncssh
import yaml

from endpoints.frames import frame_text, framer_for
from endpoints.parsing import apply_query, apply_rule
from endpoints.profiles import Query, default_profiles_dir
from endpoints.sim import Fleet
from tests.endpoints.conftest import profile_of

TAG = "1"


async def _read_response(process, profile, command: str | None, tag: str | None) -> str:
    framer = framer_for(profile.session, lambda _: None)
    if framer.expect(command, tag) is not None:
        return ""  # an untagged command in a JSON session: its answer is not awaited
    raw, partial = "", ""
    while True:
        chunk = await asyncio.wait_for(process.stdout.read(65536), 5)
        raw += chunk
        *lines, partial = (partial + chunk).split("\n")
        if any(framer.feed(x) for x in lines) or framer.feed_partial(partial):
            return raw.replace("\r\n", "\n")


async def record(
    profile_id: str, case: str, in_call: bool, *, calls: bool = False, call_status: str | None = None
) -> None:
    """One case of every query (or, with ``calls``, of ``calls.status`` only)."""
    async with Fleet(1, profiles=[profile_id]) as fleet:
        ep = fleet.endpoints[0]
        profile = profile_of(ep)
        s = ep.state
        if in_call or call_status:

            s.call = s.new_call("sip:hoi-nghi@vc.example.gov.vn", 1920, "sip", "outgoing")
        if call_status:
            s.call.status = call_status  # type: ignore[union-attr]
        elif in_call:
            s.packet_loss_pct = 0.5
            s.faults.noise = True
        async with asyncssh.connect(
            "127.0.0.1", ep.port, username="admin", password="sim-password", known_hosts=None
        ) as conn:
            proc = await conn.create_process(term_type=None, encoding="utf-8")
            await _read_response(proc, profile, None, None)
            for cmd in profile.session.on_open:
                proc.stdin.write(cmd + profile.session.line_ending)
                await _read_response(proc, profile, cmd, None)
            jobs: list[tuple[str, str, Query | None, object]] = []
            if calls:
                assert profile.calls.status is not None
                jobs.append(("calls.status", profile.calls.status.command, profile.calls.status, None))
            else:
                jobs += [(f"identity.{n}", q.command, q, None) for n, q in profile.identity.items()]
                jobs += [(f"health.{n}", q.command, q, None) for n, q in profile.health.items()]
                jobs += [(f"config.{k}", c.read, None, c.parse) for k, c in profile.config.items()]
            for name, command, query, rule in jobs:
                line = profile.session.command_template.format(command=command, tag=TAG)
                proc.stdin.write(line + profile.session.line_ending)
                raw = await _read_response(proc, profile, command, TAG)
                resp, _ = frame_text(profile.session, raw, command, TAG)
                assert resp is not None
                if query is not None:
                    if resp.failed:
                        expected = {f: None for f in query.fields}
                    else:
                        expected = apply_query(query, resp.text, escaping=profile.escaping)
                else:
                    expected = {"value": apply_rule(rule, resp.text, escaping=profile.escaping)}
                folder = default_profiles_dir() / "fixtures" / profile_id / name
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{case}.raw").write_text(raw, encoding="utf-8")
                doc = {"provenance": "simulator", "command": command, "tag": TAG, "expected": expected}
                (folder / f"{case}.yaml").write_text(
                    yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8"
                )
                print(folder / f"{case}.raw")


async def main() -> None:
    calls = "--calls" in sys.argv
    for pid in [a for a in sys.argv[1:] if a != "--calls"] or ["cisco-roomos", "poly-group"]:
        if calls:
            await record(pid, "sim_idle", False, calls=True)
            for status in ("dialling", "ringing", "connected"):
                await record(pid, f"sim_{status}", False, calls=True, call_status=status)
            continue
        await record(pid, "sim_idle", False)
        await record(pid, "sim_in_call", True)


if __name__ == "__main__":
    asyncio.run(main())

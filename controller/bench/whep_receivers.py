"""Light WHEP viewers for the relay benchmark, in a process of their own.

aiortc's receiver would decode every frame, which costs more than the relay
being measured; here its decoder is replaced by one that only records each
encoded frame (RTP timestamp, arrival time, IDR or not). Viewers join one
after another so each one's time to first frame is its own.

    python -m controller.bench.whep_receivers URL TOKEN COUNT SECONDS OUT.json
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

import aiortc.rtcrtpreceiver as receiver_module
import httpx
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpCodecParameters,
    RTCRtpReceiver,
    RTCSessionDescription,
)
from aiortc.codecs.base import Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket
from av.frame import Frame

DECODERS: list[CountingDecoder] = []


class CountingDecoder(Decoder):
    """Stands in for aiortc's H.264 decoder: records frames, decodes nothing."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, float, bool]] = []
        DECODERS.append(self)

    def decode(self, encoded_frame: JitterFrame) -> list[Frame]:
        self.frames.append((encoded_frame.timestamp, time.monotonic(), _has_idr(encoded_frame.data)))
        return []


def _has_idr(data: bytes) -> bool:
    """Whether an Annex B access unit holds an IDR slice: start codes found by ``bytes.find``
    (a byte-by-byte Python scan cost the receivers more CPU than the relay they measure)."""
    at = data.find(b"\x00\x00\x01")
    while 0 <= at < len(data) - 3:
        if data[at + 3] & 0x1F == 5:
            return True
        at = data.find(b"\x00\x00\x01", at + 3)
    return False


def _counting_decoder(codec: RTCRtpCodecParameters) -> Decoder:
    return CountingDecoder()


# aiortc does not export the name it looks its decoders up by: mypy cannot follow this patch
receiver_module.get_decoder = _counting_decoder  # type: ignore[attr-defined]

# When the last packet of each frame (RTP marker bit) reached the first viewer: the frame's
# arrival, before aiortc's jitter buffer holds it back until the next frame starts.
MARKERS: dict[int, float] = {}
_FIRST: list[object] = []
_handle = receiver_module.RTCRtpReceiver._handle_rtp_packet


async def _timed(self: RTCRtpReceiver, packet: RtpPacket, arrival_time_ms: int) -> None:
    if not _FIRST:
        _FIRST.append(self)
    if self is _FIRST[0] and packet.marker:
        MARKERS.setdefault(packet.timestamp, time.monotonic())
    return await _handle(self, packet, arrival_time_ms)


receiver_module.RTCRtpReceiver._handle_rtp_packet = _timed  # type: ignore[method-assign]


def _records(after: float) -> list[tuple[int, float, bool]]:
    """The first viewer's frames after ``after``: (RTP timestamp, marker arrival, IDR).

    aiortc hands its decoder timestamps relative to the first frame out of the
    jitter buffer, which is the first frame whose marker was seen.
    """
    if not DECODERS or not MARKERS:
        return []
    origin = next(iter(MARKERS))
    out = []
    for ts, t, idr in DECODERS[0].frames:
        rtp = (ts + origin) % (1 << 32)
        if t > after and rtp in MARKERS:
            out.append((rtp, MARKERS[rtp], idr))
    return out


async def join(client: httpx.AsyncClient, url: str, token: str) -> tuple[RTCPeerConnection, float]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    started = time.monotonic()
    r = await client.post(
        url,
        content=pc.localDescription.sdp,
        headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {token}"},
    )
    r.raise_for_status()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=r.text, type="answer"))
    return pc, started


async def main(url: str, token: str, count: int, seconds: float) -> dict[str, Any]:
    pcs, first_frame = [], []
    async with httpx.AsyncClient(timeout=30) as client:
        for _ in range(count):
            n = len(DECODERS)
            pc, started = await join(client, url, token)
            pcs.append(pc)
            for _ in range(500):  # bounded: 5 s
                if len(DECODERS) > n and DECODERS[n].frames:
                    first_frame.append(DECODERS[n].frames[0][1] - started)
                    break
                await asyncio.sleep(0.01)
        ready = time.monotonic()
        print(json.dumps({"joined": len(pcs)}), flush=True)
        await asyncio.sleep(seconds)
        result = {
            "viewers": len(pcs),
            "first_frame_s": first_frame,
            "frames": [len(d.frames) for d in DECODERS],
            "ready_at": ready,
            # the first viewer's frames after everyone joined (not the replayed GOP), timed by marker
            "records": _records(ready + 1),
        }
        for pc in pcs:
            await pc.close()
    return result


if __name__ == "__main__":
    url, token, count, seconds, out = sys.argv[1:6]
    with open(out, "w") as f:
        json.dump(asyncio.run(main(url, token, int(count), float(seconds))), f)

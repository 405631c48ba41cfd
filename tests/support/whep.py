"""A browser's WHEP offer, made by aiortc, for tests that talk to the WHEP routes in-process."""

from __future__ import annotations

import re

from aiortc import RTCPeerConnection


async def sdp_offer() -> str:
    """A receive-only video offer without ICE candidates: the controller answers it, and
    nothing is ever sent (WebRTC itself is tested in network namespaces)."""
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    return re.sub(r"a=candidate:[^\r\n]*\r\n|a=end-of-candidates\r\n", "", sdp)

"""The naive relay, for the benchmark's comparison: decode the camera once, re-encode per viewer.

This is how aiortc's own examples relay a camera (``MediaPlayer(decode=True)``
shared through ``MediaRelay``): every viewer's sender runs an encoder. It
speaks just enough WHEP (POST an offer, get the answer) for the same light
receivers to connect.

    python -m controller.bench.transcode_baseline RTSP_URL HOST PORT
"""

from __future__ import annotations

import sys

import uvicorn
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRelay
from fastapi import FastAPI, Request, Response

app = FastAPI()
relay = MediaRelay()
player: MediaPlayer | None = None
peers: list[RTCPeerConnection] = []


@app.post("/whep/{name}")
async def whep(name: str, request: Request) -> Response:
    global player
    if player is None:
        player = MediaPlayer(sys.argv[1], options={"rtsp_transport": "tcp"}, decode=True)
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    peers.append(pc)
    assert player.video is not None  # the benchmark's camera always sends video
    pc.addTrack(relay.subscribe(player.video))
    await pc.setRemoteDescription(RTCSessionDescription(sdp=(await request.body()).decode(), type="offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    return Response(pc.localDescription.sdp, status_code=201, media_type="application/sdp")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


if __name__ == "__main__":
    uvicorn.run(app, host=sys.argv[2], port=int(sys.argv[3]), log_level="warning")

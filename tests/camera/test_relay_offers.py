"""What aiortc raises on an offer it cannot parse reaches the relay's caller as one error."""

from __future__ import annotations

import uuid

import pytest

from camera.errors import CameraError, OfferRefused
from camera.ingest import CameraSource
from camera.relay import Relay

# Passes the WHEP route's own checks (text, a video section) but not aiortc's parser.
BROKEN_OFFERS = [
    "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video notaport UDP/TLS/RTP/SAVPF 96\r\n",
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96\r\n",
]


@pytest.mark.parametrize("offer", BROKEN_OFFERS)
async def test_an_offer_aiortc_cannot_parse_is_refused_as_such_and_frees_everything(offer):
    source = CameraSource("nothing", "rtsp://127.0.0.1:9/none", open_timeout_s=0.5, backoff_base_s=5)
    relay = Relay(probe_s=0.1)
    try:
        with pytest.raises(OfferRefused) as caught:
            await relay.answer(uuid.uuid4(), source, offer, owner="tester")
        assert isinstance(caught.value, CameraError) and caught.value.kind
        assert "cannot be answered" in str(caught.value)
        assert relay.count() == 0 and source.subscribers == 0  # no viewer, no subscription left behind
    finally:
        await source.stop()

"""WebRTC egress of a camera without transcoding: the camera's H.264 packets, repacketised.

Each viewer is an aiortc ``RTCPeerConnection`` whose video track yields the
camera's encoded pictures (no decode, no encode). Each picture is cut into RTP
payloads once for all viewers (``PayloadCache``, ``camera.h264_payloads``) and
one task per camera sends it to every viewer (``camera.rtp_fanout``), so a
viewer costs a header, SRTP and a system call per run of packets
(``camera.udp_gso``). The pictures come from the camera's shared source through
a bounded subscription per viewer, so a slow viewer skips to the next keyframe
and never slows the others.

aiortc ignores keyframe requests (PLI/FIR) for pre-encoded media and replays
nothing, so a new viewer is first sent the source's last GOP (keyframe with
in-band SPS/PPS onwards): a picture at once instead of after up to one
keyframe interval. Timestamps are re-based per viewer so they stay monotonic
across source reconnects (a camera restarting its clock would otherwise
freeze the browser's jitter buffer).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from aiortc.rtcrtpsender import RTCRtpSender

from camera import h264_payloads, rtp_fanout
from camera.errors import OfferRefused, RelayFull, StreamUnplayable
from camera.ice import IceServer
from camera.ingest import CameraSource, MediaPacket, Subscription
from camera.playability import judge

log = logging.getLogger("diemcau.relay")

__all__ = ["OfferRefused", "PacketTrack", "Relay", "RelayFull", "StreamUnplayable", "Viewer"]


class Relayed(NamedTuple):
    """What a viewer's track yields: the camera's packet and its timestamp for this viewer
    (a tuple: one is made per picture and viewer)."""

    media: MediaPacket
    pts: int  # 90 kHz, rebased per viewer


class PayloadCache:
    """RTP payloads per camera packet, computed once for all viewers of it.

    The payloads (NAL units, STAP-A, FU-A fragments) are the same bytes for
    every viewer; only the RTP headers and the SRTP differ. Keyed by the packet
    object, checked by identity, so a recycled ``id()`` can never alias.
    """

    def __init__(self, size: int = 256) -> None:
        self._entries: OrderedDict[int, tuple[MediaPacket, list[bytes]]] = OrderedDict()
        self._size = size
        self.hits = self.misses = 0

    def payloads(self, media: MediaPacket) -> list[bytes]:
        entry = self._entries.get(id(media))
        if entry is not None and entry[0] is media:
            self.hits += 1
            return entry[1]
        self.misses += 1
        payloads = h264_payloads.payloads(h264_payloads.nal_units(media.data))
        self._entries[id(media)] = (media, payloads)
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)
        return payloads


class SharedPacker:
    """Takes the place of aiortc's encoder on a passthrough sender: packs, never encodes."""

    target_bitrate = 0  # aiortc sets it from REMB; there is nothing to adapt

    def __init__(self, cache: PayloadCache) -> None:
        self.cache = cache

    def pack(self, item: Relayed) -> tuple[list[bytes], int]:
        return self.cache.payloads(item.media), item.pts

    def encode(self, frame: object, force_keyframe: bool = False) -> tuple[list[bytes], int]:
        raise TypeError("the relay never encodes: its tracks yield encoded packets only")


class PacketTrack(MediaStreamTrack):
    """A video track fed by a subscription: ``recv()`` returns encoded packets (``Relayed``)."""

    kind = "video"

    def __init__(self, subscription: Subscription) -> None:
        super().__init__()
        self.sub = subscription
        self.sent = 0
        self.first_sent_at: float | None = None
        self._offset: int | None = None  # output pts = input pts (90 kHz) + offset
        self._last_in: int | None = None
        self._last_out = 0

    def _rebase(self, packet: MediaPacket) -> int:
        pts90 = packet.clock90
        step = pts90 - self._last_in if self._last_in is not None else None
        if self._offset is None or step is None or step < 0 or step > 5 * 90000:
            # first packet, or the source restarted its clock: continue one frame after the last
            self._offset = self._last_out + 3000 - pts90
        self._last_in = pts90
        self._last_out = pts90 + self._offset
        return self._last_out

    def _relayed(self, media: MediaPacket) -> Relayed:
        source = self.sub.source
        if source.info is not None and judge(source.info.codec, source.stats.reordered) is not None:
            self.stop()  # ends the viewer: its player asks again and is told why (StreamUnplayable)
            raise MediaStreamError("the camera's stream cannot be played in a browser")
        self.sent += 1
        if self.first_sent_at is None:
            self.first_sent_at = time.monotonic()
        return Relayed(media, self._rebase(media) % (1 << 32))

    async def recv(self) -> Relayed:  # type: ignore[override]
        return self._relayed(await self.sub.queue.get())

    def poll(self) -> Relayed | None:
        """The next packet if one is queued, else None (``camera.rtp_fanout`` serves all viewers
        of a camera from one task, woken by ``listen``)."""
        if self.readyState != "live":
            raise MediaStreamError("the track ended")
        queue = self.sub.queue
        if queue.empty():
            return None
        return self._relayed(queue.get_nowait())

    def listen(self, wake: Callable[[], None] | None) -> None:
        self.sub.listener = wake


def install_packer(sender: RTCRtpSender, cache: PayloadCache) -> None:
    """Give a sender the shared packer (aiortc creates its encoder lazily, only if unset)."""
    if not hasattr(sender, "_RTCRtpSender__encoder"):
        raise RuntimeError("this aiortc version has no sender encoder slot; update camera.relay")
    sender._RTCRtpSender__encoder = SharedPacker(cache)


@dataclass
class Viewer:
    id: uuid.UUID
    camera_id: uuid.UUID
    pc: RTCPeerConnection
    track: PacketTrack
    owner: str = ""  # who watches (a user or API key), for the per-user limit
    created: float = field(default_factory=time.monotonic)
    closer: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)


H264_CODECS = [
    c
    for c in RTCRtpSender.getCapabilities("video").codecs
    if c.mimeType.lower() in ("video/h264", "video/rtx")
]


class Relay:
    """The viewers of every camera, with limits per owner, per camera and in total."""

    def __init__(
        self,
        *,
        max_per_camera: int = 20,
        max_total: int = 100,
        max_per_user: int = 8,
        queue_size: int = 256,
        probe_s: float = 3.0,
        ice_servers: Sequence[IceServer] = (),
        ice_policy: str = "all",
        rtp_loop: str = "fanout",
    ) -> None:
        self.probe_s = probe_s
        self.rtp_loop = rtp_loop
        self.ice_servers = tuple(ice_servers)
        self.ice_policy = ice_policy
        self.max_per_camera = max_per_camera
        self.max_total = max_total
        self.max_per_user = max_per_user
        self.queue_size = queue_size
        self.viewers: dict[uuid.UUID, Viewer] = {}
        self._caches: dict[uuid.UUID, PayloadCache] = {}
        self._groups: dict[uuid.UUID, rtp_fanout.Group] = {}

    def _cache(self, camera_id: uuid.UUID) -> PayloadCache:
        cache = self._caches.get(camera_id)
        if cache is None:
            cache = self._caches[camera_id] = PayloadCache()
        return cache

    def _group(self, camera_id: uuid.UUID) -> rtp_fanout.Group:
        group = self._groups.get(camera_id)
        if group is None:
            group = self._groups[camera_id] = rtp_fanout.Group()
        return group

    def count(self, camera_id: uuid.UUID | None = None, owner: str | None = None) -> int:
        return sum(
            1
            for v in self.viewers.values()
            if (camera_id is None or v.camera_id == camera_id) and (owner is None or v.owner == owner)
        )

    async def answer(
        self, camera_id: uuid.UUID, source: CameraSource, offer_sdp: str, owner: str = ""
    ) -> tuple[Viewer, str]:
        """Accept a WHEP offer: the viewer and the SDP answer (ICE candidates included, no trickle).

        A viewer counts against its ``owner`` until it ends, however it ends (DELETE, the
        browser gone, never connected): the relay's own record is the count.
        """
        if owner and self.count(owner=owner) >= self.max_per_user:
            raise RelayFull("user", self.max_per_user)
        if self.count() >= self.max_total:
            raise RelayFull("total", self.max_total)
        if self.count(camera_id) >= self.max_per_camera:
            raise RelayFull("camera", self.max_per_camera)
        # What the camera sends decides whether a browser can play it: look before answering.
        # A camera that sends nothing yet is answered (the viewer waits for it, and its track
        # ends if the stream turns out unplayable: the player asks again and gets the reason).
        info = await source.probe(self.probe_s)
        if info is not None and (why := judge(info.codec, source.stats.reordered)) is not None:
            raise StreamUnplayable(why)
        pc = RTCPeerConnection(self._configuration())
        stack = contextlib.AsyncExitStack()
        try:
            sub = await stack.enter_async_context(source.subscribe(self.queue_size, replay_gop=True))
            track = PacketTrack(sub)
            # The transceiver exists before the offer is applied, so the offer's video section
            # binds to it and only H.264 is negotiated (the packets are H.264; nothing re-encodes).
            transceiver = pc.addTransceiver(track, direction="sendonly")
            transceiver.setCodecPreferences(H264_CODECS)
            install_packer(transceiver.sender, self._cache(camera_id))
            if self.rtp_loop == "fanout":
                rtp_fanout.install(transceiver.sender, self._group(camera_id))
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
                await pc.setLocalDescription(await pc.createAnswer())
            except Exception as exc:  # noqa: BLE001 - aiortc's parser stops with many kinds (camera.errors)
                raise OfferRefused(type(exc).__name__) from exc
        except Exception:
            await pc.close()
            await stack.aclose()
            raise
        viewer = Viewer(uuid.uuid4(), camera_id, pc, track, owner=owner, closer=stack)
        self.viewers[viewer.id] = viewer
        track.on("ended", lambda: asyncio.ensure_future(self.close(viewer.id)))

        @pc.on("connectionstatechange")
        async def _state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close(viewer.id)

        return viewer, pc.localDescription.sdp

    def _configuration(self) -> RTCConfiguration:
        """The relay's own ICE: the configured servers (never aiortc's default public STUN)."""
        servers = []
        for server in self.ice_servers:
            username, credential = server.credentials("relay", time.time())
            servers.append(RTCIceServer(urls=list(server.urls), username=username, credential=credential))
        policy = RTCIceTransportPolicy.RELAY if self.ice_policy == "relay" else RTCIceTransportPolicy.ALL
        return RTCConfiguration(iceServers=servers, iceTransportPolicy=policy)

    def ice_for(self, who: str) -> list[dict[str, object]]:
        """The servers a viewer should use, with credentials minted for ``who``: what a WHEP
        answer's Link headers and the console's ICE request both carry."""
        out: list[dict[str, object]] = []
        for server in self.ice_servers:
            username, credential = server.credentials(who, time.time())
            entry: dict[str, object] = {"urls": list(server.urls)}
            if username is not None and credential is not None:
                entry |= {"username": username, "credential": credential}
            out.append(entry)
        return out

    def stats(self) -> dict[str, object]:
        """Viewers per camera, packets sent, and encoders opened (a transcode would open one)."""
        per_camera: dict[str, int] = {}
        for v in self.viewers.values():
            per_camera[str(v.camera_id)] = per_camera.get(str(v.camera_id), 0) + 1
        return {
            "viewers": len(self.viewers),
            "per_camera": per_camera,
            "packets_sent": sum(v.track.sent for v in self.viewers.values()),
            "transcodes": sum(1 for v in self.viewers.values() if _encoder_opened(v.pc)),
            "payload_cache": {str(k): {"hits": c.hits, "misses": c.misses} for k, c in self._caches.items()},
            "retransmits": sum(g.retransmits for g in self._groups.values()),
            "limits": {
                "per_camera": self.max_per_camera,
                "total": self.max_total,
                "per_user": self.max_per_user,
            },
        }

    async def close(self, viewer_id: uuid.UUID) -> bool:
        viewer = self.viewers.pop(viewer_id, None)
        if viewer is None:
            return False
        await viewer.pc.close()
        await viewer.closer.aclose()
        return True

    async def close_all(self) -> None:
        for viewer_id in list(self.viewers):
            await self.close(viewer_id)

    async def expire(self, connect_timeout_s: float = 30.0) -> None:
        """Viewers whose browser never connected (a tab closed during setup) free their slot."""
        now = time.monotonic()
        for v in list(self.viewers.values()):
            if v.pc.connectionState in ("new", "connecting") and now - v.created > connect_timeout_s:
                await self.close(v.id)


def _encoder_opened(pc: RTCPeerConnection) -> bool:
    """Whether any sender of ``pc`` opened a video encoder (aiortc opens one lazily, on the
    first *decoded* frame it must encode; pre-encoded packets never open one)."""
    for sender in pc.getSenders():
        encoder = getattr(sender, "_RTCRtpSender__encoder", None)
        if encoder is not None and getattr(encoder, "codec", None) is not None:
            return True
    return False

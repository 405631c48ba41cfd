"""diemcau.camera: IP cameras as a library: pull, judge, relay to browsers, provision.

Async and typed, no HTTP server and no ORM: the controller gives it URLs and credentials
and gets pictures, measures and typed errors (``camera.errors``) back. It imports no service
code. Its modules, by job:

- pulling a stream: ``ingest`` (one shared RTSP pull per camera, GOP cache, rates),
  ``stream_open`` and ``urls`` (what may be opened, with credentials kept out of texts),
  ``netpolicy`` (which addresses the controller may connect to), ``access_units`` (whole
  pictures);
- judging it: ``frames`` (decode a keyframe), ``analytics`` (picture and timing checks),
  ``playability`` (what a browser can play);
- relaying it to browsers: ``relay`` (WHEP viewers), ``h264_payloads``, ``rtp_fanout`` and
  ``udp_gso`` (the send path), ``ice`` (STUN/TURN);
- provisioning it: ``onvif`` (device and media services), ``guarded_http``;
- ``errors``: what callers catch; ``sim``: the simulated cameras tests and the demo run.

Submodules are imported by name (``from camera.relay import Relay``): importing the package
does not pull in aiortc or FFmpeg.
"""

__all__ = [
    "access_units",
    "analytics",
    "errors",
    "frames",
    "guarded_http",
    "h264_payloads",
    "ice",
    "ingest",
    "netpolicy",
    "onvif",
    "playability",
    "relay",
    "rtp_fanout",
    "stream_open",
    "udp_gso",
    "urls",
]

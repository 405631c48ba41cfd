"""Simulated one-stop-desk IP cameras: a real RTSP server (GStreamer, in Debian's python3) with faults.

``rtsp_server.py`` is the server and imports only the standard library and ``gi``;
everything else here runs in the project venv: ``process.CameraSimProcess`` starts
and stops it, ``control.camera_control`` talks to its control socket, ``cli`` holds
the ``diemcau sim cameras`` / ``camera-fault`` commands.
"""

from camera.sim.control import FAULTS, CameraSimInfo, camera_control, read_camera_control_file
from camera.sim.process import CameraSimProcess

__all__ = ["FAULTS", "CameraSimInfo", "CameraSimProcess", "camera_control", "read_camera_control_file"]

"""Tests of the camera package: simulated RTSP cameras."""

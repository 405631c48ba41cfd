"""Settings that make the camera monitor sample fast enough for a test to watch it."""

SAMPLING = {
    "monitor_enabled": True,
    "camera_sample_interval_s": 0.2,
    "camera_measure_s": 0.2,
    "camera_keyframe_wait_s": 4,
    "camera_open_timeout_s": 2,
    "camera_read_timeout_s": 2,
    "camera_idle_stop_s": 30,
    "alarm_eval_s": 0.2,
}

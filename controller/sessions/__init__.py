"""Conference sessions: a host's meeting on an MCU bridge, from start to attendance.

scope         which endpoints a session (or a saved scope) selects
dialplan      dial strings from a bridge's patterns; is a device's call ours
schemas       the API's request and response models
store         database reads and writes (capacity, conflicts, attendance)
conductor     one live session: every participant dials, is watched, redialled
manager       all live sessions, the schedule, feedback routing, recovery
attendance    join/leave records as JSON and CSV
api           the thin router
"""

"""Health monitoring: a poll loop per endpoint, a state machine with hysteresis,
level-triggered alarms with uplink correlation, history with hourly rollups.

    tracker.Tracker         the per-endpoint state machine (pure, no I/O)
    poller.Poller           one loop per endpoint: layered probe, feedback wake-ups
    alarms.AlarmEvaluator   desired alarms from current states; raise / clear / dedupe
    outbox                  events written in the same transaction as the change
    retention               hourly rollups and pruning
    service.Monitor         owns the loops; started and stopped with the application
"""

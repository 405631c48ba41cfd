"""Health of endpoints and cameras: state, alarms, history, and the words for them.

catalogue     every problem code and alarm kind: severity and text (one table)
tracker       the endpoint state machine with hysteresis and flap detection (pure)
writer        batched persistence of poll results (health rows and samples)
alarms        level-triggered alarms: raise / clear / dedupe, with uplink correlation
retention     hourly rollups and pruning
history       a history query's range, and raw samples thinned for a chart
queries       what the API reads: health lists, the tree summary, alarms, acknowledgement
api           the thin router, and the live event stream (SSE from the outbox)
"""

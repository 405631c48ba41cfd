"""Alerts to people: rules that pick alarms, digests that group them, e-mail and chat
messages with an acknowledgement link, escalation when nobody answers."""

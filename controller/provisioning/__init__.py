"""Work over many endpoints and cameras: persisted, observable, cancellable, resumable.

targets          what a job works on: one rule for the API and the CLI
standards        the province standard per unit subtree, rendered per endpoint
camera_standard  the cameras' stream standard: keys, value limits, facts
firmware         firmware versions: comparison, compliance, maintenance windows
runner           JobRunner owns the asyncio tasks; start / cancel / resume / recover
recorder         group-commit writer: many item updates, one transaction
endpoint_work    plan / apply / verify the standard on an endpoint over SSH
camera_work      plan / apply / verify the stream standard on a camera over ONVIF
campaign         firmware upgrade campaigns in waves
jobs_query       a job with its counts, for the API and the CLI
api, standards_api, firmware_api   the thin routers
"""

"""Background work over many endpoints: persisted, observable, cancellable, resumable.

runner.JobRunner      owns the asyncio tasks; start / cancel / resume / recover
recorder.Recorder     group-commit writer: many item updates, one transaction
provision             plan / apply / verify the standard configuration
firmware              upgrade campaigns in waves
"""

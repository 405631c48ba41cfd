"""The diemcau service: one folder per feature, the shared root beside them.

Features (each owns its tables, its ``schemas.py`` and a thin ``api.py``): ``fleet`` (the
endpoint registry and its poller), ``health`` (states, alarms, history, the catalogue of
problems), ``cameras``, ``provisioning`` (jobs, standards, firmware), ``sessions``,
``ioc`` (event sinks, metrics), ``units``, ``users``. Shared root: settings, db, models,
security, events, errors, roles, fields, tasks. ``api`` is the HTTP plumbing every router
uses, ``cli`` the command line, ``app`` the wiring. docs/ARCHITECTURE.md has the tables.
"""

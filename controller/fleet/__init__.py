"""The endpoint fleet: the registry of room codecs and how the controller reaches them.

registry      create / read / list / update / delete, passwords encrypted, with audit
csv_import    a spreadsheet of endpoints checked against the database, all or nothing
devices       registry rows to the `endpoints` library's targets (the password decrypted)
hostkeys      pinned SSH host keys, asked by every path that connects
probe         a technician's contact: identify the device, show its host key
poller        the monitor: one poll loop per endpoint, feeding `health`
api           the thin router: parse, authorise, call the above
"""

"""Reports the province files: attendance as Excel, the readiness export, the monthly summary.

- `service` — the reads (units with their ancestors, the readiness board, the month's
  grouped counts) and the files they become (`Download`).
- `monthly` — the monthly summary's arithmetic (the month's bounds, fixes and their times,
  one unit's tally) and its table.
- `sheets` — the attendance, roll-call and readiness tables.
- `tables` — `Table` (one sheet), the unit tree as district / commune columns, CSV.
- `xlsx` — tables as an Excel workbook (openpyxl).
- `words` — the Vietnamese words: states, causes, verdicts, readiness reasons.
- `schemas` — the monthly summary in JSON.
- `api` — `GET /readiness/report`, `GET /reports/monthly` (the attendance workbook is
  `GET /sessions/{id}/attendance?format=xlsx`, in sessions/api.py).
"""

"""HTTP plumbing every feature's router shares: middlewares (security headers, who is
calling, body limits), dependencies and `AppState`, problem details, the docs page, and
the read-only catalogues (firmware profiles, the audit log). No feature lives here."""

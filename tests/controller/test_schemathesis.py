"""Property-based fuzzing of the whole OpenAPI surface: no input yields a 500.

Bounded examples per operation keep it to seconds; it runs as admin so the
handlers (not only the auth gate) see the generated input.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings

from controller.roles import Role
from tests.support.asgi_app import fuzz_app

app, admin_token = fuzz_app()
# The live event stream never ends by design; its errors are tested in test_monitoring.
schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path_regex=r"/events/stream$")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {admin_token()}"}
    response = case.call()
    assert response.status_code < 500, (
        case.method,
        case.path,
        response.status_code,
        response.text[:500],
    )
    if response.status_code >= 400:
        assert response.headers["content-type"][0].startswith("application/problem+json")


_ = Role

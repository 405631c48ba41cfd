"""Domain errors of the controller, each mapped to one RFC 9457 problem type.

    DomainError                 500 (never raised bare)
    ├── Unauthorized            401 urn:diemcau:problem:unauthorized
    ├── Forbidden               403 urn:diemcau:problem:forbidden
    ├── NotFound                404 urn:diemcau:problem:not-found
    ├── Conflict                409 urn:diemcau:problem:conflict
    ├── PayloadTooLarge         413 urn:diemcau:problem:payload-too-large
    ├── TooManyRequests         429 urn:diemcau:problem:too-many-requests (with Retry-After)
    └── InvalidInput            422 urn:diemcau:problem:invalid-input
        └── ImportRejected      422 urn:diemcau:problem:import-rejected

Services raise these; `controller.api.problems` is the one place that turns
them (and FastAPI's own validation errors) into `application/problem+json`.
The `type` strings are stable: clients may switch on them.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 500
    slug: str = "internal"
    title: str = "Internal error"
    headers: dict[str, str] = {}  # read only here; a subclass sets its own per instance

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def type(self) -> str:
        return f"urn:diemcau:problem:{self.slug}"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Authentication required"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Not allowed for this role"


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflicts with existing data"


class PayloadTooLarge(DomainError):
    status, slug, title = 413, "payload-too-large", "Payload too large"


class TooManyRequests(DomainError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, retry_after_s=retry_after, **extra)
        self.headers = {"Retry-After": str(retry_after)}


class Unavailable(DomainError):
    """Not now, maybe soon (a camera sending no picture): 503 with Retry-After."""

    status, slug, title = 503, "unavailable", "Temporarily unavailable"

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, retry_after_s=retry_after, **extra)
        self.headers = {"Retry-After": str(retry_after)}


class InvalidInput(DomainError):
    status, slug, title = 422, "invalid-input", "Invalid input"


class ImportRejected(InvalidInput):
    slug, title = "import-rejected", "Import rejected: some rows are invalid"

"""Alembic environment: always given a live connection by controller.migrate."""

from alembic import context

from controller.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - guarded: use `diemcau db upgrade`
    raise RuntimeError("run migrations with `diemcau db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

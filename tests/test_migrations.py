"""The migrations build exactly the schema the models declare (and walk back down)."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import hub.models  # noqa: F401  (registers every table)
from hub.db import Base
from hub.migrate import upgrade


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """As the migrations' env.py: each worker's APScheduler job store is not ours."""
    return not (type_ == "table" and name is not None and name.startswith("ivalid_scheduler_"))


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_the_list_index_migration_walks_down_and_up(tmp_path: Path) -> None:
    from alembic import command

    from hub.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'walk.db'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "0004")
    upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        columns = [
            row[2]
            for row in conn.exec_driver_sql("PRAGMA index_info(ix_appointments_tenant_start)")
        ]
    engine.dispose()
    assert columns == ["account_id", "environment", "scheduled_at", "id"]

"""Running Alembic migrations programmatically (no alembic.ini to find)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

if TYPE_CHECKING:
    from hub.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the bundled migrations and `database_url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def migration_settings(config: Config) -> Settings:
    """The settings a data migration encrypts with: the caller's, else the environment's."""
    from hub.config import Settings

    settings = config.attributes.get("ivalid_settings")
    return settings if isinstance(settings, Settings) else Settings.from_env()


def upgrade(database_url: str, revision: str = "head", settings: Settings | None = None) -> None:
    """Bring the database schema to `revision` (`settings`: the key ring of data migrations)."""
    from hub.db import create_private_sqlite_file

    create_private_sqlite_file(database_url)
    cfg = alembic_config(database_url)
    if settings is not None:
        cfg.attributes["ivalid_settings"] = settings
    command.upgrade(cfg, revision)


def revision(database_url: str, message: str) -> None:
    """Autogenerate a new migration (developers)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)

"""Alembic per service, each in its own PostgreSQL schema with its version table inside it."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kit.settings import SERVICES, Settings

if TYPE_CHECKING:
    from alembic.runtime.environment import EnvironmentContext

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(service: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "services" / service / "migrations"))
    cfg.attributes["service"] = service
    cfg.attributes["url"] = url
    return cfg


def upgrade(settings: Settings, services: tuple[str, ...] = SERVICES) -> list[str]:
    """Apply every service's migrations and declare its event queues; running it again
    changes nothing."""
    from kit import topology

    for service in services:
        command.upgrade(alembic_config(service, settings.database_url_for(service)), "head")
    topology.declare(settings.amqp_uri, services)
    return list(services)


def run_env(context: EnvironmentContext) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    service = context.config.attributes["service"]
    store = importlib.import_module(f"services.{service}.store")
    schema = store.SCHEMA
    engine = create_engine(context.config.attributes["url"], poolclass=NullPool)
    with engine.connect() as conn:
        # Two replicas migrating at once take turns instead of racing.
        conn.execute(text("SELECT pg_advisory_lock(hashtext(:s))"), {"s": f"migrate:{schema}"})
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        conn.commit()
        context.configure(
            connection=conn, target_metadata=store.metadata, version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, parent: (
                type_ != "schema" or name == schema),
        )
        with context.begin_transaction():
            context.run_migrations()
        conn.execute(text("SELECT pg_advisory_unlock(hashtext(:s))"), {"s": f"migrate:{schema}"})
        conn.commit()
    engine.dispose()

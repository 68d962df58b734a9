"""Each service's models (store.py) and its migrations describe the same schema: otherwise
the next `alembic revision --autogenerate` would propose dropping indexes or columns that a
migration built on purpose."""

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kit.settings import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrated_schema_is_what_the_models_declare(service, engine):
    store = importlib.import_module(f"services.{service}.store")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_schemas": True, "compare_type": True,
            "include_name": lambda name, type_, parent: type_ != "schema"
            or name == store.SCHEMA})
        drift = [d for d in compare_metadata(context, store.metadata)
                 if not (isinstance(d, tuple) and d[0] == "remove_table"
                         and d[1].name == "alembic_version")]
    assert drift == [], f"{service}: models and migrations differ: {drift}"

import pytest
from pydantic import ValidationError

from kit.settings import Settings


def test_dev_runs_with_the_development_secrets():
    assert Settings(env="dev").secret_key


def test_production_refuses_placeholder_secrets_and_names_them():
    with pytest.raises(ValidationError) as caught:
        Settings(env="prod")
    message = str(caught.value)
    assert "KEYUAN_SECRET_KEY" in message and "KEYUAN_DATA_KEY" in message


def test_production_starts_with_real_secrets():
    settings = Settings(env="prod", secret_key="k" * 48, index_key="i" * 48,
                        data_key="p1:" + "A" * 43 + "=")
    assert settings.env == "prod"


def test_a_service_database_can_move_to_its_own_server():
    settings = Settings(database_url="postgresql+psycopg://a/main",
                        leads_database_url="postgresql+psycopg://b/leads")
    assert settings.database_url_for("leads") == "postgresql+psycopg://b/leads"
    assert settings.database_url_for("customers") == "postgresql+psycopg://a/main"

import pytest
from pydantic import ValidationError

from kit import settings as ks
from kit.settings import Settings

REAL = {"secret_key": "k" * 48, "index_key": "i" * 48, "data_key": "p1:" + "A" * 43 + "="}


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_dev_and_prod_refuse_the_keys_published_in_the_repository(env):
    with pytest.raises(ValidationError) as caught:
        Settings(env=env)
    message = str(caught.value)
    assert "KEYUAN_SECRET_KEY" in message and "KEYUAN_DATA_KEY" in message
    assert "KEYUAN_INDEX_KEY" in message and "keyuan up" in message


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize("name", ["secret_key", "data_key", "index_key"])
def test_one_published_key_among_real_ones_is_refused_naming_it(env, name):
    published = {"secret_key": ks.DEV_SECRET_KEY, "data_key": ks.DEV_DATA_KEY,
                 "index_key": ks.DEV_INDEX_KEY}[name]
    with pytest.raises(ValidationError) as caught:
        Settings(env=env, **{**REAL, name: published})
    assert f"KEYUAN_{name.upper()}" in str(caught.value)


def test_only_the_test_suite_runs_on_the_published_keys():
    assert Settings(env="test").secret_key == ks.DEV_SECRET_KEY


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_dev_and_prod_start_with_real_secrets(env):
    assert Settings(env=env, **REAL).env == env


def test_a_data_key_not_in_the_vaults_format_is_refused():
    with pytest.raises(ValidationError, match="kid:base64key"):
        Settings(env="dev", **{**REAL, "data_key": "not-a-keyring"})


def test_the_secrets_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    path = tmp_path / "secrets.env"
    path.write_text(f"KEYUAN_SECRET_KEY={'f' * 48}\nKEYUAN_DATA_KEY={REAL['data_key']}\n"
                    f"KEYUAN_INDEX_KEY={'x' * 48}\n")
    monkeypatch.setenv("KEYUAN_SECRETS_FILE", str(path))
    monkeypatch.setenv("KEYUAN_INDEX_KEY", "e" * 48)
    monkeypatch.delenv("KEYUAN_SECRET_KEY", raising=False)
    ks.get_settings.cache_clear()
    try:
        settings = ks.get_settings()
    finally:
        ks.get_settings.cache_clear()
    assert settings.secret_key == "f" * 48
    assert settings.index_key == "e" * 48


def test_a_service_database_can_move_to_its_own_server():
    settings = Settings(env="test", database_url="postgresql+psycopg://a/main",
                        leads_database_url="postgresql+psycopg://b/leads")
    assert settings.database_url_for("leads") == "postgresql+psycopg://b/leads"
    assert settings.database_url_for("customers") == "postgresql+psycopg://a/main"

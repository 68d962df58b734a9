"""`keyuan up` makes this installation's own secrets on its first run, readable only by its
owner, and reuses them; no other command starts on the keys published in the repository."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cli import local_secrets
from kit import settings as ks
from kit.crypto import parse_keyring
from kit.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def keyuan(*args: str, secrets: Path, env: str = "dev", **extra: str):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KEYUAN_")}
    environ.update(KEYUAN_ENV=env, KEYUAN_SECRETS_FILE=str(secrets),
                   # nothing answers here: `up` stops at its checks, after the secrets
                   KEYUAN_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:9/keyuan",
                   KEYUAN_AMQP_URI="amqp://guest:guest@127.0.0.1:9/", **extra)
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=ROOT, env=environ,
                          capture_output=True, text=True, timeout=60)


def test_the_file_is_made_for_its_owner_only_and_runs_in_production(tmp_path):
    path = tmp_path / "keyuan" / "secrets.env"
    assert local_secrets.ensure(path) == "made"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    values = local_secrets.read(path)
    assert set(values) == {"KEYUAN_SECRET_KEY", "KEYUAN_DATA_KEY", "KEYUAN_INDEX_KEY"}
    assert len(next(iter(parse_keyring(values["KEYUAN_DATA_KEY"]).values()))) == 32
    assert not set(values.values()) & ks.PUBLISHED
    settings = Settings(_env_file=path, env="prod")
    assert settings.secret_key == values["KEYUAN_SECRET_KEY"]


def test_two_installations_get_different_keys(tmp_path):
    local_secrets.ensure(tmp_path / "a.env")
    local_secrets.ensure(tmp_path / "b.env")
    a, b = local_secrets.read(tmp_path / "a.env"), local_secrets.read(tmp_path / "b.env")
    assert all(a[name] != b[name] for name in a)


def test_the_second_run_reuses_the_file(tmp_path):
    path = tmp_path / "secrets.env"
    local_secrets.ensure(path)
    before = path.read_text()
    assert local_secrets.ensure(path) == "reused"
    assert path.read_text() == before


def test_a_file_others_may_read_is_made_the_owners_again(tmp_path):
    path = tmp_path / "secrets.env"
    local_secrets.ensure(path)
    path.chmod(0o644)
    local_secrets.ensure(path)
    assert mode(path) == 0o600


def test_a_missing_key_is_added_and_the_others_kept(tmp_path):
    path = tmp_path / "secrets.env"
    local_secrets.ensure(path)
    kept = local_secrets.read(path)
    path.write_text("".join(f"{k}={v}\n" for k, v in kept.items() if k != "KEYUAN_INDEX_KEY"))
    assert local_secrets.ensure(path) == "completed"
    now = local_secrets.read(path)
    assert now["KEYUAN_DATA_KEY"] == kept["KEYUAN_DATA_KEY"] and now["KEYUAN_INDEX_KEY"]


def test_keyuan_up_makes_the_file_on_its_first_run_and_reuses_it(tmp_path):
    path = tmp_path / "dot-keyuan" / "secrets.env"
    first = keyuan("up", secrets=path)
    assert "secrets made" in first.stdout, first.stdout + first.stderr
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    made = path.read_text()
    # It went on with these keys (and stopped at the database nobody runs here).
    assert "PostgreSQL" in first.stderr and "published" not in first.stderr
    second = keyuan("up", secrets=path)
    assert "secrets made" not in second.stdout and path.read_text() == made


@pytest.mark.parametrize(("env", "command"), [
    ("dev", ["migrate"]), ("prod", ["migrate"]), ("dev", ["demo-data"]),
    ("dev", ["service", "leads"]), ("prod", ["gateway"])])
def test_no_command_starts_on_the_published_keys(tmp_path, env, command):
    ran = keyuan(*command, secrets=tmp_path / "none.env", env=env)
    assert ran.returncode == 2, ran.stdout + ran.stderr
    assert "published in the repository" in ran.stderr and "keyuan up" in ran.stderr
    assert "Traceback" not in ran.stderr


def test_the_default_file_is_in_the_repository_and_git_ignores_it():
    assert ks.DEFAULT_SECRETS_FILE.parent.parent == ROOT
    ignored = subprocess.run(["git", "check-ignore", "-q", str(ks.DEFAULT_SECRETS_FILE)],
                             cwd=ROOT, timeout=30)
    assert ignored.returncode == 0

"""Typed settings from the environment (prefix KEYUAN_) and the local secrets file, refusing
keys that anyone could know.

Every process reads its settings through get_settings(): the environment first, then the
secrets file that `keyuan up` writes on its first run (KEYUAN_SECRETS_FILE, by default
.keyuan/secrets.env in the repository; git-ignored, readable only by its owner)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from kit.crypto import parse_keyring

SERVICES = ("directory", "leads", "customers", "tasks", "service_desk", "analytics")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SECRETS_FILE = ROOT / ".keyuan" / "secrets.env"

# The test suite's keys. They are published in this repository, so only KEYUAN_ENV=test
# runs with them: dev and prod refuse them (`keyuan up` makes a process its own).
DEV_SECRET_KEY = "dev-secret-key-change-me-0123456789abcdef"
DEV_DATA_KEY = "dev1:ZGV2LWRhdGEta2V5LTMyLWJ5dGVzLWNoYW5nZS1tZSE="
DEV_INDEX_KEY = "dev-index-key-change-me-0123456789abcdef"
PUBLISHED = {DEV_SECRET_KEY, DEV_DATA_KEY, DEV_INDEX_KEY}
PLACEHOLDERS = {"", "changeme", "change-me", "secret", "please-change", *PUBLISHED}
SECRET_NAMES = ("secret_key", "data_key", "index_key")


def secrets_file() -> Path:
    """Where `keyuan up` keeps this installation's own secrets (KEYUAN_SECRETS_FILE)."""
    return Path(os.environ.get("KEYUAN_SECRETS_FILE") or DEFAULT_SECRETS_FILE)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KEYUAN_", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    amqp_uri: str = "amqp://guest:guest@127.0.0.1:5672/"
    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/keyuan"
    # Per-service overrides so a team can move its schema to its own server.
    directory_database_url: str | None = None
    leads_database_url: str | None = None
    customers_database_url: str | None = None
    tasks_database_url: str | None = None
    service_desk_database_url: str | None = None
    analytics_database_url: str | None = None

    secret_key: str = DEV_SECRET_KEY
    data_key: str = DEV_DATA_KEY
    index_key: str = DEV_INDEX_KEY
    token_ttl_seconds: int = Field(default=12 * 3600, gt=0)

    gateway_bind: str = "127.0.0.1:8000"
    gateway_workers: int = Field(default=2, gt=0)
    gateway_threads: int = Field(default=8, gt=0)
    rpc_timeout_seconds: float = Field(default=10.0, gt=0)
    rpc_pool_size: int = Field(default=8, gt=0)
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    # A service process's /metrics and /healthz: KEYUAN_METRICS_PORT in a container (one
    # service each), else metrics_port_base + the service's position in SERVICES.
    metrics_port: int = 0
    metrics_port_base: int = 9101
    metrics_host: str = "127.0.0.1"
    max_workers: int = Field(default=20, gt=0)
    # Uploaded files (follow-up attachments) on local disk; shared volume when replicated.
    storage_dir: str = ".keyuan/files"
    # The web app's build (web/dist, made by `make up`), served by the gateway at /.
    web_dist_dir: str = "web/dist"
    # Per service process. Workers beyond the pool wait for a connection (eventlet-friendly);
    # six services at the defaults stay well under PostgreSQL's default 100 connections.
    # Overflow connections are closed at checkin and forked anew at the next burst (about 3%
    # of a consumer's CPU under load): raise db_pool_size where connections are plentiful.
    db_pool_size: int = Field(default=5, gt=0)
    db_max_overflow: int = Field(default=5, ge=0)
    # Notifications (tasks service): deliveries to WeCom/DingTalk/SMS are retried after
    # notify_retry_seconds, doubling up to notify_retry_max_seconds, notify_max_attempts tries
    # in all (8: about an hour), then marked failed. notify_link_base prefixes relative links
    # in robot and SMS messages (the suite's public address, e.g. https://crm.example.com).
    notify_batch_size: int = Field(default=50, gt=0)
    notify_max_attempts: int = Field(default=8, gt=0)
    notify_retry_seconds: float = Field(default=30.0, gt=0)
    notify_retry_max_seconds: float = Field(default=3600.0, gt=0)
    notify_http_timeout_seconds: float = Field(default=5.0, gt=0)
    notify_link_base: str = ""
    # Marketing SMS (campaigns) go out only within these hours, Asia/Shanghai (no one wants
    # an advert at 23:00, and operators refuse night-time marketing traffic); outside them
    # they wait for the next opening ("00:00-00:00": all day). Reminders to staff are not
    # limited.
    campaign_sms_hours: str = Field(default="09:00-21:00",
                                    pattern=r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")

    @model_validator(mode="after")
    def _refuse_known_secrets(self) -> Settings:
        parse_keyring(self.data_key)  # the vault's format, in every mode
        if self.env == "test":
            return self
        bad = [name for name in SECRET_NAMES if getattr(self, name).strip() in PLACEHOLDERS]
        if bad:
            names = ", ".join(f"KEYUAN_{n.upper()}" for n in bad)
            raise ValueError(
                f"{names}: the key is published in the repository (or a placeholder), so "
                f"KEYUAN_ENV={self.env} will not run on it. Run `keyuan up` (it makes this "
                f"installation's own keys in {secrets_file()}) or set the variables "
                f"(see README, Configuration)")
        if len(self.secret_key) < 32 or len(self.index_key) < 32:
            raise ValueError("KEYUAN_SECRET_KEY and KEYUAN_INDEX_KEY must be at least 32 "
                             "characters")
        return self

    def database_url_for(self, service: str) -> str:
        return getattr(self, f"{service}_database_url", None) or self.database_url

    def metrics_port_for(self, service: str) -> int:
        return self.metrics_port or self.metrics_port_base + SERVICES.index(service)

    def nameko_config(self, service: str) -> dict[str, Any]:
        return {
            "AMQP_URI": self.amqp_uri,
            "max_workers": self.max_workers,
            "KEYUAN_SERVICE": service,
            "serializer": "json",
        }


@lru_cache
def get_settings() -> Settings:
    """This process's settings: the environment, then the secrets file (the environment
    wins)."""
    return Settings(_env_file=secrets_file(), _env_file_encoding="utf-8")

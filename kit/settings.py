"""Typed settings from the environment (prefix KEYUAN_), refusing placeholder secrets."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES = ("directory", "leads", "customers", "tasks", "service_desk", "analytics")

# Development defaults. Anything but KEYUAN_ENV=dev/test refuses to start with these.
DEV_SECRET_KEY = "dev-secret-key-change-me-0123456789abcdef"
DEV_DATA_KEY = "dev1:ZGV2LWRhdGEta2V5LTMyLWJ5dGVzLWNoYW5nZS1tZSE="
DEV_INDEX_KEY = "dev-index-key-change-me-0123456789abcdef"
PLACEHOLDERS = {"", "changeme", "change-me", "secret", "please-change", DEV_SECRET_KEY,
                DEV_DATA_KEY, DEV_INDEX_KEY}


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
    # Per service process. Workers beyond the pool wait for a connection (eventlet-friendly);
    # six services at the defaults stay well under PostgreSQL's default 100 connections.
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
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env in ("dev", "test"):
            return self
        bad = [name for name in ("secret_key", "data_key", "index_key")
               if getattr(self, name).strip() in PLACEHOLDERS]
        if bad:
            names = ", ".join(f"KEYUAN_{n.upper()}" for n in bad)
            raise ValueError(f"{names} must be set to a real secret when KEYUAN_ENV={self.env}")
        if len(self.secret_key) < 32:
            raise ValueError("KEYUAN_SECRET_KEY must be at least 32 characters")
        return self

    def database_url_for(self, service: str) -> str:
        return getattr(self, f"{service}_database_url", None) or self.database_url

    def metrics_port_for(self, service: str) -> int:
        return self.metrics_port or self.metrics_port_base + SERVICES.index(service)

    def nameko_config(self, service: str) -> dict:
        return {
            "AMQP_URI": self.amqp_uri,
            "max_workers": self.max_workers,
            "KEYUAN_SERVICE": service,
            "serializer": "json",
        }


@lru_cache
def get_settings() -> Settings:
    return Settings()

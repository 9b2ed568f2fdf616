"""[delivery]: the Monday e-mail and webhook (SMTP, recipients, password source)."""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from forecasting.config.base import Strict

_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+$")
_BLOCK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_addresses(addresses: list[str], what: str) -> list[str]:
    for address in addresses:
        if not _ADDRESS.match(address):
            raise ValueError(f"{address!r} in {what} is not an e-mail address like ops@clinic.org")
    return addresses


class DeliveryConfig(Strict):
    """[delivery]: the Monday e-mail of the report (and of a failure) and an optional webhook.

    Off by default. The password never sits in the file: ``password_env`` names an environment
    variable, ``password_secret_block`` a Prefect Secret block (the variable wins when both are
    set). ``webhook_block`` is a Prefect notification block as ``<block type>/<name>``.
    """

    enabled: bool = Field(default=False, description="send the e-mails after each weekly run")
    smtp_host: str = Field(default="localhost", min_length=1, max_length=253)
    smtp_port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = Field(default=None, min_length=1)
    password_env: str | None = Field(default=None, description="environment variable name")
    password_secret_block: str | None = Field(default=None, description="Prefect Secret block")
    from_address: str = Field(default="lymphcast@localhost", description="sender address")
    network_recipients: list[str] = Field(
        default_factory=list, description="get the network summary with staffing.xlsx"
    )
    clinic_recipients: dict[str, list[str]] = Field(
        default_factory=dict, description="clinic_id -> addresses that get that clinic's part"
    )
    operations_recipients: list[str] = Field(
        default_factory=list, description="get the failure notice of a failed run"
    )
    report_base_url: str | None = Field(
        default=None, description="where reports/ is served; None: file:// links"
    )
    webhook_block: str | None = Field(
        default=None, description="Prefect notification block, e.g. slack-webhook/lymphcast-ops"
    )
    timeout_seconds: float = Field(default=30, gt=0, le=600)

    @field_validator("network_recipients", "operations_recipients")
    @classmethod
    def _addresses(cls, v: list[str], info: Any) -> list[str]:
        return _check_addresses(v, f"delivery.{info.field_name}")

    @field_validator("clinic_recipients")
    @classmethod
    def _clinic_addresses(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for clinic, addresses in v.items():
            _check_addresses(addresses, f"delivery.clinic_recipients.{clinic}")
        return v

    @field_validator("from_address")
    @classmethod
    def _sender(cls, v: str) -> str:
        _, address = parseaddr(v)
        if "\n" in v or "\r" in v or not _ADDRESS.match(address):
            raise ValueError(f"{v!r} is not a sender like lymphcast@clinic.org")
        return v

    @field_validator("password_env")
    @classmethod
    def _env_name(cls, v: str | None) -> str | None:
        if v is not None and not _ENV_NAME.match(v):
            raise ValueError(f"{v!r} is not an environment variable name like SMTP_PASSWORD")
        return v

    @field_validator("password_secret_block")
    @classmethod
    def _secret_name(cls, v: str | None) -> str | None:
        if v is not None and not _BLOCK_NAME.match(v):
            raise ValueError(
                f"{v!r} is not a Prefect block name (lowercase letters, digits and dashes)"
            )
        return v

    @field_validator("webhook_block")
    @classmethod
    def _webhook(cls, v: str | None) -> str | None:
        if v is None:
            return v
        kind, _, name = v.partition("/")
        if not (_BLOCK_NAME.match(kind) and _BLOCK_NAME.match(name)):
            raise ValueError(
                f"{v!r} is not '<block type>/<block name>', e.g. 'slack-webhook/lymphcast-ops' "
                "or 'ms-teams-webhook/lymphcast-ops'"
            )
        return v

    @field_validator("report_base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^(https?|file)://[^\s<>\"]+$", v):
            raise ValueError(f"{v!r} is not an http://, https:// or file:// address")
        return v

    @model_validator(mode="after")
    def _complete(self) -> DeliveryConfig:
        if self.username is not None and not (self.password_env or self.password_secret_block):
            raise ValueError(
                "delivery.username is set: also set delivery.password_env (an environment "
                "variable holding the password) or delivery.password_secret_block"
            )
        if (self.password_env or self.password_secret_block) and self.username is None:
            raise ValueError("a delivery password is configured: also set delivery.username")
        if self.enabled and not (
            self.network_recipients or self.clinic_recipients or self.operations_recipients
        ):
            raise ValueError(
                "delivery.enabled is true but no recipient is set: add network_recipients, "
                "clinic_recipients or operations_recipients"
            )
        return self

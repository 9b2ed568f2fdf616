"""Monday delivery from the flows: e-mail the published report, or the failure, and a webhook.

The messages are built by :mod:`forecasting.report.delivery` from what the run published;
this module adds what needs Prefect: the SMTP password from a Secret block (or the environment), the
notification block of ``delivery.webhook_block`` (SlackWebhook, MicrosoftTeamsWebhook, ...), and
the run's logger. Delivery never changes the run's outcome: the report is already published
when the e-mails go out, so an unreachable server, a refused login or a missing block logs ONE
sentence (host:port and the setting to fix, never a traceback) and the run stays Completed.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from forecasting.config import Config, DeliveryConfig, load_config
from forecasting.errors import LymphcastError
from forecasting.report.delivery import (
    DeliveryError,
    build_messages,
    failure_message,
    load_published,
    send,
    unknown_clinics,
    webhook_text,
)

progress = logging.getLogger("lymphcast.progress")
fallback_logger = logging.getLogger("lymphcast.delivery")


def _logger() -> Any:
    """The run's logger (console and Prefect UI) inside a run, else lymphcast.delivery."""
    from prefect.exceptions import MissingContextError
    from prefect.logging import get_run_logger

    try:
        return get_run_logger()
    except MissingContextError:
        return fallback_logger


def resolve_password(
    delivery: DeliveryConfig,
    environ: Mapping[str, str] | None = None,
    what: str = "the e-mail",
) -> tuple[str | None, str]:
    """(password, where it came from): ``password_env`` first, then the Secret block."""
    environ = os.environ if environ is None else environ
    if delivery.username is None:
        return None, "no password (no login)"
    if delivery.password_env and environ.get(delivery.password_env):
        return environ[delivery.password_env], f"the environment variable {delivery.password_env}"
    if delivery.password_secret_block:
        from prefect.blocks.system import Secret

        name = delivery.password_secret_block
        try:
            value = Secret.load(name).get()  # type: ignore[union-attr]  # sync context
        except Exception as err:  # noqa: BLE001 - a missing block or no API: one sentence
            raise DeliveryError(
                f"Could not read the SMTP password from the Prefect Secret block {name!r} "
                f"({type(err).__name__}), so {what} was not sent; create it "
                "(`prefect block create secret`) or fix delivery.password_secret_block."
            ) from None
        return str(value), f"the Prefect Secret block {name}"
    raise DeliveryError(
        f"The environment variable {delivery.password_env} (delivery.password_env) is not set, "
        f"so {what} was not sent; set it to the SMTP password of {delivery.username!r}."
    )


def _notify_webhook(delivery: DeliveryConfig, subject: str, body: str, log: Any) -> None:
    if not delivery.webhook_block:
        return
    from prefect.blocks.core import Block

    name = delivery.webhook_block
    try:
        block: Any = Block.load(name)
        block.notify(body, subject)
    except Exception as err:  # noqa: BLE001 - the run's outcome never depends on the webhook
        log.warning(
            "The webhook notification through the Prefect block %s failed (%s); check that the "
            "block exists and its URL is reachable, or fix delivery.webhook_block.",
            name, _short(err),
        )  # fmt: skip


def _short(err: BaseException) -> str:
    text = " ".join(str(err).split())[:160]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _send(messages: list, delivery: DeliveryConfig, log: Any, what: str) -> int:
    """Send; on any failure log ONE sentence (it names host:port and the setting) and go on."""
    try:
        password, source = resolve_password(delivery, what=what)
        sent = send(messages, delivery, password, source, what)
    except LymphcastError as err:
        log.warning("%s", err)
        return 0
    except Exception as err:  # noqa: BLE001 - unexpected, still one sentence and no traceback
        log.warning(
            "Could not send %s through %s:%s (%s); check the [delivery] settings.",
            what, delivery.smtp_host, delivery.smtp_port, _short(err),
        )  # fmt: skip
        return 0
    if sent:
        progress.info("e-mailed %s: %d message(s) via %s:%s", what, sent,
                      delivery.smtp_host, delivery.smtp_port)  # fmt: skip
    return sent


@task(name="deliver-report", cache_policy=NO_CACHE, log_prints=False)
def deliver_report_task(index_path: str, delivery: DeliveryConfig) -> int:
    """E-mail the published report (network summary, each clinic's part) and post the webhook;
    return the messages sent. Never raises: the report is published already."""
    log = _logger()
    try:
        report = load_published(index_path)
        messages = build_messages(report, delivery)
        for clinic in unknown_clinics(report, delivery):
            log.warning(
                "Clinic %r of delivery.clinic_recipients is not in the report of %s; check its "
                "clinic_id.",
                clinic, report.week,
            )  # fmt: skip
    except Exception as err:  # noqa: BLE001 - one sentence, never a traceback
        log.warning("The report %s was not e-mailed (%s).", index_path, _short(err))
        return 0
    sent = _send(messages, delivery, log, f"the report of {report.week}")
    subject, body = webhook_text(report, delivery.report_base_url)
    _notify_webhook(delivery, subject, body, log)
    return sent


def deliver_report(config: Config, index_path: str | Path) -> int:
    """After a successful publish: the e-mails and webhook of ``[delivery]`` (when enabled)."""
    if not config.delivery.enabled:
        return 0
    try:
        return deliver_report_task(str(index_path), config.delivery)
    except Exception as err:  # noqa: BLE001 - the run must stay Completed
        _logger().warning("The report was not delivered (%s).", _short(err))
        return 0


def deliver_failure(params: Mapping[str, Any], notice: str, path: Path, week: str, log: Any) -> int:
    """From the on-failure hook: e-mail the notice to operations and post the webhook."""
    try:
        config_path = params.get("config_path")
        delivery = load_config(Path(config_path) if config_path else None).delivery
    except Exception:  # noqa: BLE001 - a bad config may be why the run failed
        progress.info("the failure was not e-mailed: the configuration could not be read")
        return 0
    if not delivery.enabled:
        return 0
    sent = 0
    if delivery.operations_recipients:
        try:
            message = failure_message(notice, week, delivery, path)
        except Exception as err:  # noqa: BLE001
            log.warning("The failure notice was not e-mailed (%s).", _short(err))
            return 0
        sent = _send([message], delivery, log, f"the failure notice of {week}")
    first = next((line for line in notice.splitlines() if line.startswith("- error:")), "")
    _notify_webhook(
        delivery,
        f"Weekly MLD staffing run for {week} FAILED",
        "\n".join(x for x in (first.removeprefix("- "), f"Notice: {path}") if x),
        log,
    )
    return sent

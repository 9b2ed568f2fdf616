"""Monday delivery: e-mails built from a published report folder, and sending them over SMTP.

Everything comes from what the run published: ``run_manifest.json``'s ``report`` record (the
decisions, ``ReportView.summary_record()``), ``staffing.xlsx`` and the report's paths, or, for a
failed run, the ``<week>.FAILED.md`` notice. So the e-mail says exactly what the report says,
and holds no patient data (the record has none). Every value put into the HTML goes through
Jinja2 with autoescape (a clinic id cannot inject markup); header values lose line breaks.

Three kinds of message (``email.message.EmailMessage``, HTML with a plain-text alternative):

- the network summary for ``delivery.network_recipients``: headline, each clinic's decision,
  links to the report and its PDF, ``staffing.xlsx`` attached;
- per clinic for ``delivery.clinic_recipients[clinic_id]``: that clinic's decision and figures
  only, with links to its section of the report (nothing about other clinics, no attachment:
  staffing.xlsx holds every clinic);
- the failure notice for ``delivery.operations_recipients``.

No Prefect here: the flows resolve the password and call :func:`send`.
"""

from __future__ import annotations

import json
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2

from forecasting.config import DeliveryConfig
from forecasting.errors import LymphcastError
from forecasting.report.clinic_ids import clinic_page_path

__all__ = [
    "DeliveryError",
    "PublishedReport",
    "build_messages",
    "clinic_message",
    "failure_message",
    "load_published",
    "network_message",
    "send",
    "unknown_clinics",
    "webhook_text",
]

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_TAGS = {"short": "Action", "ok": "Covered", "check": "Check"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class DeliveryError(LymphcastError):
    """A message could not be sent; the text is one sentence naming the setting to fix."""


@dataclass(frozen=True)
class PublishedReport:
    """What the e-mails say about one published report (read, never modified)."""

    folder: Path
    record: dict[str, Any]

    @property
    def week(self) -> str:
        return str(self.record.get("iso_week") or self.folder.name)

    @property
    def staffing_xlsx(self) -> Path:
        return self.folder / "staffing.xlsx"

    def clinics(self) -> list[dict[str, Any]]:
        return list(self.record.get("clinics", []))


def load_published(index_or_folder: str | Path) -> PublishedReport:
    """The report record of a published report (its ``index.html`` or its folder)."""
    path = Path(index_or_folder)
    folder = path.parent if path.suffix == ".html" else path
    try:
        record = json.loads((folder / "run_manifest.json").read_text(encoding="utf-8"))["report"]
    except (OSError, KeyError, TypeError, ValueError) as err:
        raise DeliveryError(
            f"The report in {folder} is incomplete ({type(err).__name__}: {err}); "
            "run `lymphcast weekly` again to publish it whole."
        ) from None
    if not isinstance(record, dict):
        raise DeliveryError(f"The report record in {folder}/run_manifest.json is not a mapping.")
    return PublishedReport(folder=folder.resolve(), record=record)


def _links(report: PublishedReport, base_url: str | None) -> dict[str, str]:
    if base_url:
        root = f"{base_url.rstrip('/')}/{quote(report.folder.name)}"
        return {"index": f"{root}/index.html", "pdf": f"{root}/report.pdf"}
    return {
        "index": (report.folder / "index.html").as_uri(),
        "pdf": (report.folder / "report.pdf").as_uri(),
    }


def _clinic_link(index_url: str, clinic_id: str) -> str:
    """The URL of a clinic's page: clinic_page_path (relative to index.html) beside the index."""
    folder = index_url.rsplit("/", 1)[0]
    return f"{folder}/{quote(clinic_page_path(clinic_id))}"


def _header(text: str, limit: int = 200) -> str:
    """A header value: no line breaks or control characters, not too long."""
    flat = _CONTROL.sub(" ", str(text)).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("forecasting.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("email.html.j2")


def _clinic_rows(report: PublishedReport, index_url: str, only: str | None) -> list[dict]:
    rows = []
    for clinic in report.clinics():
        if only is not None and clinic.get("clinic_id") != only:
            continue
        rows.append(
            {
                "clinic_id": str(clinic.get("clinic_id", "")),
                "tag": _TAGS.get(str(clinic.get("status")), "Check"),
                "action": str(clinic.get("action", "")),
                "lines": [str(line) for line in clinic.get("lines", [])],
                "link": _clinic_link(index_url, str(clinic.get("clinic_id", ""))),
            }
        )
    return rows


def _text(
    title: str, as_of: str, headline: list[str], rows: list[dict], notes: list[str], links: dict,
    index_label: str = "The full report",
) -> str:  # fmt: skip
    out = [title, "", f"Data up to {as_of} (cut-off, not included).", ""]
    out += [*headline, ""] if headline else []
    for row in rows:
        out += [f"{row['clinic_id']} ({row['tag']}): {row['action']}"]
        out += [f"  {line}" for line in row["lines"]]
        out += [f"  {row['link']}", ""]
    out += [*notes, ""] if notes else []
    out += [f"{index_label}: {links['index']}", f"PDF: {links['pdf']}", ""]
    out += ["Sent by lymphcast after the weekly run. No patient data is in this message.", ""]
    return "\n".join(out)


def _message(
    delivery: DeliveryConfig, to: list[str], subject: str, text: str, html: str | None
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = _header(subject)
    msg["From"] = delivery.from_address
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    domain = parseaddr(delivery.from_address)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid("lymphcast", domain=domain)
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def _summary_parts(
    report: PublishedReport, delivery: DeliveryConfig, only: str | None
) -> tuple[str, dict, list[dict]]:
    links = _links(report, delivery.report_base_url)
    rows = _clinic_rows(report, links["index"], only)
    return str(report.record.get("as_of", "")), links, rows


def network_message(report: PublishedReport, delivery: DeliveryConfig) -> EmailMessage:
    """The network summary for ``delivery.network_recipients``, staffing.xlsx attached."""
    as_of, links, rows = _summary_parts(report, delivery, None)
    headline = [str(s) for s in report.record.get("headline", [])]
    notes = [str(report.record[k]) for k in ("trust", "accuracy") if report.record.get(k)]
    title = f"Weekly MLD staffing, {report.week}"
    short = sum(1 for c in report.clinics() if c.get("status") == "short")
    subject = title + (
        f": {short} of {len(rows)} clinics need more therapist hours"
        if short
        else ": every clinic's roster covers expected demand"
    )
    html = _template().render(
        title=title, as_of=as_of, headline=headline, clinics=rows, notes=notes, links=links,
        index_label="The full report", attached=True,
    )  # fmt: skip
    msg = _message(
        delivery, delivery.network_recipients, subject,
        _text(title, as_of, headline, rows, notes, links), html,
    )  # fmt: skip
    msg.add_attachment(
        report.staffing_xlsx.read_bytes(),
        maintype=XLSX_TYPE[0],
        subtype=XLSX_TYPE[1],
        filename=f"staffing-{report.week}.xlsx",
    )
    return msg


def clinic_message(
    report: PublishedReport, delivery: DeliveryConfig, clinic_id: str
) -> EmailMessage:
    """One clinic's part of the summary for ``delivery.clinic_recipients[clinic_id]``."""
    as_of, links, rows = _summary_parts(report, delivery, clinic_id)
    if not rows:
        raise DeliveryError(f"Clinic {clinic_id!r} is not in the report of {report.week}.")
    links = {**links, "index": rows[0]["link"]}  # its own section
    title = f"Weekly MLD staffing, {report.week}, clinic {clinic_id}"
    subject = f"{title}: {rows[0]['action']}"
    html = _template().render(
        title=title, as_of=as_of, headline=[], clinics=rows, notes=[], links=links,
        index_label="This clinic in the report", attached=False,
    )  # fmt: skip
    text = _text(title, as_of, [], rows, [], links, "This clinic in the report")
    return _message(delivery, delivery.clinic_recipients[clinic_id], subject, text, html)


def unknown_clinics(report: PublishedReport, delivery: DeliveryConfig) -> list[str]:
    """Clinics of ``delivery.clinic_recipients`` that the report does not have."""
    present = {c.get("clinic_id") for c in report.clinics()}
    return sorted(c for c in delivery.clinic_recipients if c not in present)


def build_messages(report: PublishedReport, delivery: DeliveryConfig) -> list[EmailMessage]:
    """Every message of a successful run: the network summary, then each clinic's part."""
    out = [network_message(report, delivery)] if delivery.network_recipients else []
    present = {c.get("clinic_id") for c in report.clinics()}
    out += [
        clinic_message(report, delivery, clinic)
        for clinic in sorted(delivery.clinic_recipients)
        if clinic in present and delivery.clinic_recipients[clinic]
    ]
    return out


def failure_message(
    notice: str, week: str, delivery: DeliveryConfig, notice_path: str | Path | None = None
) -> EmailMessage:
    """The failure notice (``<week>.FAILED.md``'s markdown) for operations."""
    where = f"The notice is also in {notice_path}.\n\n" if notice_path else ""
    text = f"{notice.rstrip()}\n\n{where}Sent by lymphcast after the failed weekly run.\n"
    html = jinja2.Environment(autoescape=True).from_string(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{{ t }}</title>'
        '</head><body><pre style="font-family: Menlo, Consolas, monospace; font-size: 14px; '
        'white-space: pre-wrap;">{{ body }}</pre></body></html>'
    )
    subject = f"Weekly MLD staffing run for {week} FAILED"
    return _message(
        delivery, delivery.operations_recipients, subject, text,
        html.render(t=subject, body=text),
    )  # fmt: skip


def webhook_text(report: PublishedReport, base_url: str | None) -> tuple[str, str]:
    """(subject, body) of the webhook notice: the headline, each decision, the link."""
    links = _links(report, base_url)
    lines = [str(s) for s in report.record.get("headline", [])]
    lines += [f"- {c.get('clinic_id')}: {c.get('action')}" for c in report.clinics()]
    lines += [f"Report: {links['index']}"]
    return _header(f"Weekly MLD staffing, {report.week}"), "\n".join(lines)


def _where(delivery: DeliveryConfig) -> str:
    return f"{delivery.smtp_host}:{delivery.smtp_port}"


def _why(err: BaseException) -> str:
    if isinstance(err, smtplib.SMTPResponseException):
        reply = err.smtp_error
        reply = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        return _header(f"{err.smtp_code} {reply}", 120)
    return _header(str(err) or type(err).__name__, 120)


def send(
    messages: list[EmailMessage],
    delivery: DeliveryConfig,
    password: str | None = None,
    password_source: str = "the configured password",
    what: str = "the e-mail",
) -> int:
    """Send ``messages`` over one SMTP connection; return how many were sent.

    ``delivery.security``: ``starttls`` (upgrade a plain connection, port 587), ``ssl`` (TLS
    from the start, port 465) or ``none`` (plain; only for a relay on a trusted network).
    Logs in when ``delivery.username`` is set. Raises DeliveryError with one sentence that
    names host:port, ``what`` was not sent and the setting to fix; never a traceback.
    """
    if not messages:
        return 0
    where = _where(delivery)
    step = "connect"
    sent = 0
    try:
        context = ssl.create_default_context()
        if delivery.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                delivery.smtp_host, delivery.smtp_port, timeout=delivery.timeout_seconds,
                context=context,
            )  # fmt: skip
        else:
            smtp = smtplib.SMTP(
                delivery.smtp_host, delivery.smtp_port, timeout=delivery.timeout_seconds
            )
        with smtp:
            if delivery.security == "starttls":
                step = "starttls"
                smtp.starttls(context=context)
            if delivery.username is not None:
                step = "login"
                smtp.login(delivery.username, password or "")
            step = "send"
            for msg in messages:
                smtp.send_message(msg)
                sent += 1
    except smtplib.SMTPAuthenticationError as err:
        raise DeliveryError(
            f"The SMTP server {where} refused the login of {delivery.username!r} ({_why(err)}), "
            f"so {what} was not sent; check delivery.username and {password_source}."
        ) from None
    except smtplib.SMTPNotSupportedError:
        if step == "starttls":
            fix = 'set delivery.security to "ssl" (port 465) or "none", or use another server'
        else:
            fix = "remove delivery.username (and the password setting), or use another server"
        offer = "STARTTLS" if step == "starttls" else "login (AUTH)"
        raise DeliveryError(
            f"The SMTP server {where} does not offer {offer}, so {what} was not sent; {fix}."
        ) from None
    except smtplib.SMTPRecipientsRefused as err:
        refused = ", ".join(sorted(err.recipients))
        raise DeliveryError(
            f"The SMTP server {where} refused the recipient(s) {refused}, so {what} was not sent; "
            "check the addresses in "
            "delivery.network_recipients, delivery.clinic_recipients and "
            "delivery.operations_recipients."
        ) from None
    except smtplib.SMTPSenderRefused as err:
        raise DeliveryError(
            f"The SMTP server {where} refused the sender {delivery.from_address!r} ({_why(err)}), "
            f"so {what} was not sent; check delivery.from_address."
        ) from None
    except ssl.SSLError as err:
        raise DeliveryError(
            f"The TLS handshake with the SMTP server {where} failed ({_why(err)}), so {what} was "
            "not sent; check "
            "delivery.security and delivery.smtp_port (465 is usually ssl, 587 starttls)."
        ) from None
    except (OSError, smtplib.SMTPException) as err:  # refused, unreachable, timeout, dropped
        done = f" after {sent} of {len(messages)} messages" if sent else ""
        raise DeliveryError(
            f"Could not send {what} through the SMTP server {where}{done} "
            f"({_why(err)}); check delivery.smtp_host and delivery.smtp_port, and that the "
            "server is up."
        ) from None
    return sent

"""Monday delivery: messages built from a published report, SMTP against a local aiosmtpd server,
and the weekly flow end to end (e-mails, webhook, an unreachable host, a failed run)."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from markupsafe import escape

from forecasting.config import DeliveryConfig, from_dict
from forecasting.errors import ConfigError
from forecasting.report.clinic_ids import clinic_page_path
from forecasting.report.delivery import (
    DeliveryError,
    build_messages,
    clinic_message,
    failure_message,
    load_published,
    network_message,
    send,
    unknown_clinics,
)

AS_OF = date(2025, 6, 2)
HOSTILE = '<img src=x onerror="alert(1)">&co'
PASSWORD = "s3cret-pw"
# The test server takes a login over plain SMTP on 127.0.0.1 (no certificate); aiosmtpd warns.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


# --- a local SMTP server ---------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.logins: list[tuple[str, str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        msg = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        ok = (login, password) == ("lymphcast", PASSWORD)
        return AuthResult(success=ok, handled=False)  # handled=False: the server replies 535

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]


@pytest.fixture(scope="module")
def smtp():
    """aiosmtpd on 127.0.0.1 requiring a login (over plain SMTP: the test has no certificate)."""
    inbox = _Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=_free_port(), authenticator=inbox.authenticate,
        auth_required=True, auth_require_tls=False,
    )  # fmt: skip
    controller.start()
    yield controller.port, inbox
    controller.stop()


@pytest.fixture
def plain_smtp():
    """aiosmtpd without login, for the unit tests of send()."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


def _delivery(**kw) -> DeliveryConfig:
    base = {
        "enabled": True,
        "smtp_host": "127.0.0.1",
        "security": "none",
        "from_address": "lymphcast <reports@clinics.example>",
        "network_recipients": ["network@clinics.example"],
        "clinic_recipients": {"harbor": ["harbor@clinics.example"]},
        "operations_recipients": ["ops@clinics.example"],
        "timeout_seconds": 5,
    }
    return DeliveryConfig.model_validate({**base, **kw})


# --- message building, no SMTP ---------------------------------------------------------------


def _published(tmp_path: Path) -> Path:
    folder = tmp_path / "2026-W48"
    folder.mkdir()
    record = {
        "iso_week": "2026-W48",
        "as_of": "23 November 2026",
        "headline": [f"1 of 2 clinics need more therapist hours in the next 8 weeks: {HOSTILE}."],
        "trust": "Data: every clinic's data is up to date.",
        "accuracy": "Past forecasts were within 5% of actual sessions.",
        "clinics": [
            {"clinic_id": HOSTILE, "status": "short", "action": "Add about 8 therapist hours.",
             "lines": ["This week: about 198 sessions (178–218)."]},
            {"clinic_id": "harbor", "status": "ok", "action": "No change needed.",
             "lines": ["This week: about 126 sessions (110–149)."]},
        ],
    }  # fmt: skip
    (folder / "run_manifest.json").write_text(json.dumps({"report": record}), encoding="utf-8")
    (folder / "staffing.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    return folder


def test_network_message_escapes_and_attaches(tmp_path):
    folder = _published(tmp_path)
    report = load_published(folder / "index.html")
    before = json.dumps(report.record, sort_keys=True)
    msg = network_message(report, _delivery(report_base_url="https://intra.example/reports/"))
    assert json.dumps(report.record, sort_keys=True) == before  # the record is not modified
    assert msg["To"] == "network@clinics.example"
    assert "\n" not in msg["Subject"] and "1 of 2 clinics" in msg["Subject"]
    html = msg.get_body(("html",)).get_content()
    assert HOSTILE not in html and "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;co" in html
    page = clinic_page_path(HOSTILE)  # a safe file name, whatever the id
    assert f'href="https://intra.example/reports/2026-W48/{page}"' in html
    assert "https://intra.example/reports/2026-W48/report.pdf" in html
    text = msg.get_body(("plain",)).get_content()
    assert "harbor (Covered): No change needed." in text
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == "staffing-2026-W48.xlsx"
    assert attachment.get_content() == (folder / "staffing.xlsx").read_bytes()


def test_clinic_message_holds_its_clinic_only(tmp_path):
    report = load_published(_published(tmp_path))
    msg = clinic_message(report, _delivery(), "harbor")
    assert msg["To"] == "harbor@clinics.example" and "harbor" in msg["Subject"]
    assert not list(msg.iter_attachments())
    whole = msg.as_string()
    assert "No change needed." in whole and "Add about 8" not in whole
    assert "onerror" not in whole and "1 of 2 clinics" not in whole
    link = (folder := report.folder / clinic_page_path("harbor")).as_uri()
    assert link in msg.get_body(("html",)).get_content(), folder


def test_header_injection_and_unknown_clinics(tmp_path):
    folder = _published(tmp_path)
    manifest = json.loads((folder / "run_manifest.json").read_text())
    manifest["report"]["clinics"][1]["clinic_id"] = "harbor\r\nBcc: victim@example.org"
    (folder / "run_manifest.json").write_text(json.dumps(manifest))
    report = load_published(folder)
    delivery = _delivery(clinic_recipients={"harbor\r\nBcc: victim@example.org": ["h@x.org"]})
    (msg,) = [m for m in build_messages(report, delivery) if m["To"] == "h@x.org"]
    assert "Bcc" not in msg.keys() and "\n" not in msg["Subject"]
    assert unknown_clinics(report, _delivery()) == ["harbor"]
    assert [m["To"] for m in build_messages(report, _delivery())] == ["network@clinics.example"]


def test_failure_message(tmp_path):
    notice = "# The weekly staffing run for 2026-W48 failed\n\n- error: InputError: <boom>\n"
    msg = failure_message(notice, "2026-W48", _delivery(), tmp_path / "2026-W48.FAILED.md")
    assert msg["To"] == "ops@clinics.example" and "FAILED" in msg["Subject"]
    assert "InputError: <boom>" in msg.get_body(("plain",)).get_content()
    assert "&lt;boom&gt;" in msg.get_body(("html",)).get_content()


def test_incomplete_report_is_one_sentence(tmp_path):
    with pytest.raises(DeliveryError, match="incomplete"):
        load_published(tmp_path)


@pytest.mark.parametrize(
    ("delivery", "words"),
    [
        ({"network_recipients": ["not an address"]}, "is not an e-mail address"),
        ({"clinic_recipients": {"x": ["a@b, c@d"]}}, "delivery.clinic_recipients.x"),
        ({"from_address": "x\nBcc: y@z"}, "is not a sender"),
        ({"username": "u"}, "also set delivery.password_env"),
        ({"password_env": "SMTP_PW"}, "also set delivery.username"),
        ({"password_env": "SMTP PW", "username": "u"}, "not an environment variable name"),
        ({"enabled": True}, "no recipient is set"),
        ({"webhook_block": "slack"}, "<block type>/<block name>"),
        ({"report_base_url": "javascript:alert(1)"}, "is not an http://"),
        ({"security": "tls"}, "delivery.security"),
    ],
)
def test_bad_delivery_settings_in_our_words(delivery, words):
    with pytest.raises(ConfigError, match="delivery") as err:
        from_dict({"delivery": delivery})
    assert words in str(err.value) and "Value error" not in str(err.value)


def test_defaults_send_nothing():
    assert from_dict({}).delivery.enabled is False


# --- SMTP, no Prefect engine -----------------------------------------------------------------


def test_send_plain_and_starttls_refused(tmp_path, plain_smtp):
    port, inbox = plain_smtp
    report = load_published(_published(tmp_path))
    delivery = _delivery(smtp_port=port)
    assert send(build_messages(report, delivery), delivery) == 2
    assert len(inbox.to("network@clinics.example")) == len(inbox.to("harbor@clinics.example")) == 1
    with pytest.raises(DeliveryError, match=rf"127\.0\.0\.1:{port} does not offer STARTTLS"):
        send(build_messages(report, delivery), _delivery(smtp_port=port, security="starttls"))


def test_send_login_refused_and_unreachable(tmp_path, smtp):
    port, inbox = smtp
    report = load_published(_published(tmp_path))
    delivery = _delivery(smtp_port=port, username="lymphcast", password_env="SMTP_PW")
    source = "the environment variable SMTP_PW"
    with pytest.raises(DeliveryError) as err:
        send(build_messages(report, delivery), delivery, "wrong", source)
    assert f"127.0.0.1:{port} refused the login of 'lymphcast'" in str(err.value)
    assert str(err.value).endswith(f"check delivery.username and {source}.")
    closed = _free_port()
    with pytest.raises(DeliveryError) as err:
        send(build_messages(report, delivery), _delivery(smtp_port=closed))
    sentence = str(err.value)
    assert (
        f"127.0.0.1:{closed}" in sentence
        and "delivery.smtp_host and delivery.smtp_port" in sentence
    )
    assert sentence.count(". ") == 0 and "Traceback" not in sentence


def test_password_from_the_environment(monkeypatch):
    from flows.delivery import resolve_password

    delivery = _delivery(username="lymphcast", password_env="LYMPHCAST_TEST_SMTP_PW")
    monkeypatch.setenv("LYMPHCAST_TEST_SMTP_PW", PASSWORD)
    assert resolve_password(delivery) == (
        PASSWORD,
        "the environment variable LYMPHCAST_TEST_SMTP_PW",
    )
    monkeypatch.delenv("LYMPHCAST_TEST_SMTP_PW")
    with pytest.raises(DeliveryError, match=r"LYMPHCAST_TEST_SMTP_PW \(delivery.password_env\)"):
        resolve_password(delivery)
    assert resolve_password(_delivery()) == (None, "no password (no login)")


# --- the weekly flow end to end --------------------------------------------------------------


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length", 0))
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture(scope="module")
def webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], _Webhook.received
    server.shutdown()


def _toml(root: Path, name: str, port: int, webhook: bool = True) -> Path:
    config = root / name
    config.write_text(
        "n_paths = 100\nhorizon_weeks = 4\n\n[delivery]\nenabled = true\n"
        f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\n'
        'username = "lymphcast"\npassword_env = "LYMPHCAST_TEST_SMTP_PW"\n'
        'from_address = "lymphcast <reports@clinics.example>"\n'
        'network_recipients = ["network@clinics.example", "cfo@clinics.example"]\n'
        'operations_recipients = ["ops@clinics.example"]\ntimeout_seconds = 5\n'
        + ('webhook_block = "custom-webhook/lymphcast-test"\n' if webhook else "")
        + '[delivery.clinic_recipients]\nharbor = ["harbor@clinics.example"]\n'
        'nowhere = ["nobody@clinics.example"]\n'
    )
    return config


@pytest.fixture(scope="module")
def delivered(demo_exports, tmp_path_factory, prefect_harness, smtp, webhook):
    import os

    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    from flows.weekly import weekly_staffing

    port, inbox = smtp
    CustomWebhookNotificationBlock(
        name="lymphcast-test", url=f"http://127.0.0.1:{webhook[0]}/hook",
        json_data={"subject": "{{subject}}", "body": "{{body}}"}, allow_private_urls=True,
    ).save("lymphcast-test", overwrite=True)  # fmt: skip
    root = tmp_path_factory.mktemp("delivery")
    demo_exports(root / "raw", clinics=2, years=2, seed=1, end=date(2025, 7, 1))
    os.environ["LYMPHCAST_TEST_SMTP_PW"] = PASSWORD
    logins_before = len(inbox.logins)
    try:
        state = weekly_staffing(
            as_of=AS_OF, config_path=str(_toml(root, "lymphcast.toml", port)),
            raw=str(root / "raw"), processed=str(root / "processed"),
            reports=str(root / "reports"), return_state=True,
        )  # fmt: skip
        yield {
            "root": root, "state": state, "inbox": inbox, "port": port, "hook": webhook[1],
            "logins": inbox.logins[logins_before:],
        }  # fmt: skip
    finally:
        os.environ.pop("LYMPHCAST_TEST_SMTP_PW", None)


pytest_slow = pytest.mark.slow


@pytest_slow
def test_network_recipients_get_summary_and_workbook(delivered):
    assert delivered["state"].is_completed()
    folder = delivered["root"] / "reports" / "2025-W23"
    inbox = delivered["inbox"]
    assert delivered["logins"] == [("lymphcast", PASSWORD)]  # one connection, env password
    (msg,) = inbox.to("network@clinics.example")
    assert inbox.to("cfo@clinics.example") == [msg]
    record = json.loads((folder / "run_manifest.json").read_text())["report"]
    html = msg.get_body(("html",)).get_content()
    for clinic in record["clinics"]:
        assert escape(clinic["clinic_id"]) in html and escape(clinic["action"]) in html
    assert escape(record["headline"][0]) in html
    assert f'href="{(folder / "index.html").resolve().as_uri()}"' in html
    (attachment,) = msg.iter_attachments()
    assert attachment.get_content() == (folder / "staffing.xlsx").read_bytes()


@pytest_slow
def test_clinic_recipients_get_their_part_only(delivered):
    folder = (delivered["root"] / "reports" / "2025-W23").resolve()
    (msg,) = delivered["inbox"].to("harbor@clinics.example")
    record = json.loads((folder / "run_manifest.json").read_text())["report"]
    harbor = next(c for c in record["clinics"] if c["clinic_id"] == "harbor")
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert escape(harbor["action"]) in html and harbor["action"] in text
    for other in record["clinics"]:
        if other["clinic_id"] != "harbor":
            assert other["clinic_id"] not in html + text + msg["Subject"]
    page = folder / clinic_page_path("harbor")
    assert f'href="{page.as_uri()}"' in html
    # the link opens harbor's published page (headed by its display name and id, or its id)
    assert re.search(r">Clinic (harbor|[^<]*\(harbor\))</h2>", page.read_text())
    assert f'href="{clinic_page_path("harbor")}"' in (folder / "index.html").read_text()
    assert not delivered["inbox"].to("nobody@clinics.example")
    assert not delivered["inbox"].to("ops@clinics.example")


@pytest_slow
def test_webhook_gets_the_decisions(delivered):
    (post,) = [p for p in delivered["hook"] if "2025-W23" in p["subject"]]
    assert "harbor" in post["body"] and "index.html" in post["body"]


@pytest_slow
def test_unreachable_smtp_host_keeps_the_run_completed(delivered, caplog, monkeypatch):
    from flows.weekly import weekly_staffing

    root = delivered["root"]
    closed = _free_port()
    monkeypatch.setenv("LYMPHCAST_TEST_SMTP_PW", PASSWORD)
    published = (root / "reports" / "2025-W23" / "index.html").read_bytes()
    with caplog.at_level(logging.WARNING):
        state = weekly_staffing(
            as_of=AS_OF, config_path=str(_toml(root, "unreachable.toml", closed, webhook=False)),
            raw=str(root / "raw"), processed=str(root / "processed"),
            reports=str(root / "reports"), return_state=True,
        )  # fmt: skip
    assert state.is_completed()
    assert (root / "reports" / "2025-W23" / "index.html").read_bytes() == published
    assert not (root / "reports" / "2025-W23.FAILED.md").exists()
    mine = [r for r in caplog.records if "SMTP" in r.getMessage()]
    assert len(mine) == 1, [r.getMessage() for r in mine]
    sentence = mine[0].getMessage()
    assert sentence.startswith("Could not send the report of 2025-W23 through the SMTP server")
    assert f"127.0.0.1:{closed}" in sentence and "delivery.smtp_host" in sentence
    assert not mine[0].exc_info and "Traceback" not in caplog.text
    assert "\n" not in sentence


@pytest_slow
def test_failed_run_emails_operations(delivered):
    from flows.weekly import weekly_staffing

    root, inbox = delivered["root"], delivered["inbox"]
    state = weekly_staffing(
        as_of=date(2025, 6, 9), config_path=str(root / "lymphcast.toml"),
        raw=str(root / "no-such-exports"), processed=str(root / "processed"),
        reports=str(root / "reports"), return_state=True,
    )  # fmt: skip
    assert state.is_failed()
    deadline = time.monotonic() + 20  # the on-failure hook may finish after the state is read
    while not inbox.to("ops@clinics.example") and time.monotonic() < deadline:
        time.sleep(0.2)
    (msg,) = inbox.to("ops@clinics.example")
    assert "2025-W24 FAILED" in msg["Subject"]
    body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "no-such-exports" in body and "## What to do" in body
    assert (root / "reports" / "2025-W24.FAILED.md").read_text().strip() in body
    assert (root / "reports" / "2025-W23" / "index.html").is_file()  # last good report kept
    assert any("2025-W24" in p["subject"] and "FAILED" in p["subject"] for p in delivered["hook"])


@pytest_slow
def test_password_from_a_secret_block(prefect_harness):
    from prefect.blocks.system import Secret

    from flows.delivery import resolve_password

    Secret(value=PASSWORD).save("lymphcast-test-smtp", overwrite=True)
    delivery = _delivery(username="lymphcast", password_secret_block="lymphcast-test-smtp")
    assert resolve_password(delivery, environ={}) == (
        PASSWORD, "the Prefect Secret block lymphcast-test-smtp"
    )  # fmt: skip
    missing = _delivery(username="lymphcast", password_secret_block="no-such-secret")
    with pytest.raises(DeliveryError, match="Prefect Secret block 'no-such-secret'"):
        resolve_password(missing, environ={})

"""Citizen notifications: e-mail to a real SMTP server (aiosmtpd) and SMS to an HTTP gateway on loopback.

The applicant is told at reception, at a supplement request, at an apology with a new appointment, when the
result is ready and when it was returned; each message is written in the change's own transaction and sent
by the worker at least once, with the same Message-ID / Idempotency-Key on every attempt.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import SecretStr

from engine.outbox import Channel, Delivery
from integrations.notify.email import SmtpSink
from integrations.notify.messages import unaccent
from integrations.notify.settings import SmsSettings, SmtpSettings
from integrations.notify.sinks import Unconfigured
from integrations.notify.sms import SmsGatewaySink
from portal.wiring import Container
from portal.worker import deliver_email, deliver_sms, run_cycle
from tests.builders import (
    AN,
    ASK_SUPPLEMENT,
    LEADER,
    OFFICER,
    PROPOSE_APPROVE,
    RETURN_AT_COUNTER,
    SPECIALIST,
    SUPPLY,
    Api,
    birth_filing,
    notices,
    ok,
    outbox,
)
from tests.ioc_receiver import IocReceiver
from tests.pg import free_port

AN_EMAIL = "nguyenvanan@example.vn"
APOLOGY = {"reason": "Cần xác minh thông tin chỗ ở với cơ quan quản lý nhà", "new_due_at": "2026-03-16T16:00"}
GATEWAY_TOKEN = "sms-gateway-token-for-tests"


@dataclass
class Mailbox:
    """What the SMTP server accepted."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.envelopes.append((str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos]))
        return "250 Message accepted for delivery"

    def subjects(self) -> list[str]:
        with self.lock:
            return [str(m["Subject"]) for m in self.messages]


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback, keeping every message it accepts."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield SmtpServer(mailbox, port)
    controller.stop()


def smtp_settings(port: int) -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=port, starttls=False, sender="UBND phường <motcua@badinh.vn>")


@pytest.fixture
def mail(container: Container, smtp_server: SmtpServer) -> Mailbox:
    """The container's e-mail channel pointed at the SMTP server."""
    container.message_sinks[Channel.EMAIL] = SmtpSink(
        smtp_settings(smtp_server.port), container.settings.public_url
    )
    return smtp_server.mailbox


@pytest.fixture
def gateway(container: Container, ioc_receiver: IocReceiver) -> IocReceiver:
    """The container's SMS channel pointed at an HTTP gateway on loopback."""
    settings = SmsSettings(url=ioc_receiver.url, token=SecretStr(GATEWAY_TOKEN), brandname="UBND-BADINH")
    container.message_sinks[Channel.SMS] = SmsGatewaySink(settings, container.settings.public_url)
    return ioc_receiver


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())


def walk_residence(api: Api) -> str:
    """Online filing by Nguyễn Văn An, through supplement, apology, approval and return."""
    code = api.filed()
    ok(api.receive(code, OFFICER, {"decision": "accept", "note": "Hồ sơ đầy đủ, hợp lệ"}))
    api.at("2026-03-03T09:30")
    api.complete_step(code, "appraisal", SPECIALIST, ASK_SUPPLEMENT)
    api.at("2026-03-04T09:30")
    ok(api.post(f"/dossiers/{code}/supplement", AN, SUPPLY))
    api.at("2026-03-05T10:00")
    ok(api.post(f"/dossiers/{code}/extension", LEADER, APOLOGY))
    api.complete_step(code, "appraisal", SPECIALIST, PROPOSE_APPROVE)
    api.complete_step(code, "approval", LEADER, {"decision": "approve"})
    api.at("2026-03-06T14:00")
    api.complete_step(code, "return", OFFICER, RETURN_AT_COUNTER)
    return code


class TestEmail:
    def test_the_applicant_gets_a_vietnamese_email_at_each_moment_that_matters(
        self, api: Api, container: Container, mail: Mailbox
    ) -> None:
        code = walk_residence(api)
        assert [n for n, c, to in notices(container) if c == code and to == AN_EMAIL] == [
            "received",
            "supplement_requested",
            "extended",
            "result_ready",
            "returned",
        ]
        assert mail.messages == []  # nothing leaves before the worker runs
        assert deliver_email(container) == 5
        assert mail.subjects() == [
            f"Hồ sơ {code} đã được tiếp nhận",
            f"Hồ sơ {code} cần bổ sung, hoàn thiện",
            f"Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}",
            f"Hồ sơ {code} đã có kết quả",
            f"Hồ sơ {code} đã được trả kết quả",
        ]
        assert {rcpt for _, rcpts in mail.envelopes for rcpt in rcpts} == {AN_EMAIL}
        received, supplement, apology, ready, returned = mail.messages
        # Received Mon 02/03 09:00 → due Wed 11/03 09:00 (7 working days).
        assert "Kính gửi Ông/Bà Nguyễn Văn An," in text_of(received)
        assert "Thời gian hẹn trả kết quả: 09:00 ngày 11/03/2026" in text_of(received)
        assert f"/tra-cuu?ma={code}" in text_of(received)
        assert "Hợp đồng thuê nhà có công chứng: Bản đã nộp hết hiệu lực" in text_of(supplement)
        assert "tạm dừng từ 09:30 ngày 03/03/2026" in text_of(supplement)
        assert "Lý do: Cần xác minh thông tin chỗ ở với cơ quan quản lý nhà" in text_of(apology)
        assert "Thời gian hẹn trả kết quả mới: 16:00 ngày 16/03/2026" in text_of(apology)
        assert "English: We apologise" in text_of(apology)
        assert "Đủ điều kiện theo Điều 20" not in text_of(ready)  # the specialist's opinion stays inside
        assert "14:00 ngày 06/03/2026" in text_of(returned)
        assert received["From"] == "UBND phường <motcua@badinh.vn>"
        assert received["Content-Language"] == "vi"
        assert received["X-MotCua-Dossier"] == code

    def test_html_part_is_escaped_and_carries_the_same_words(
        self, api: Api, container: Container, mail: Mailbox
    ) -> None:
        code = api.filed()
        reason = "Thiếu tờ khai <b>CT01</b> & bản sao giấy tờ"
        ok(api.receive(code, OFFICER, {"decision": "refuse", "refusal_reason": reason}))
        deliver_email(container)
        (refused,) = mail.messages
        assert refused["Subject"] == f"Hồ sơ {code} không được tiếp nhận"
        assert f"Lý do: {reason}" in text_of(refused)
        html = html_of(refused)
        assert "&lt;b&gt;CT01&lt;/b&gt; &amp; bản sao" in html
        assert "<b>CT01</b>" not in html

    def test_the_message_id_is_the_same_on_every_attempt_and_nothing_is_lost_while_smtp_is_down(
        self, api: Api, container: Container
    ) -> None:
        port = free_port()  # nobody listens yet
        container.message_sinks[Channel.EMAIL] = SmtpSink(smtp_settings(port), container.settings.public_url)
        code = api.received()
        assert deliver_email(container) == 0
        (row,) = outbox(container, "email")
        assert (row.status, row.attempts) == (Delivery.PENDING.value, 1)
        assert "SMTP" in (row.last_error or "")

        mailbox = Mailbox()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            api.at("2026-03-02T11:00")  # past the backoff
            assert deliver_email(container) == 1
        finally:
            controller.stop()
        (message,) = mailbox.messages
        assert message["Message-ID"] == f"<{row.id}@motcua>"
        assert code in str(message["Subject"])
        (after,) = outbox(container, "email")
        assert (after.status, after.delivered_to) == (Delivery.DELIVERED.value, "smtp")

    def test_an_applicant_without_email_gets_no_email_but_an_sms(
        self, api: Api, container: Container
    ) -> None:
        code = str(ok(api.file(OFFICER, birth_filing()))["code"])  # Lê Quang Huy gave only a phone number
        assert notices(container, "email") == []
        assert notices(container, "sms") == [("received", code, "0987654321")]


class TestSms:
    def test_the_gateway_gets_an_unaccented_text_with_the_outbox_id_as_idempotency_key(
        self, api: Api, container: Container, gateway: IocReceiver
    ) -> None:
        code = api.received()
        assert deliver_sms(container) == 1
        (request,) = gateway.requests
        body: dict[str, Any] = json.loads(request.body)
        (row,) = outbox(container, "sms")
        assert body["id"] == row.id == request.headers["Idempotency-Key"]
        assert request.headers["Authorization"] == f"Bearer {GATEWAY_TOKEN}"
        assert body["to"] == "+84912345678"
        assert body["brandname"] == "UBND-BADINH"
        expected = f"Ho so {code} da duoc tiep nhan. Hen tra ket qua: 09:30 ngay 11/03/2026."
        assert body["text"].startswith(expected)
        assert body["text"].isascii()

    def test_a_gateway_error_is_retried_with_the_same_id(
        self, api: Api, container: Container, gateway: IocReceiver
    ) -> None:
        api.received()
        gateway.answer(500)
        assert deliver_sms(container) == 0
        api.at("2026-03-02T11:00")
        assert deliver_sms(container) == 1
        first, second = (json.loads(r.body)["id"] for r in gateway.requests)
        assert first == second
        assert [r.answered for r in gateway.requests] == [500, 200]


class TestWithoutServers:
    def test_the_embedded_default_writes_the_messages_as_files(self, api: Api, container: Container) -> None:
        code = api.received()
        cycle = run_cycle(container)
        assert cycle.failed == {}
        assert (cycle.done["email"], cycle.done["sms"]) == (1, 1)
        data_dir: Path = container.settings.data_dir
        (eml,) = (data_dir / "mail").glob("*.eml")
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        assert message["Subject"] == f"Hồ sơ {code} đã được tiếp nhận"
        (sms,) = (data_dir / "sms").glob("*.json")
        assert json.loads(sms.read_text())["to"] == "+84912345678"

    def test_in_production_an_unconfigured_channel_parks_its_messages_instead_of_dropping_them(
        self, api: Api, container: Container
    ) -> None:
        container.message_sinks[Channel.EMAIL] = Unconfigured("smtp", "MOTCUA_SMTP_HOST is not set")
        api.received()
        for hour in range(10, 23):
            api.at(f"2026-03-02T{hour}:00")
            deliver_email(container)
        api.at("2026-03-03T09:00")
        deliver_email(container)
        (row,) = outbox(container, "email")
        assert row.status == Delivery.PARKED.value
        assert "MOTCUA_SMTP_HOST" in str(row.last_error)


def test_unaccent_keeps_the_words_readable() -> None:
    assert unaccent("Đã trả kết quả hồ sơ; Ông/Bà đến nhận") == "Da tra ket qua ho so; Ong/Ba den nhan"

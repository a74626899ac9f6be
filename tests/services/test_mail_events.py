"""Resend webhooks: Svix signatures verified; bounces and complaints suppress the address, once per event."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette

from jobwatch.httproutes import ROUTES
from jobwatch.models import MailEvent, User
from jobwatch.services.digests import mail_problem
from jobwatch.services.mail_events import (
    SignatureError,
    lift_suppression,
    sign,
    suppressed_addresses,
    verify_signature,
)
from tests.asgi import AsgiClient
from tests.factories import make_user

SECRET = "whsec_" + base64.b64encode(b"a test secret of enough bytes!!").decode()


@pytest.fixture()
def client(db: Engine, settings_env: pytest.MonkeyPatch) -> Iterator[AsgiClient]:
    settings_env.setenv("RESEND_WEBHOOK_SECRET", SECRET)
    yield AsgiClient(Starlette(routes=ROUTES))


def _event(kind: str, to: str, **data: object) -> bytes:
    return json.dumps(
        {"type": kind, "created_at": "2026-06-01T09:00:00Z", "data": {"email_id": "e-1", "to": [to], **data}}
    ).encode()


def _headers(body: bytes, *, event_id: str = "msg_1", secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    stamp = at if at is not None else int(time.time())
    return {
        "svix-id": event_id,
        "svix-timestamp": str(stamp),
        "svix-signature": sign(body=body, event_id=event_id, timestamp=stamp, secret=secret),
        "content-type": "application/json",
    }


def _user(db: Engine, email: str) -> int:
    with Session(db) as s:
        user = make_user(s, email=email)
        s.commit()
        return user.id or 0


def test_signature_checks() -> None:
    body = _event("email.bounced", "a@example.test")
    now = 1_780_000_000
    headers = _headers(body, at=now)
    assert verify_signature(body=body, headers=headers, secret=SECRET, now=now) == "msg_1"
    # Several signatures (during a secret rotation): any valid one is enough.
    rotated = dict(headers, **{"svix-signature": "v1,AAAA " + headers["svix-signature"]})
    assert verify_signature(body=body, headers=rotated, secret=SECRET, now=now) == "msg_1"
    forged = [
        (body + b" ", headers),  # body changed
        (body, dict(headers, **{"svix-id": "msg_2"})),  # id changed
        (body, _headers(body, secret="whsec_" + base64.b64encode(b"another secret").decode(), at=now)),
        (body, {k: v for k, v in headers.items() if k != "svix-signature"}),
        (body, dict(headers, **{"svix-signature": "v2," + headers["svix-signature"][3:]})),
    ]
    for forged_body, forged_headers in forged:
        with pytest.raises(SignatureError):
            verify_signature(body=forged_body, headers=forged_headers, secret=SECRET, now=now)
    with pytest.raises(SignatureError):  # replayed ten minutes later
        verify_signature(body=body, headers=headers, secret=SECRET, now=now + 600)


def test_a_bounce_suppresses_the_address_once(client: AsgiClient, db: Engine) -> None:
    user_id = _user(db, "gone@example.test")
    other = _user(db, "fine@example.test")
    body = _event("email.bounced", "Gone@Example.test", bounce={"type": "Permanent", "message": "No such mailbox"})
    response = client.post("/webhooks/resend", content=body, headers=_headers(body))
    assert response.status_code == 200 and response.json() == {"outcome": "suppressed"}
    again = client.post("/webhooks/resend", content=body, headers=_headers(body))
    assert again.json() == {"outcome": "duplicate"}  # Svix retries: acted on once
    with Session(db) as s:
        user = s.get_one(User, user_id)
        assert user.email_suppressed_at is not None and user.email_suppression_reason == "bounced: No such mailbox"
        assert s.get_one(User, other).email_suppressed_at is None
        assert len(s.exec(select(MailEvent)).all()) == 1
        # Shown to the user and to the operators.
        problem = mail_problem(session=s, user_id=user_id)
        assert problem is not None and problem.suppression_reason == "bounced: No such mailbox"
        assert [a.email for a in suppressed_addresses(session=s)] == ["gone@example.test"]
        assert lift_suppression(session=s, user_id=user_id)
        s.commit()
        assert mail_problem(session=s, user_id=user_id) is None


def test_complaint_suppresses_and_transient_bounce_does_not(client: AsgiClient, db: Engine) -> None:
    spam = _user(db, "spam@example.test")
    soft = _user(db, "full@example.test")
    complaint = _event("email.complained", "spam@example.test")
    assert (
        client.post("/webhooks/resend", content=complaint, headers=_headers(complaint, event_id="m1")).status_code
        == 200
    )
    transient = _event("email.bounced", "full@example.test", bounce={"type": "Transient", "message": "Mailbox full"})
    assert client.post("/webhooks/resend", content=transient, headers=_headers(transient, event_id="m2")).json() == {
        "outcome": "ignored"
    }
    delivered = _event("email.delivered", "full@example.test")
    assert client.post("/webhooks/resend", content=delivered, headers=_headers(delivered, event_id="m3")).json() == {
        "outcome": "ignored"
    }
    with Session(db) as s:
        assert "complaint" in (s.get_one(User, spam).email_suppression_reason or "")
        assert s.get_one(User, soft).email_suppressed_at is None


def test_forged_webhooks_are_refused_and_change_nothing(client: AsgiClient, db: Engine) -> None:
    user_id = _user(db, "victim@example.test")
    body = _event("email.complained", "victim@example.test")
    wrong = "whsec_" + base64.b64encode(b"guessed").decode()
    for headers in (_headers(body, secret=wrong), {"content-type": "application/json"}, _headers(body, at=1)):
        assert client.post("/webhooks/resend", content=body, headers=headers).status_code == 401
    with Session(db) as s:
        assert s.get_one(User, user_id).email_suppressed_at is None
        assert s.exec(select(MailEvent)).all() == []


def test_without_a_secret_every_call_is_refused(db: Engine, settings_env: pytest.MonkeyPatch) -> None:
    settings_env.delenv("RESEND_WEBHOOK_SECRET", raising=False)
    client = AsgiClient(Starlette(routes=ROUTES))
    body = _event("email.complained", "x@example.test")
    assert client.post("/webhooks/resend", content=body, headers=_headers(body)).status_code == 401

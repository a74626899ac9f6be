"""`/unsubscribe`: GET and HEAD change nothing (B14); POST one-click unsubscribes; forged tokens get 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette

from jobwatch.httproutes import ROUTES
from jobwatch.models import JobAlert
from jobwatch.services.tokens import make_link_token
from jobwatch.services.unsubscribe import unsubscribe_token
from tests.asgi import AsgiClient
from tests.factories import make_alert, make_user


@pytest.fixture()
def client(db: Engine) -> Iterator[AsgiClient]:
    yield AsgiClient(Starlette(routes=ROUTES))


def _setup(db: Engine) -> tuple[int, str]:
    with Session(db) as s:
        user = make_user(s)
        make_alert(s, user, {"keywords": ["python"]})
        make_alert(s, user, {"keywords": ["rust"]}, channels=["email"])
        s.commit()
        assert user.id is not None
        return user.id, unsubscribe_token(user.id)


def _channels(db: Engine, user_id: int) -> list[list[str]]:
    with Session(db) as s:
        return sorted(a.channels for a in s.exec(select(JobAlert).where(JobAlert.user_id == user_id)).all())


def test_get_and_head_change_nothing(client: AsgiClient, db: Engine) -> None:
    user_id, token = _setup(db)
    page = client.get("/unsubscribe", params={"token": token})
    assert page.status_code == 200
    assert "<button" in page.text and ">Unsubscribe</button>" in page.text
    assert client.head("/unsubscribe", params={"token": token}).status_code == 200
    assert _channels(db, user_id) == [["email"], ["inbox", "email"]]


def test_one_click_post_unsubscribes_without_cookies(client: AsgiClient, db: Engine) -> None:
    user_id, token = _setup(db)
    response = client.post(
        f"/unsubscribe?token={token}",
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert _channels(db, user_id) == [["inbox"], ["inbox"]]
    again = client.post(f"/unsubscribe?token={token}", content="List-Unsubscribe=One-Click")
    assert again.status_code == 200


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "1.unsub.AAAA", "999999.unsub.x", "FORGED_OTHER_USER", "OTHER_PURPOSE"],
)
def test_bad_tokens_get_404_and_change_nothing(client: AsgiClient, db: Engine, token: str) -> None:
    user_id, real = _setup(db)
    if token == "FORGED_OTHER_USER":
        token = f"{user_id + 1}.unsub.{real.rsplit('.', 1)[1]}"
    elif token == "OTHER_PURPOSE":
        token = make_link_token(user_id, "reset")
    for method in ("get", "post"):
        response = getattr(client, method)(f"/unsubscribe?token={token}")
        assert response.status_code == 404
        assert "not valid" in response.text
    assert _channels(db, user_id) == [["email"], ["inbox", "email"]]


def _alerts(db: Engine, user_id: int) -> dict[str, list[str]]:
    with Session(db) as s:
        return {a.name: a.channels for a in s.exec(select(JobAlert).where(JobAlert.user_id == user_id)).all()}


def _two_alerts(db: Engine) -> tuple[int, int, int]:
    with Session(db) as s:
        user = make_user(s)
        python = make_alert(s, user, {"keywords": ["python"]}, name="Python")
        rust = make_alert(s, user, {"keywords": ["rust"]}, name="Rust <b>")
        s.commit()
        assert user.id is not None and python.id is not None and rust.id is not None
        return user.id, python.id, rust.id


def test_one_click_stops_only_the_alert_of_the_email(client: AsgiClient, db: Engine) -> None:
    user_id, python, _ = _two_alerts(db)
    token = unsubscribe_token(user_id, [python])
    page = client.get("/unsubscribe", params={"token": token})
    assert page.status_code == 200
    assert "“Python”" in page.text and "Rust" not in page.text
    # The page offers stopping everything, as a second button; the GET itself changes nothing (B14).
    assert ">Unsubscribe</button>" in page.text and ">Stop all digest emails</button>" in page.text
    assert client.head("/unsubscribe", params={"token": token}).status_code == 200
    assert _alerts(db, user_id) == {"Python": ["inbox", "email"], "Rust <b>": ["inbox", "email"]}

    response = client.post(
        f"/unsubscribe?token={token}",
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200 and "set-cookie" not in response.headers
    assert _alerts(db, user_id) == {"Python": ["inbox"], "Rust <b>": ["inbox", "email"]}
    assert '<a href="/alerts">' in response.text  # where this alert's email comes back on ("Email on")
    # The token does not expire and a repeat is harmless.
    assert client.post(f"/unsubscribe?token={token}", content="List-Unsubscribe=One-Click").status_code == 200


def test_stop_all_from_the_confirmation_page(client: AsgiClient, db: Engine) -> None:
    user_id, python, _ = _two_alerts(db)
    token = unsubscribe_token(user_id, [python])
    page = client.get("/unsubscribe", params={"token": token}).text
    assert "Rust &lt;b&gt;" not in page  # alert names are escaped wherever they appear
    assert "&amp;scope=all" in page
    response = client.post(f"/unsubscribe?token={token}&scope=all", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and '<a href="/settings">' in response.text  # "every alert again"
    assert _alerts(db, user_id) == {"Python": ["inbox"], "Rust <b>": ["inbox"]}


def test_a_forged_alert_in_the_token_is_refused(client: AsgiClient, db: Engine) -> None:
    user_id, python, rust = _two_alerts(db)
    real = unsubscribe_token(user_id, [python])
    forged = real.replace(f".{python}.", f".{rust}.")
    assert client.get(f"/unsubscribe?token={forged}").status_code == 404
    assert client.post(f"/unsubscribe?token={forged}").status_code == 404
    assert _alerts(db, user_id) == {"Python": ["inbox", "email"], "Rust <b>": ["inbox", "email"]}


def test_unsubscribing_leaves_account_mail_alone(client: AsgiClient, db: Engine) -> None:
    # B14: digests stop, but the address stays verified and unsuppressed, so account mail still goes out.
    from jobwatch.mail.senders import EmailMessage, OutboxSender
    from jobwatch.models import OutboxMessage, User
    from jobwatch.services.unsubscribe import resubscribe

    user_id, python, _ = _two_alerts(db)
    client.post(f"/unsubscribe?token={unsubscribe_token(user_id)}", content="List-Unsubscribe=One-Click")
    assert set(map(tuple, _alerts(db, user_id).values())) == {("inbox",)}
    with Session(db) as s:
        user = s.get_one(User, user_id)
        assert user.email_verified_at is not None and user.email_suppressed_at is None
        OutboxSender().send(
            EmailMessage(to=user.email, from_="jobwatch@localhost", subject="Reset", html="", text="", kind="account"),
            session=s,
        )
        s.commit()
        assert s.exec(select(OutboxMessage).where(OutboxMessage.kind == "account")).one().to_email == user.email
        # Settings can turn email back on.
        assert resubscribe(session=s, user_id=user_id, alert_ids=[python]) == 1
        s.commit()
    assert _alerts(db, user_id)["Python"] == ["inbox", "email"]


def test_digests_carry_one_click_links_for_their_alerts(db: Engine) -> None:
    from datetime import timedelta

    from jobwatch.models import OutboxMessage
    from jobwatch.services.digests import send_due_digests
    from jobwatch.services.matching import match_new_postings
    from jobwatch.services.tokens import read_token
    from jobwatch.storage import ingest_postings
    from tests.factories import make_board, make_posting

    user_id, python, rust = _two_alerts(db)
    with Session(db) as s:
        board = make_board(s)
        ingest_postings(session=s, board=board, complete=True, postings=[make_posting(title="Baseline")])
        ingest_postings(
            session=s,
            board=board,
            complete=True,
            postings=[make_posting(title="Baseline"), make_posting(title="Python and Rust developer")],
        )
        s.commit()
    match_new_postings()
    from jobwatch.models import utcnow

    send_due_digests(now=utcnow() + timedelta(minutes=1))
    with Session(db) as s:
        mail = s.exec(select(OutboxMessage)).one()
    link = mail.headers["List-Unsubscribe"].strip("<>")
    token = link.split("token=", 1)[1]
    named = read_token(token, "unsub")
    assert named is not None and named.user_id == user_id and set(named.alert_ids) == {python}
    assert "Also matches: Rust &lt;b&gt;" in mail.html
    assert f"/unsubscribe?token={token}" in mail.html
    assert rust  # the other alert is named in the text, its own link appears only in its own section

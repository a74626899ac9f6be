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

"""The Atom feed of one alert at its secret URL: valid Atom, the alert's matches, nothing hidden, escaped (B16)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.applications import Starlette

from jobwatch.httproutes import ROUTES
from jobwatch.models import JobPosting, UserJobInteraction
from jobwatch.services.feeds import ATOM_NS, feed_token, feed_url
from jobwatch.services.matching import match_new_postings
from jobwatch.services.tokens import make_link_token
from jobwatch.storage import ingest_postings
from tests.asgi import AsgiClient
from tests.factories import make_alert, make_board, make_posting, make_user

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
A = f"{{{ATOM_NS}}}"


@pytest.fixture()
def client(db: Engine) -> Iterator[AsgiClient]:
    yield AsgiClient(Starlette(routes=ROUTES))


def _setup(db: Engine) -> dict[str, int]:
    with Session(db) as s:
        board = make_board(s)
        user = make_user(s)
        other = make_user(s)
        alert = make_alert(s, user, {"keywords": ["engineer"]}, name="Engineers", created_at=T0)
        theirs = make_alert(s, other, {"keywords": ["engineer"]}, name="Theirs", created_at=T0)
        ingest_postings(
            session=s,
            board=board,
            complete=True,
            now=T0,
            postings=[make_posting(external_id="b", title="Old Engineer")],
        )
        ingest_postings(
            session=s,
            board=board,
            complete=True,
            now=T0 + timedelta(hours=1),
            postings=[
                make_posting(external_id="b", title="Old Engineer"),
                make_posting(
                    external_id="x",
                    title='<a href="https://evil.example">Senior Engineer</a><img src=x onerror=alert(1)>',
                    company="Acme & Co",
                    url="javascript:alert(1)",
                ),
                make_posting(external_id="y", title="Platform Engineer"),
                make_posting(external_id="z", title="Hidden Engineer"),
            ],
        )
        s.commit()
        ids = {"user": user.id or 0, "other": other.id or 0, "alert": alert.id or 0, "theirs": theirs.id or 0}
        ids.update({p.external_id: p.id or 0 for p in s.exec(select(JobPosting)).all()})
    match_new_postings(now=T0 + timedelta(hours=1))
    with Session(db) as s:
        s.add(UserJobInteraction(user_id=ids["user"], posting_id=ids["z"], hidden_at=T0))
        s.commit()
    return ids


def test_feed_lists_the_alerts_matches_as_atom(client: AsgiClient, db: Engine) -> None:
    ids = _setup(db)
    url = feed_url(ids["user"], ids["alert"])
    assert url.startswith("http://jobwatch.test/feeds/")
    response = client.get(url.removeprefix("http://jobwatch.test"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    assert response.headers["x-robots-tag"] == "noindex"
    root = ET.fromstring(response.content)
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}title") == "jobwatch: Engineers"
    for required in ("id", "updated", "author"):
        assert root.find(f"{A}{required}") is not None
    entries = root.findall(f"{A}entry")
    titles = sorted(e.findtext(f"{A}title") or "" for e in entries)
    # The baseline posting was never announced and the hidden one stays out.
    assert len(entries) == 2 and "Platform Engineer" in titles
    for entry in entries:
        assert entry.findtext(f"{A}id") and entry.findtext(f"{A}updated")
        href = entry.find(f"{A}link").get("href")  # type: ignore[union-attr]
        assert href.startswith(("http://", "https://"))
    # B16: markup in a title is text, never live markup; the unsafe link is replaced by jobwatch's own page.
    raw = response.text
    assert "<img" not in raw and "<a href=" not in raw and "javascript:" not in raw
    assert "Acme &amp; Co" in raw


@pytest.mark.parametrize("kind", ["garbage", "other-users-alert", "unsubscribe-token", "altered"])
def test_bad_feed_tokens_get_404(client: AsgiClient, db: Engine, kind: str) -> None:
    ids = _setup(db)
    token = {
        "garbage": "abc",
        # A real signature for another user's alert does not open this user's feed, nor the reverse.
        "other-users-alert": make_link_token(ids["user"], "feed", alert_ids=[ids["theirs"]]),
        "unsubscribe-token": make_link_token(ids["user"], "unsub", alert_ids=[ids["alert"]]),
        "altered": feed_token(ids["user"], ids["alert"]).replace(f".{ids['alert']}.", f".{ids['theirs']}."),
    }[kind]
    response = client.get(f"/feeds/{token}")
    assert response.status_code == 404 and "Engineer" not in response.text

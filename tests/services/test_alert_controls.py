"""Switches on one's own alerts: email on/off, pause/resume, feed URL; another user's alert never changes."""

from __future__ import annotations

from sqlmodel import Session

from jobwatch.services.alert_controls import alert_feed_url, email_on_ids, set_active, set_email
from tests.factories import make_alert, make_user


def test_email_and_pause_switches_are_scoped_to_the_owner(session: Session) -> None:
    ada, bob = make_user(session), make_user(session)
    alert = make_alert(session, ada, {"keywords": ["python"]})
    assert alert.id is not None and ada.id is not None and bob.id is not None
    assert email_on_ids(session=session, user_id=ada.id) == {alert.id}

    assert not set_email(session=session, user_id=bob.id, alert_id=alert.id, on=False)
    assert "email" in alert.channels
    assert set_email(session=session, user_id=ada.id, alert_id=alert.id, on=False)
    assert alert.channels == ["inbox"] and email_on_ids(session=session, user_id=ada.id) == set()
    assert set_email(session=session, user_id=ada.id, alert_id=alert.id, on=True)
    session.refresh(alert)
    assert "email" in alert.channels

    before = alert.updated_at
    assert not set_active(session=session, user_id=bob.id, alert_id=alert.id, active=False)
    assert set_active(session=session, user_id=ada.id, alert_id=alert.id, active=False)
    assert alert.is_active is False and alert.updated_at >= before

    url = alert_feed_url(session=session, user_id=ada.id, alert_id=alert.id)
    assert url is not None and url.startswith("http://jobwatch.test/feeds/")
    assert alert_feed_url(session=session, user_id=bob.id, alert_id=alert.id) is None

"""The UI features' handlers without a browser: the builder's chips, edit mode, prefill and sample digest; the
alerts list's duplicate; inbox views and filter; the jobs search, "save as alert" and the posting page; board
scrape progress. Every handler re-checks the session, and a forged id of another user's row reads as missing
and changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote

import pytest
import reflex as rx
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import jobwatch.jobwatch  # noqa: F401  (registers the app and every page state)
from jobwatch.core.postings import Location
from jobwatch.models import (
    AlertMatch,
    Board,
    JobAlert,
    JobPosting,
    Notification,
    OutboxMessage,
    ScrapeRun,
    User,
    UserJobInteraction,
    utcnow,
)
from jobwatch.services import boards
from jobwatch.services.postings_search import clear_facet_cache
from jobwatch.storage import ingest_postings
from jobwatch.ui import routes
from jobwatch.ui.state import boards as boards_state
from jobwatch.ui.state.alerts import AlertBuilderState, AlertsState, route_id
from jobwatch.ui.state.boards import BoardsState
from jobwatch.ui.state.inbox import InboxState
from jobwatch.ui.state.jobs import JobsState, PostingState
from tests.factories import make_alert, make_board, make_posting
from tests.ui.handlers import call
from tests.ui.test_auth_state import Tab, _redirects_to_login, _sign_up
from tests.ui.test_settings import _at


@pytest.fixture(autouse=True)
def _fresh_facets() -> Iterator[None]:
    """Facet counts are cached per database and request; every test here starts from fresh data."""
    clear_facet_cache()
    yield
    clear_facet_cache()


def _seed(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        board = make_board(s)
        ingest_postings(
            session=s,
            board=board,
            complete=True,
            postings=[
                make_posting(title="Python Developer", company="Acme", workplace="remote", department="Engineering"),
                make_posting(
                    title="Java Developer",
                    company="Acme",
                    locations=[Location(raw="Paris, France", city="Paris", country="FR")],
                ),
            ],
        )
        s.commit()
        ids = {p.title: p.id or 0 for p in s.exec(select(JobPosting)).all()}
        ids["board"] = board.id or 0
        return ids


def _alert(engine: Engine, user_id: int, name: str, filters: dict[str, Any]) -> int:
    with Session(engine) as s:
        alert = make_alert(s, s.get_one(User, user_id), filters, name=name, frequency="daily")
        s.commit()
        return alert.id or 0


def _builder(token: str, path: str) -> tuple[Tab, AlertBuilderState]:
    tab = _at(Tab(token), path)
    builder = tab.state(AlertBuilderState)
    assert call(AlertBuilderState.load, builder) is None
    return tab, builder


def test_route_ids_come_from_the_path() -> None:
    assert route_id("/alerts/12", routes.ALERTS) == "12"
    assert route_id("/alerts/12/", routes.ALERTS) == "12"
    assert route_id("/alerts", routes.ALERTS) == ""
    assert route_id("/jobs/7", routes.ALERTS) == ""
    assert route_id("/alerts/1/2", routes.ALERTS) == ""


def test_chips_enter_blur_remove_and_no_duplicates(db: Engine) -> None:
    _seed(db)
    _, token = _sign_up(db, "ada@example.test")
    _, builder = _builder(token, "/alerts/new")
    assert builder.company_options[:1] == ["Acme"] and "Remote" in builder.location_options
    call(AlertBuilderState.set_field, builder, "keywords", "python")
    assert builder.preview_count == "1 matching open job"
    call(AlertBuilderState.commit_chips, builder, "keywords")  # on blur (and on Enter, in the browser)
    assert (builder.keywords_chips, builder.keywords) == (["python"], "")
    call(AlertBuilderState.set_field, builder, "keywords", "Python, java ")
    call(AlertBuilderState.commit_chips, builder, "keywords")
    assert builder.keywords_chips == ["python", "java"] and builder.preview_count == "2 matching open jobs"
    call(AlertBuilderState.remove_chip, builder, "keywords", "python")
    assert builder.keywords_chips == ["java"] and builder.preview_count == "1 matching open job"
    assert "internship" in builder.employment_options
    call(AlertBuilderState.set_field, builder, "employment_types", "full time")
    call(AlertBuilderState.commit_chips, builder, "employment_types")
    assert builder.employment_types_chips == ["full time"]
    call(AlertBuilderState.set_field, builder, "employment_types", "freelance")
    assert "freelance" in builder.field_errors["employment_types"] and not builder.preview_ready
    call(AlertBuilderState.set_field, builder, "employment_types", "")
    call(AlertBuilderState.commit_chips, builder, "name")  # not a chip field: ignored
    assert builder.name == ""

    # The form's pending text joins the chips; a value typed twice is kept once.
    result = call(AlertBuilderState.save, builder, {"name": "Java", "keywords": "JAVA, kotlin", "frequency": "weekly"})
    assert f'"{routes.ALERTS}"' in repr(result)
    with Session(db) as s:
        alert = s.exec(select(JobAlert)).one()
        assert alert.filters == {"keywords": ["java", "kotlin"], "employment_types": ["full_time"]}


def test_edit_mode_loads_only_the_users_own_alert(db: Engine) -> None:
    _seed(db)
    ada_id, ada_token = _sign_up(db, "ada@example.test")
    _, bob_token = _sign_up(db, "bob@example.test")
    alert_id = _alert(db, ada_id, "Ada's secret alert", {"keywords": ["python"], "companies": ["Acme"]})

    _, builder = _builder(ada_token, f"/alerts/{alert_id}")
    assert builder.editing_id == alert_id and builder.name == "Ada's secret alert"
    assert (builder.keywords_chips, builder.companies_chips) == (["python"], ["Acme"])
    assert builder.preview_count == "1 matching open job"
    call(AlertBuilderState.remove_chip, builder, "companies", "Acme")
    call(AlertBuilderState.save, builder, {"name": "Renamed", "keywords": "", "frequency": "instant"})
    with Session(db) as s:
        stored = s.get_one(JobAlert, alert_id)
        assert (stored.name, stored.filters, stored.frequency) == ("Renamed", {"keywords": ["python"]}, "instant")
        assert len(s.exec(select(JobAlert)).all()) == 1  # changed, not copied

    # Bob opens Ada's alert by its id: "not found", and nothing of it reaches his tab.
    bob_tab, intruder = _builder(bob_token, f"/alerts/{alert_id}")
    assert intruder.not_found and intruder.editing_id == 0
    assert "Renamed" not in bob_tab.synced_json() and "python" not in json.dumps(intruder.keywords_chips)
    # Even a forged `editing_id` (no handler sets it, but a crafted client could try) changes nothing of hers.
    intruder.not_found = False
    intruder.editing_id = alert_id
    call(AlertBuilderState.save, intruder, {"name": "Hijacked", "keywords": "go"})
    assert intruder.form_error == "This alert no longer exists."
    with Session(db) as s:
        assert s.get_one(JobAlert, alert_id).name == "Renamed"
    _, missing = _builder(ada_token, "/alerts/999999")
    assert missing.not_found
    _, new = _builder(ada_token, "/alerts/new")
    assert not new.not_found and new.editing_id == 0


def test_duplicate_and_list_figures(db: Engine) -> None:
    ids = _seed(db)
    ada_id, ada_token = _sign_up(db, "ada@example.test")
    _, bob_token = _sign_up(db, "bob@example.test")
    alert_id = _alert(db, ada_id, "Python", {"keywords": ["python"]})
    with Session(db) as s:
        s.add(AlertMatch(alert_id=alert_id, posting_id=ids["Python Developer"]))
        s.add(AlertMatch(alert_id=alert_id, posting_id=ids["Java Developer"], matched_at=utcnow() - timedelta(days=9)))
        s.commit()
    bob = Tab(bob_token).state(AlertsState)
    call(AlertsState.duplicate_alert, bob, alert_id)
    with Session(db) as s:
        assert len(s.exec(select(JobAlert)).all()) == 1

    ada = Tab(ada_token).state(AlertsState)
    call(AlertsState.load, ada)
    row = ada.alerts[0]
    assert (row.week_matches, row.matches, row.last_notified, row.edit_url) == (1, 2, "never", f"/alerts/{alert_id}")
    result = call(AlertsState.duplicate_alert, ada, alert_id)
    copy_id = max(a.id for a in ada.alerts)
    assert f'"/alerts/{copy_id}"' in repr(result)
    assert sorted(a.name for a in ada.alerts) == ["Copy of Python", "Python"]
    assert call(AlertsState.duplicate_alert, ada, alert_id) is None  # a double click copies nothing more
    call(AlertsState.load, ada)  # back on the list: copying again is a new copy
    call(AlertsState.duplicate_alert, ada, alert_id)
    assert sorted(a.name for a in ada.alerts) == ["Copy of Python", "Copy of Python", "Python"]


def test_sample_digest_from_the_builder(db: Engine) -> None:
    _seed(db)
    _, token = _sign_up(db, "ada@example.test")
    _, builder = _builder(token, "/alerts/new")
    call(AlertBuilderState.set_field, builder, "keywords", "python")
    call(AlertBuilderState.send_sample, builder)
    assert "Confirm your email address first" in builder.sample_error  # not verified yet
    with Session(db) as s:
        user = s.exec(select(User)).one()
        user.email_verified_at = utcnow()
        s.add(user)
        s.commit()
    call(AlertBuilderState.set_field, builder, "name", "Py")
    call(AlertBuilderState.send_sample, builder)
    assert builder.sample_notice == "Sample digest with 1 job sent to ada@example.test." and not builder.sample_error
    with Session(db) as s:
        (message,) = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "sample")).all()
        assert message.to_email == "ada@example.test" and "Python Developer" in message.html


def test_inbox_filter_views_and_forged_ids(db: Engine) -> None:
    ids = _seed(db)
    ada_id, ada_token = _sign_up(db, "ada@example.test")
    bob_id, bob_token = _sign_up(db, "bob@example.test")
    alert_id = _alert(db, ada_id, "Python", {"keywords": ["python"]})
    with Session(db) as s:
        note = Notification(user_id=ada_id, posting_id=ids["Python Developer"], alert_ids=[alert_id])
        s.add(note)
        s.add(AlertMatch(alert_id=alert_id, posting_id=ids["Python Developer"]))
        s.commit()
        note_id = note.id

    bob = Tab(bob_token).state(InboxState)
    call(InboxState.load, bob)
    call(InboxState.set_alert_filter, bob, str(alert_id))
    assert bob.items == [] and bob.alert_filter == ""  # not his alert: the filter is dropped
    call(InboxState.mark_read, bob, note_id)
    call(InboxState.set_saved, bob, ids["Python Developer"], True)
    with Session(db) as s:
        assert s.get_one(Notification, note_id).read_at is None
        marks = s.exec(select(UserJobInteraction)).all()
        assert [(m.user_id, m.saved_at is not None) for m in marks] == [(bob_id, True)]  # his own mark only

    ada = Tab(ada_token).state(InboxState)
    call(InboxState.load, ada)
    assert [i.title for i in ada.items] == ["Python Developer"] and ada.items[0].unread
    assert [c.name for c in ada.alert_choices] == ["Python"]
    call(InboxState.set_alert_filter, ada, str(alert_id))
    assert [i.page for i in ada.items] == [f"/jobs/{ids['Python Developer']}"]
    call(InboxState.set_view, ada, "saved")
    assert ada.items == []
    call(InboxState.set_saved, ada, ids["Python Developer"], True)
    assert [i.title for i in ada.items] == ["Python Developer"] and ada.items[0].saved
    call(InboxState.set_view, ada, "bogus")
    assert ada.view == "saved"
    call(InboxState.hide, ada, ids["Python Developer"])
    assert ada.items == [] and ada.unread_count == 0


def test_jobs_facets_save_as_alert_prefills_the_builder(db: Engine) -> None:
    _seed(db)
    _, token = _sign_up(db, "ada@example.test")
    tab = _at(Tab(token), "/jobs")
    jobs = tab.state(JobsState)
    call(JobsState.load, jobs)
    assert jobs.total == 2 and jobs.summary == "2 open jobs"
    assert {(f.value, f.count) for f in jobs.location_facet} == {("DE", 1), ("FR", 1)}
    call(JobsState.toggle_facet, jobs, "location", "FR", True)
    assert [r.title for r in jobs.rows] == ["Java Developer"] and jobs.filtered
    call(JobsState.toggle_facet, jobs, "secret_column", "x", True)  # not a facet: ignored
    call(JobsState.search, jobs, {"q": "developer"})
    assert jobs.summary == "1 open job matching “developer”"
    call(JobsState.search, jobs, {"q": "---"})
    assert "no letters or digits" in jobs.error
    call(JobsState.search, jobs, {"q": "developer"})
    result = call(JobsState.save_as_alert, jobs)
    url = repr(result).split('"')[1] if '"/alerts/new?' in repr(result) else ""
    assert url.startswith("/alerts/new?filters=")
    filters = json.loads(unquote(url.split("filters=", 1)[1]))
    assert filters == {"keywords": ["developer"], "locations": ["France"]}
    call(JobsState.clear_filters, jobs)
    assert jobs.total == 2 and not jobs.filtered

    _, builder = _builder(token, url)
    assert (builder.keywords_chips, builder.locations_chips, builder.name) == (["developer"], ["France"], "developer")
    assert builder.preview_count == "1 matching open job"
    _, bad = _builder(token, "/alerts/new?filters=%7Bnot%20json")
    assert bad.keywords_chips == [] and not bad.not_found
    crafted = quote(json.dumps({"keywords": "<img src=x>", "companies": ["Acme", 7]}))
    _, odd = _builder(token, f"/alerts/new?filters={crafted}")  # a string where a list belongs: not letters
    assert odd.keywords_chips == [] and odd.companies_chips == ["Acme"]


def test_posting_page_and_marks(db: Engine) -> None:
    ids = _seed(db)
    _, token = _sign_up(db, "ada@example.test")
    with Session(db) as s:
        posting = s.get_one(JobPosting, ids["Java Developer"])
        posting.closed_at = utcnow()
        posting.description_html = '<p>Hi</p><img src=x onerror="alert(1)">'
        s.add(posting)
        s.commit()
    tab = _at(Tab(token), f"/jobs/{ids['Java Developer']}")
    page = tab.state(PostingState)
    call(PostingState.load, page)
    assert page.title == "Java Developer" and page.closed and page.board_key == "greenhouse:acme"
    assert "onerror" not in page.description_html and "<p>Hi</p>" in page.description_html
    call(PostingState.set_saved, page, True)
    call(PostingState.set_applied, page, True)
    assert page.saved and page.applied
    missing = _at(Tab(token), "/jobs/999999").state(PostingState)
    call(PostingState.load, missing)
    assert missing.not_found and missing.title == ""


def test_scrape_progress_follows_the_run(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _seed(db)
    _, token = _sign_up(db, "ada@example.test")
    queued: list[int] = []
    monkeypatch.setattr(boards_state, "enqueue_scrape", lambda board_id: queued.append(board_id) or True)
    state = Tab(token).state(BoardsState)
    call(BoardsState.load, state)
    result = call(BoardsState.scrape_now, state, ids["board"])
    assert queued == [ids["board"]] and state.notice == "Scrape of greenhouse:acme queued."
    assert state.boards[0].progress == "Queued" and "follow_scrapes" in repr(result)
    call(BoardsState.scrape_now, state, ids["board"])  # a double click queues nothing more
    assert queued == [ids["board"]] and state.notice == "A scrape of greenhouse:acme is already under way."
    with Session(db) as s:
        run = ScrapeRun(board_id=ids["board"], status="running")
        s.add(run)
        s.commit()
        assert state._update_progress() is False
        assert state._progress[ids["board"]] == ("Running…", "running")
        stored = s.get_one(ScrapeRun, run.id)
        stored.status, stored.new_count, stored.closed_count, stored.finished_at = "ok", 3, 1, utcnow()
        s.add(stored)
        s.commit()
    assert state._update_progress() is True
    state._reload()
    assert state.boards[0].progress == "Done: 3 new, 0 updated, 1 closed" and state._following == {}
    with Session(db) as s:
        board = s.get_one(Board, ids["board"])
        found = boards.scrape_progress(session=s, board_id=board.id or 0, queued_at=utcnow())
        assert found.state == "queued"


def test_board_detection_is_described() -> None:
    assert boards.detected_text(ats="greenhouse", token="acme", typed="greenhouse:acme") == "Greenhouse board “acme”"
    assert (
        boards.detected_text(ats="lever", token="acme", typed="https://jobs.lever.co/acme")
        == "Lever board “acme”, found at https://jobs.lever.co/acme"
    )


@pytest.mark.parametrize(
    ("state_cls", "handler", "args"),
    [
        (AlertsState, "duplicate_alert", (1,)),
        (AlertBuilderState, "commit_chips", ("keywords",)),
        (AlertBuilderState, "remove_chip", ("keywords", "x")),
        (AlertBuilderState, "send_sample", ()),
        (InboxState, "set_view", ("saved",)),
        (InboxState, "set_alert_filter", ("1",)),
        (InboxState, "go_to_page", (2,)),
        (InboxState, "set_saved", (1, True)),
        (InboxState, "hide", (1,)),
        (JobsState, "toggle_facet", ("company", "Acme", True)),
        (JobsState, "set_posted_within", ("7",)),
        (JobsState, "set_include_closed", (True,)),
        (JobsState, "clear_filters", ()),
        (JobsState, "go_to_page", (2,)),
        (JobsState, "save_as_alert", ()),
        (PostingState, "load", ()),
        (PostingState, "set_saved", (True,)),
        (PostingState, "set_hidden", (True,)),
    ],
)
def test_new_handlers_refuse_without_a_session(
    db: Engine, state_cls: type[rx.State], handler: str, args: tuple[Any, ...]
) -> None:
    """B26 for the new handlers: no (or a forged) session changes nothing and goes to the login page."""
    ids = _seed(db)
    tab = _at(Tab("forged-token-that-was-never-issued-000000"), f"/jobs/{ids['Python Developer']}")
    state = tab.state(state_cls)
    if state_cls is PostingState:
        state.posting_id = ids["Python Developer"]  # type: ignore[attr-defined]
    result = call(getattr(state_cls, handler), state, *args)
    assert _redirects_to_login(result)
    with Session(db) as s:
        assert s.exec(select(UserJobInteraction)).all() == []
        assert s.exec(select(JobAlert)).all() == []
        assert s.exec(select(OutboxMessage)).all() == []

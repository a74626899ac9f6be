"""Board tokens (CONTRACT section 4), board URLs and API URL templates."""

from __future__ import annotations

import pytest

from jobwatch.errors import BadInput
from jobwatch.scrapers.boards import (
    BoardRef,
    board_argument,
    board_from_urls,
    board_ref_from_url,
    fill_template,
    parse_board_token,
    resolve_board,
)


@pytest.mark.parametrize(
    ("text", "source", "token", "parts"),
    [
        ("greenhouse:stripe", "greenhouse", "stripe", {"token": "stripe"}),
        ("  Greenhouse:stripe/ ", "greenhouse", "stripe", {"token": "stripe"}),
        ("lever:leverdemo", "lever", "leverdemo", {"token": "leverdemo", "site": "leverdemo"}),
        ("lever-eu:acme", "lever-eu", "acme", {"token": "acme", "site": "acme"}),
        ("ashby:HighlightTA", "ashby", "HighlightTA", {"token": "HighlightTA"}),
        (
            "workday:acme.wd5/External",
            "workday",
            "acme.wd5/External",
            {"token": "acme.wd5/External", "tenant": "acme", "dc": "wd5", "site": "External"},
        ),
        (
            "workday:Acme.WD1/Careers_Site",
            "workday",
            "acme.wd1/Careers_Site",
            {"token": "acme.wd1/Careers_Site", "tenant": "acme", "dc": "wd1", "site": "Careers_Site"},
        ),
        ("smartrecruiters:WesternDigital", "smartrecruiters", "WesternDigital", {"token": "WesternDigital"}),
        ("workable:huggingface", "workable", "huggingface", {"token": "huggingface"}),
        ("recruitee:Espeo", "recruitee", "espeo", {"token": "espeo"}),
        ("personio:acme-gmbh", "personio", "acme-gmbh", {"token": "acme-gmbh"}),
        (
            "jsonld:https://careers.acme.example/jobs/123?lang=en",
            "jsonld",
            "https://careers.acme.example/jobs/123?lang=en",
            {"token": "https://careers.acme.example/jobs/123?lang=en"},
        ),
    ],
)
def test_parse_board_token(text: str, source: str, token: str, parts: dict[str, str]) -> None:
    ref = parse_board_token(text)
    assert (ref.source, ref.token, ref.parts) == (source, token, parts)
    assert ref.key == f"{source}:{token}"
    assert parse_board_token(ref.key) == ref


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stripe", "SOURCE:TOKEN"),
        ("", "SOURCE:TOKEN"),
        ("taleo:acme", "unknown board source 'taleo'"),
        ("greenhouse:", "no token"),
        ("greenhouse:  ", "no token"),
        ("greenhouse:acme corp", "only letters, digits"),
        ("lever:../etc", "only letters, digits"),
        ("workday:acme/External", "workday:TENANT.wdN/SITE"),
        ("workday:acme.wd5", "workday:TENANT.wdN/SITE"),
        ("workday:acme.xx5/External", "workday:TENANT.wdN/SITE"),
        ("recruitee:acme_co", "letters, digits and '-'"),
        ("jsonld:ftp://acme.example/jobs", "http(s) URL"),
        ("jsonld:careers page", "http(s) URL"),
    ],
)
def test_malformed_board_tokens_are_bad_input(text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_board_token(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_board_refs_compare_and_hash_by_source_and_token() -> None:
    a = parse_board_token("greenhouse:stripe")
    b = BoardRef("greenhouse", "stripe", {"token": "other"})
    assert a == b
    assert len({a, b}) == 1
    assert a.family == "greenhouse"
    assert parse_board_token("lever-eu:acme").family == "lever"


@pytest.mark.parametrize(
    ("template", "token", "expected"),
    [
        ("https://boards-api.greenhouse.io", "greenhouse:stripe", "https://boards-api.greenhouse.io"),
        ("http://127.0.0.1:8123/greenhouse/", "greenhouse:stripe", "http://127.0.0.1:8123/greenhouse"),
        ("https://{tenant}.{dc}.myworkdayjobs.com", "workday:acme.wd5/External", "https://acme.wd5.myworkdayjobs.com"),
        ("http://127.0.0.1:9000/{tenant}/{site}", "workday:acme.wd5/External", "http://127.0.0.1:9000/acme/External"),
        ("https://{token}.recruitee.com", "recruitee:espeo", "https://espeo.recruitee.com"),
        ("http://localhost/{site}", "lever:acme", "http://localhost/acme"),
    ],
)
def test_fill_template(template: str, token: str, expected: str) -> None:
    assert fill_template(template, parse_board_token(token)) == expected


def test_fill_template_encodes_values() -> None:
    assert fill_template("http://x/{token}", parse_board_token("workday:acme.wd5/External")) == (
        "http://x/acme.wd5%2FExternal"
    )


@pytest.mark.parametrize(
    ("template", "message"),
    [("https://{tenant}.example", "uses {tenant}"), ("https://{token.example", "not valid")],
)
def test_fill_template_refuses_what_the_board_cannot_fill(template: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        fill_template(template, parse_board_token("greenhouse:stripe"))
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://boards.greenhouse.io/stripe", "greenhouse:stripe"),
        ("https://boards.greenhouse.io/stripe/jobs/8026689?gh_src=abc", "greenhouse:stripe"),
        ("https://job-boards.greenhouse.io/anthropic/jobs/5311686008", "greenhouse:anthropic"),
        ("https://job-boards.eu.greenhouse.io/acme/jobs/1", "greenhouse:acme"),
        ("https://boards-api.greenhouse.io/v1/boards/vercel/jobs?content=true", "greenhouse:vercel"),
        ("https://boards.greenhouse.io/embed/job_board?for=databricks", "greenhouse:databricks"),
        ("https://boards.greenhouse.io/embed/job_app?for=amplitude&token=8636903002", "greenhouse:amplitude"),
        ("https://job-boards.greenhouse.io/embed/job_board?for=honeycomb&b=x", "greenhouse:honeycomb"),
        ("boards.greenhouse.io/stripe", "greenhouse:stripe"),
        ("https://jobs.lever.co/leverdemo", "lever:leverdemo"),
        ("https://jobs.lever.co/palantir/ac978161-6f46-4f6b-ad9e-a258e642751c/apply", "lever:palantir"),
        ("https://jobs.eu.lever.co/acme/123", "lever-eu:acme"),
        ("https://api.lever.co/v0/postings/spotify?mode=json", "lever:spotify"),
        ("https://api.eu.lever.co/v0/postings/acme", "lever-eu:acme"),
        ("https://jobs.ashbyhq.com/ramp", "ashby:ramp"),
        ("https://jobs.ashbyhq.com/HighlightTA/90fb3621-899e-4b59-925d-25080ec91e18", "ashby:HighlightTA"),
        ("https://api.ashbyhq.com/posting-api/job-board/cursor?includeCompensation=true", "ashby:cursor"),
        ("HTTPS://WWW.Jobs.Lever.co/acme", "lever:acme"),
        (
            "https://gdit.wd5.myworkdayjobs.com/External_Career_Site/job/USA-DC-Washington/Data-Engineer_RQ216675",
            "workday:gdit.wd5/External_Career_Site",
        ),
        ("https://acme.wd1.myworkdayjobs.com/en-US/External", "workday:acme.wd1/External"),
        (
            "https://Acme.WD12.myworkdayjobs.com/fr-FR/Careers_Site/details/Engineer_R1?q=x",
            "workday:acme.wd12/Careers_Site",
        ),
        ("https://acme.wd5.myworkdayjobs.com/wday/cxs/acme/External/jobs", "workday:acme.wd5/External"),
        ("https://wd3.myworkdaysite.com/en-US/recruiting/acme/Careers", "workday:acme.wd3/Careers"),
        ("https://jobs.smartrecruiters.com/WesternDigital/744000140949875-summer", "smartrecruiters:WesternDigital"),
        ("https://careers.smartrecruiters.com/Acme", "smartrecruiters:Acme"),
        ("https://api.smartrecruiters.com/v1/companies/hirevue/postings?limit=100", "smartrecruiters:hirevue"),
        ("https://jobs.smartrecruiters.com/oneclick-ui/company/Acme/publication/x", "smartrecruiters:Acme"),
        ("https://apply.workable.com/huggingface/", "workable:huggingface"),
        ("https://apply.workable.com/huggingface/j/F4C096B22E", "workable:huggingface"),
        ("https://acme.workable.com", "workable:acme"),
        ("https://apply.workable.com/api/v1/widget/accounts/crewai?details=true", "workable:crewai"),
        ("https://www.workable.com/api/accounts/acme", "workable:acme"),
        ("https://espeo.recruitee.com/o/project-manager-1", "recruitee:espeo"),
        ("https://Acme-GmbH.jobs.personio.de/job/1834171?language=en", "personio:acme-gmbh"),
        ("https://acme.jobs.personio.com/", "personio:acme"),
    ],
)
def test_board_ref_from_url(url: str, key: str) -> None:
    ref = board_ref_from_url(url)
    assert ref is not None
    assert ref.key == key


@pytest.mark.parametrize(
    "url",
    [
        "https://stripe.com/jobs/search?gh_jid=8026689",
        "https://databricks.com/company/careers/open-positions/job?gh_jid=1",
        "https://boards.greenhouse.io/",
        "https://boards.greenhouse.io/embed/job_board",
        "https://boards-api.greenhouse.io/v1/boards",
        "https://api.lever.co/v0/",
        "https://api.ashbyhq.com/posting-api/",
        "ftp://jobs.lever.co/acme",
        "javascript:alert(1)",
        "",
        "not a url at all",
        "https://[::1",
        "https://acme.wd5.myworkdayjobs.com/",
        "https://acme.wd5.myworkdayjobs.com/en-US",
        "https://myworkdayjobs.com/External",
        "https://wd3.myworkdaysite.com/en-US/other/acme",
        "https://api.smartrecruiters.com/v1/",
        "https://jobs.smartrecruiters.com/",
        "https://apply.workable.com/j/F4C096B22E",
        "https://jobs.workable.com/view/abc",
        "https://www.recruitee.com/",
        "https://app.recruitee.com/",
        "https://jobs.personio.de/",
        "https://acme.personio.de/",
    ],
)
def test_urls_that_name_no_board(url: str) -> None:
    assert board_ref_from_url(url) is None


def test_resolve_board_takes_tokens_and_urls() -> None:
    assert resolve_board("greenhouse:stripe").key == "greenhouse:stripe"
    assert resolve_board("https://jobs.lever.co/acme/1").key == "lever:acme"
    with pytest.raises(BadInput, match="neither a board token"):
        resolve_board("https://example.com/careers")
    with pytest.raises(BadInput):
        resolve_board("greenhouse:")


def test_board_from_urls_takes_the_first_board_of_the_family() -> None:
    urls = [
        None,
        "https://stripe.com/jobs?gh_jid=1",
        "https://jobs.lever.co/x/1",
        "https://boards.greenhouse.io/acme/jobs/2",
    ]
    assert board_from_urls(urls, "greenhouse") == "acme"
    assert board_from_urls(urls, "lever") == "x"
    assert board_from_urls(["https://jobs.eu.lever.co/eu/1"], "lever") == "eu"
    assert board_from_urls([], "ashby") is None
    assert board_from_urls(["https://acme.recruitee.com/o/x"], "recruitee") == "acme"
    assert board_from_urls(["https://acme.wd5.myworkdayjobs.com/External/job/x"], "workday") == "acme.wd5/External"


def test_board_argument() -> None:
    assert board_argument(None, "greenhouse") is None
    assert board_argument("stripe", "greenhouse") == "stripe"
    assert board_argument("greenhouse:stripe", "greenhouse") == "stripe"
    assert board_argument("lever-eu:acme", "lever") == "acme"
    with pytest.raises(BadInput, match="belongs to lever"):
        board_argument("lever:acme", "greenhouse")
    with pytest.raises(BadInput):
        board_argument("  ", "greenhouse")

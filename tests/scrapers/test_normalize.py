"""The shared field normalizers (jobwatch.core.normalize): text, HTML, URLs, dates, places, types, pay."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobwatch.core.normalize import (
    clean_text,
    clean_url,
    country_code,
    detect_workplace,
    html_to_text,
    normalize_employment_type,
    normalize_salary_period,
    parse_amount,
    parse_datetime,
    parse_location,
    parse_salary,
    plain_to_html,
    sanitize_html,
    split_locations,
)
from jobwatch.core.postings import Location, Salary

TAG = re.compile(r"<[A-Za-z/!][^>]*>")
ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#\d+|#x[0-9A-Fa-f]+);")

# --- text -----------------------------------------------------------------------------------------


def test_b05_title_entities_are_decoded_once() -> None:
    assert clean_text("Senior Health &amp; Protection Consultant") == "Senior Health & Protection Consultant"


def test_b05_double_escaped_content_is_unescaped_then_parsed() -> None:
    content = "&lt;p&gt;Health &amp;amp; Safety&lt;/p&gt;"
    assert html_to_text(sanitize_html(html.unescape(content))) == "Health & Safety"


def test_decoding_happens_once_not_in_a_loop() -> None:
    # An author who really typed "&amp;" keeps it visible after the single decode.
    assert clean_text("AT&amp;amp;T") == "AT&amp;T"


def test_b16_markup_in_a_title_becomes_inert_text() -> None:
    title = '<a href="https://evil.example">Senior Engineer</a><img src=x onerror=alert(1)>'
    assert clean_text(title) == "Senior Engineer"


def test_escaped_markup_in_a_title_is_removed_too() -> None:
    assert clean_text("&lt;b&gt;New&lt;/b&gt; Role") == "New Role"


def test_script_content_is_dropped_from_titles() -> None:
    assert clean_text('Engineer <script>alert("x")</script>') == "Engineer"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Security Engineer,   Cloud \n", "Security Engineer, Cloud"),
        ("R&D Lead, M&A", "R&D Lead, M&A"),
        ("a < b", "a < b"),
        ("C++ / C# Developer", "C++ / C# Developer"),
        ("Zero\u200bwidth\u00a0space", "Zerowidth space"),
        (None, ""),
        ("", ""),
    ],
)
def test_clean_text(raw: str | None, expected: str) -> None:
    assert clean_text(raw) == expected


def test_html_to_text_separates_blocks_and_list_items() -> None:
    markup = (
        "<div><h2>About</h2><p>We&nbsp;build <b>things</b>.</p>"
        "<ul><li><p>One</p></li><li>Two</li></ul><script>alert(1)</script><p>Bye<br>now</p></div>"
    )
    assert html_to_text(markup) == "About\n\nWe build things.\n\n- One\n- Two\n\nBye\nnow"


def test_html_to_text_of_nothing_is_none() -> None:
    assert html_to_text(None) is None
    assert html_to_text("<p> </p><br>") is None


def test_sanitize_html_removes_active_content_and_keeps_formatting() -> None:
    dirty = (
        '<p onclick="steal()" style="color:red">Hello <b>world</b></p>'
        '<script>alert(1)</script><style>p{}</style><iframe src="https://evil.example"></iframe>'
        '<a href="javascript:alert(1)">js</a> <a href="https://ok.example/a">ok</a> '
        '<a href="mailto:jobs@acme.example">mail</a> <a href="/relative">rel</a><img src="https://t.example/p.gif">'
    )
    clean = sanitize_html(dirty)
    assert clean is not None
    assert "<b>world</b>" in clean
    assert 'href="https://ok.example/a"' in clean
    assert 'href="mailto:jobs@acme.example"' in clean
    for bad in ("onclick", "style=", "<script", "alert(1)", "<style", "<iframe", "javascript:", "/relative", "<img"):
        assert bad not in clean


def test_sanitize_html_of_empty_markup_is_none() -> None:
    assert sanitize_html("<script>x</script>") is None
    assert sanitize_html("   ") is None
    assert sanitize_html(None) is None


def test_plain_to_html_escapes() -> None:
    assert plain_to_html("A & B\nC\n\nD <x>") == "<p>A &amp; B<br>C</p><p>D &lt;x&gt;</p>"


@given(st.text(alphabet=st.characters(exclude_characters="<&", exclude_categories=["Cs"])))
def test_escaped_plain_text_comes_back_as_itself(text: str) -> None:
    expected = " ".join(clean_text(text).split())
    assert clean_text(html.escape(text)) == expected


@given(st.text())
def test_sanitized_html_is_never_active(markup: str) -> None:
    clean = sanitize_html(markup + '<script>x()</script><a href="javascript:x()" onmouseover="y()">a</a>')
    assert clean is not None
    assert "<script" not in clean.lower()
    assert "javascript:" not in clean.lower()
    assert "onmouseover" not in clean.lower()


@given(st.text())
def test_clean_text_is_one_trimmed_line_without_markup(text: str) -> None:
    for candidate in (text, html.escape(text), f"<b>{text}</b>", f"&lt;script&gt;{text}&lt;/script&gt;"):
        result = clean_text(candidate)
        assert result == result.strip()
        assert "\n" not in result
        assert not re.search(r"</?(?:script|a|img|b|p|div|span)(?:\s[^<>]*)?/?>", result, re.IGNORECASE)
    html_to_text(text)


# --- URLs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # Field case B07: the same Lever posting behind two tracking links.
        ("https://jobs.lever.co/acme/5f3c?lever-source=LinkedIn", "https://jobs.lever.co/acme/5f3c"),
        ("https://jobs.lever.co/acme/5f3c/?utm_source=newsletter", "https://jobs.lever.co/acme/5f3c/"),
        (
            "https://stripe.com/jobs/search?gh_jid=8026689&gh_src=abc&utm_medium=x&utm_campaign=y#apply",
            "https://stripe.com/jobs/search?gh_jid=8026689",
        ),
        ("https://a.example/p?lever-origin=applied&ref=hn&src=x&source=y&keep=1", "https://a.example/p?keep=1"),
        ("HTTPS://Boards.Greenhouse.IO/Acme/jobs/1?Ref=x&b=%20c", "https://boards.greenhouse.io/Acme/jobs/1?b=%20c"),
        ("http://acme.example/jobs/1", "http://acme.example/jobs/1"),
        ("javascript:alert(1)", None),
        ("JavaScript:alert(1)", None),
        ("mailto:jobs@acme.example", None),
        ("//acme.example/jobs/1", None),
        ("/jobs/1", None),
        ("https://", None),
        ("https://acme.example/a b", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_url(url: str | None, expected: str | None) -> None:
    assert clean_url(url) == expected


@given(st.text())
def test_clean_url_keeps_only_http_and_is_idempotent(url: str) -> None:
    cleaned = clean_url(url)
    if cleaned is not None:
        assert cleaned.startswith(("http://", "https://"))
        assert "#" not in cleaned
        assert clean_url(cleaned) == cleaned


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-07-14T18:35:00-04:00", datetime(2026, 7, 14, 22, 35, tzinfo=UTC)),
        ("2024-03-04T14:29:08.532+00:00", datetime(2024, 3, 4, 14, 29, 8, 532000, tzinfo=UTC)),
        ("2025-01-01T00:00:00Z", datetime(2025, 1, 1, tzinfo=UTC)),
        ("2025-01-01T10:00:00", datetime(2025, 1, 1, 10, tzinfo=UTC)),
        ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
        ("2024-01-01 12:00:00 UTC", datetime(2024, 1, 1, 12, tzinfo=UTC)),
        ("Tue, 10 Jun 2025 12:00:00 GMT", datetime(2025, 6, 10, 12, tzinfo=UTC)),
        (1711403416463, datetime(2024, 3, 25, 21, 50, 16, 463000, tzinfo=UTC)),
        ("1711403416463", datetime(2024, 3, 25, 21, 50, 16, 463000, tzinfo=UTC)),
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ("2024", None),
        (2024, None),
        ("Posted Today", None),
        ("not a date", None),
        ("", None),
        (None, None),
        (True, None),
        (0, None),
    ],
)
def test_parse_datetime(value: object, expected: datetime | None) -> None:
    parsed = parse_datetime(value)
    assert parsed == expected
    if parsed is not None:
        assert parsed.tzinfo is UTC


@given(st.one_of(st.text(), st.integers(), st.floats()))
def test_parse_datetime_never_raises(value: object) -> None:
    parsed = parse_datetime(value)
    assert parsed is None or parsed.tzinfo is UTC


# --- places ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "city", "region", "country"),
    [
        ("San Francisco, CA", "San Francisco", "CA", "US"),
        ("New York City, NY", "New York City", "NY", "US"),
        ("Washington, D.C.", "Washington", "DC", "US"),
        ("New York, NY (HQ)", "New York", "NY", "US"),
        ("Atlanta, Texas", "Atlanta", "Texas", "US"),
        ("London, UK", "London", None, "GB"),
        ("London, United Kingdom", "London", None, "GB"),
        ("London, England, United Kingdom", "London", "England", "GB"),
        ("Portugal, Lisbon", "Lisbon", None, "PT"),
        ("Portugal - Lisbon", "Lisbon", None, "PT"),
        ("UK, London", "London", None, "GB"),
        ("Sydney, New South Wales, Australia", "Sydney", "New South Wales", "AU"),
        ("Toronto, Ontario", "Toronto", "Ontario", "CA"),
        ("Toronto, ON", "Toronto", "ON", "CA"),
        ("Ontario, CAN", None, "Ontario", "CA"),
        ("British Columbia, CA", None, "British Columbia", "CA"),
        ("Zürich, CH", "Zürich", None, "CH"),
        ("Dublin, IE", "Dublin", None, "IE"),
        ("Tokyo, Japan", "Tokyo", None, "JP"),
        ("Seoul, South Korea", "Seoul", None, "KR"),
        ("Berlin, DE", "Berlin", None, "DE"),
        ("Munich, DE", "Munich", None, "DE"),
        ("Tel Aviv, IL", "Tel Aviv", None, "IL"),
        ("Chicago, IL", "Chicago", "IL", "US"),
        ("Remote - US", None, None, "US"),
        ("Remote (US)", None, None, "US"),
        ("Remote: United States", None, None, "US"),
        ("Remote U.S.", None, None, "US"),
        ("United States - Remote", None, None, "US"),
        ("Remote-India (PEO)", None, None, "IN"),
        ("US-Remote", None, None, "US"),
        ("US-San Francisco", "San Francisco", None, "US"),
        ("US-Texas", None, "Texas", "US"),
        ("Remote-Friendly, United States", None, None, "US"),
        ("Japan", None, None, "JP"),
        ("Singapore", None, None, "SG"),
        ("Texas", None, "Texas", "US"),
        # A lone major city takes its country from the curated table; other lone cities stay unknown.
        ("London", "London", None, "GB"),
        ("Hybrid - Sydney", "Sydney", None, "AU"),
        ("Portland", "Portland", None, None),
        ("SF / NY", None, None, "US"),
        ("Berlin / Munich", None, None, "DE"),
        ("London / Berlin", None, None, None),
        # Never invented: ambiguous or unknown parts stay empty.
        ("Wilmington, DE", "Wilmington", "DE", None),
        ("Tbilisi, Georgia", "Tbilisi", "Georgia", None),
        ("CA", None, None, None),
        ("Remote", None, None, None),
        ("EMEA", None, None, None),
        ("Remote - European Union", None, None, None),
        ("Remote-Friendly (Travel-Required)", None, None, None),
        ("SF / NY / Remote", None, None, "US"),
        ("London, Berlin", "London", None, None),
    ],
)
def test_parse_location(raw: str, city: str | None, region: str | None, country: str | None) -> None:
    assert parse_location(raw) == Location(raw=raw, city=city, region=region, country=country)


def test_parse_location_uses_the_sources_country_field() -> None:
    assert parse_location("Bombay, MH", country="IN") == Location("Bombay, MH", "Bombay", "MH", "IN")
    assert parse_location("Bangalore, IN", country="IN").country == "IN"
    assert parse_location("Atlanta, Georgia", country="US").country == "US"
    assert parse_location("London", country="gb").country == "GB"
    # A country the text names explicitly wins over the field.
    assert parse_location("Remote - Canada", country="US").country == "CA"


def test_parse_location_cleans_raw() -> None:
    assert parse_location("  Paris,&nbsp;France ").raw == "Paris, France"


@given(st.text())
def test_parse_location_never_raises(raw: str) -> None:
    location = parse_location(raw)
    assert location.country is None or re.fullmatch(r"[A-Z]{2}", location.country)


@pytest.mark.parametrize(
    ("raw", "places"),
    [
        ("San Francisco, CA", ["San Francisco, CA"]),
        (
            "San Francisco, CA | New York City, NY; Seattle, WA",
            ["San Francisco, CA", "New York City, NY", "Seattle, WA"],
        ),
        ("SF, NYC, SEA, CHI", ["SF", "NYC", "SEA", "CHI"]),
        (
            "US-Remote, US-San Francisco, US-Chicago, US-New York, US-Seattle, US-Texas",
            ["US-Remote", "US-San Francisco", "US-Chicago", "US-New York", "US-Seattle", "US-Texas"],
        ),
        ("Toronto, New York, San Francisco", ["Toronto", "New York", "San Francisco"]),
        (
            "San Francisco, CA, New York City, NY, Seattle, WA",
            ["San Francisco, CA", "New York City, NY", "Seattle, WA"],
        ),
        ("Sydney, New South Wales, Australia", ["Sydney, New South Wales, Australia"]),
        ("New York, NY or San Francisco, CA", ["New York, NY", "San Francisco, CA"]),
        ("Toronto / Vancouver", ["Toronto", "Vancouver"]),
        ("Berlin / Remote", ["Berlin"]),
        ("Remote / Hybrid", ["Remote", "Hybrid"]),
        ("Portugal, Lisbon", ["Portugal, Lisbon"]),
        ("Remote - United States", ["Remote - United States"]),
        ("Hybrid - San Francisco, New York City, Austin", ["San Francisco", "New York City", "Austin"]),
        ("Hybrid - London, Berlin", ["London", "Berlin"]),
        (
            "London, UK; Ontario, CAN; Remote-Friendly, United States; San Francisco, CA",
            ["London, UK", "Ontario, CAN", "Remote-Friendly, United States", "San Francisco, CA"],
        ),
        (
            "New York City, NY; San Francisco, CA | New York City, NY",
            ["New York City, NY", "San Francisco, CA"],
        ),
        ("Zürich, CH", ["Zürich, CH"]),
        ("Washington, DC", ["Washington, DC"]),
        ("", []),
        (None, []),
        (" ; | ", []),
    ],
)
def test_split_locations(raw: str | None, places: list[str]) -> None:
    assert split_locations(raw) == places


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("US", "US"),
        ("USA", "US"),
        ("U.S.", "US"),
        ("UK", "GB"),
        ("CAN", "CA"),
        ("United States", "US"),
        ("United Kingdom", "GB"),
        ("South Korea", "KR"),
        ("Türkiye", "TR"),
        ("The Netherlands", "NL"),
        ("Côte d'Ivoire", "CI"),
        ("in", None),
        ("to", None),
        ("Atlantis", None),
        ("", None),
        (None, None),
    ],
)
def test_country_code(code: str | None, expected: str | None) -> None:
    assert country_code(code) == expected


# --- workplace, employment type -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("remote",), "remote"),
        (("OnSite",), "onsite"),
        (("onsite",), "onsite"),
        (("On-Site",), "onsite"),
        (("Hybrid (Travel-Required)",), "hybrid"),
        (("Remote-Friendly (Travel-Required) | San Francisco, CA",), "remote"),
        (("On-Site", "Remote-Friendly | San Francisco, CA"), "remote"),
        (("Hybrid - London",), "hybrid"),
        (("unspecified",), None),
        (("San Francisco, CA",), None),
        ((None, ""), None),
        ((), None),
    ],
)
def test_detect_workplace(texts: tuple[str | None, ...], expected: str | None) -> None:
    assert detect_workplace(*texts) == expected


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("FullTime", "full_time"),
        ("Full-time", "full_time"),
        ("full_time", "full_time"),
        ("Full Time", "full_time"),
        ("Regular Full Time (Salary)", "full_time"),
        ("Part Time", "part_time"),
        ("PartTime", "part_time"),
        ("part-time", "part_time"),
        ("Contract", "contract"),
        ("Contractor", "contract"),
        ("Intern", "internship"),
        ("Internship", "internship"),
        ("Internship (Full-Time)", "internship"),
        ("Temporary", "temporary"),
        ("Fixed-term", "temporary"),
        ("Permanent", None),
        ("Regular", None),
        ("Apprenticeship", None),
        ("International", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_employment_type(label: str | None, expected: str | None) -> None:
    assert normalize_employment_type(label) == expected


# --- pay ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "expected"),
    [
        ("per-year-salary", "year"),
        ("per-month-salary", "month"),
        ("per-week-salary", "week"),
        ("per-day-wage", "day"),
        ("per-hour-wage", "hour"),
        ("1 YEAR", "year"),
        ("1 HOUR", "hour"),
        ("Annual", "year"),
        ("hourly", "hour"),
        ("one-time", None),
        ("2 WEEK", None),
        (None, None),
    ],
)
def test_normalize_salary_period(interval: str | None, expected: str | None) -> None:
    assert normalize_salary_period(interval) == expected


def test_parse_salary() -> None:
    assert parse_salary(50000, 70000, "USD", "per-year-salary") == Salary(50000, 70000, "USD", "year")
    assert parse_salary("60,000", None, "eur", "1 YEAR") == Salary(60000, None, "EUR", "year")
    assert parse_salary(90, 60, "GBP", "hourly") == Salary(60, 90, "GBP", "hour")
    assert parse_salary(20.5, None, "USD", None, default_period="hour") == Salary(20.5, None, "USD", "hour")


@pytest.mark.parametrize(
    ("minimum", "maximum", "currency", "period"),
    [
        (None, None, "USD", "year"),
        (0, 0, "USD", "year"),
        (1, 2, "ZZZ", "year"),
        (1, 2, None, "year"),
        (1, 2, "USD", "one-time"),
        (1, 2, "USD", None),
        ("lots", None, "USD", "year"),
    ],
)
def test_parse_salary_gives_none_when_unusable(
    minimum: object, maximum: object, currency: object, period: object
) -> None:
    assert parse_salary(minimum, maximum, currency, period) is None


def test_parse_amount() -> None:
    assert parse_amount("60000") == 60000
    assert isinstance(parse_amount(60000.0), int)
    assert parse_amount(12.5) == 12.5
    assert parse_amount(True) is None
    assert parse_amount(-5) is None
    assert parse_amount(float("nan")) is None

"""The operator documentation stays true to the code: every setting documented with its real default, every
metric explained, every document linked from the README."""

from __future__ import annotations

import re

import pytest

import jobwatch.metrics
from jobwatch.config import PROJECT_DIR, Settings

DOCS = PROJECT_DIR / "docs"
CONFIGURATION = DOCS / "configuration.md"
#: Rows of a Markdown table whose first cell is one or more backticked names.
_ROW = re.compile(r"^\|\s*(`[^|]+`)\s*\|\s*([^|]*)\|", re.MULTILINE)


def _setting_rows() -> dict[str, str]:
    """`NAME -> default cell` for every row of the configuration tables (a cell may name several settings)."""
    rows: dict[str, str] = {}
    for names, default in _ROW.findall(CONFIGURATION.read_text()):
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", names):
            rows[name] = default.strip()
    return rows


def test_every_setting_is_documented() -> None:
    documented = _setting_rows()
    missing = sorted(name.upper() for name in Settings.model_fields if name.upper() not in documented)
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_no_documented_jobwatch_setting_is_stale() -> None:
    text = CONFIGURATION.read_text()
    settings_part = text.split("## Variables read by the scripts")[0]
    documented = set()
    for names, _default in _ROW.findall(settings_part):
        documented |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", names))
    stale = sorted(documented - {name.upper() for name in Settings.model_fields})
    assert not stale, f"docs/configuration.md documents settings that do not exist: {stale}"


def _shown(value: object) -> str | None:
    """How a simple default is written in the docs (`true`, `2`, `0.5`, text), or None for other values."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int | str) and value != "":
        return str(value)
    return None


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_documented_defaults_match_the_code(name: str) -> None:
    field = Settings.model_fields[name]
    cell = _setting_rows().get(name.upper())
    if cell is None:
        pytest.fail(f"{name.upper()} is not documented")
    default = field.default
    if default is None or default == "":
        assert cell.startswith(("unset", "empty")), f"{name.upper()}: the default is unset, the docs say {cell!r}"
        return
    shown = _shown(default)
    if shown is not None:
        assert f"`{shown}`" in cell, f"{name.upper()}: the default is {shown!r}, the docs say {cell!r}"


def test_every_metric_is_explained_in_the_runbook() -> None:
    names = set(re.findall(r"`(jobwatch_[a-z_]+)`", jobwatch.metrics.__doc__ or ""))
    assert len(names) > 15
    runbook = (DOCS / "runbook.md").read_text()
    missing = sorted(n for n in names if n not in runbook)
    assert not missing, f"metrics not in docs/runbook.md: {missing}"


def test_the_readme_links_every_document() -> None:
    readme = (PROJECT_DIR / "README.md").read_text()
    for doc in ("configuration.md", "deployment.md", "runbook.md"):
        assert (DOCS / doc).exists()
        assert f"(docs/{doc})" in readme, f"README does not link docs/{doc}"
    # Relative links between the documents point at files that exist.
    for doc in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", doc.read_text()):
            assert (doc.parent / target).resolve().exists(), f"{doc.name} links to missing {target}"


def test_the_audit_command_is_documented() -> None:
    text = (DOCS / "deployment.md").read_text() + (DOCS / "runbook.md").read_text()
    assert "pip-audit" in text

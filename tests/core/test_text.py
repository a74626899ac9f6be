"""Folding and tokens (CONTRACT section 3, "Folding" and "Tokens")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobwatch.core.text import fold, fold_key, tokenize, tokenize_folded


def reference_tokens(folded: str) -> list[str]:
    """CONTRACT's token rule, character by character, as a yardstick for the regex in text.py."""
    tokens: list[str] = []
    i, n = 0, len(folded)
    while i < n:
        if not folded[i].isalnum():
            i += 1
            continue
        start = i
        if i > 0 and folded[i - 1] == "." and (i == 1 or not folded[i - 2].isalnum()):
            start = i - 1
        while i < n and folded[i].isalnum():
            i += 1
        end = i
        while end < n and folded[end] in "+#":
            end += 1
        if end > i and not (end < n and folded[end].isalnum()):
            i = end
        tokens.append(folded[start:i])
    return tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Every example CONTRACT section 3 gives.
        ("C#/.NET", ["c#", ".net"]),
        (" .NET", [".net"]),
        ("Node.js", ["node", "js"]),
        ("e.g.", ["e", "g"]),
        ("3.5", ["3", "5"]),
        ("C++.", ["c++"]),
        ("C++", ["c++"]),
        ("C#", ["c#"]),
        ("Python+Django", ["python", "django"]),
        ("ASP.NET", ["asp", "net"]),
        ("Machine-Learning", ["machine", "learning"]),
        # Field case B10's texts.
        ("C++ Engineer", ["c++", "engineer"]),
        ("Senior C# / .NET Developer", ["senior", "c#", ".net", "developer"]),
        ("Embedded C Developer", ["embedded", "c", "developer"]),
        ("Experience with C++.", ["experience", "with", "c++"]),
        # `_` separates; a run of `+`/`#` followed by a letter or digit belongs to neither side.
        ("snake_case", ["snake", "case"]),
        ("C++11", ["c", "11"]),
        ("C#+x", ["c", "x"]),
        ("C#.NET", ["c#", ".net"]),
        ("..NET", [".net"]),
        ("a.b", ["a", "b"]),
        ("...", []),
        ("", []),
        ("+#", []),
        ("Zürich, Île-de-France", ["zurich", "ile", "de", "france"]),
        ("日本語のテキスト", ["日本語のテキスト"]),
    ],
)
def test_tokenize_examples(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zürich", "zurich"),
        ("ZURICH", "zurich"),
        ("zurich", "zurich"),
        ("Straße", "strasse"),
        ("ＡＢＣ１", "abc1"),
        ("Crème Brûlée", "creme brulee"),
        ("ǅ", "dz"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold_examples(text: str, expected: str) -> None:
    assert fold(text) == expected


def test_fold_key_trims_and_collapses_whitespace() -> None:
    assert fold_key("  Acme \t Corp\n") == "acme corp"


_TOKEN_ALPHABET = "aAbZé0 9.+#_-/ü\u0301日"


@given(st.text(alphabet=_TOKEN_ALPHABET, max_size=30))
def test_tokenize_agrees_with_reference(text: str) -> None:
    assert tokenize(text) == reference_tokens(fold(text))
    assert tokenize_folded(fold(text)) == tokenize(text)


@given(st.text(max_size=40))
def test_tokenize_agrees_with_reference_on_any_text(text: str) -> None:
    assert tokenize(text) == reference_tokens(fold(text))


@given(st.text(max_size=40))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


# ASCII with every character the fast path treats specially, and non-ASCII punctuation (curly quotes,
# dashes, no-break space, bullets) that it maps to spaces when the text has no non-ASCII letter.
_FAST_PATH_ALPHABET = "aZx09 .+#_-/,:()\n\u2019\u2013\u00a0\u2022"


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_FAST_PATH_ALPHABET, max_size=40))
def test_fast_path_agrees_with_reference(text: str) -> None:
    assert tokenize(text) == reference_tokens(fold(text))

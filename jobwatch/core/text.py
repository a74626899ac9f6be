"""Text folding and tokens: the one way jobwatch compares words (CONTRACT section 3, "Folding" and "Tokens").

Every comparison of user-typed words with posting text goes through :func:`fold` and :func:`tokenize`, so
alerts, the live preview and `jobwatch match` agree on what "occurs" means. Both run on descriptions of
several KB for every ingested posting, so they are built on C-level primitives (``unicodedata``, ``re``,
``str.casefold``) instead of Python loops over characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["fold", "fold_key", "tokenize", "tokenize_folded"]

# A letter or digit is what `str.isalnum()` accepts; in a `str` pattern `\w` is exactly that plus `_`,
# so `[^\W_]` is "letter or digit" without the underscore, which CONTRACT makes a separator.
_ALNUM = r"[^\W_]"

# One token (CONTRACT section 3):
#   - an optional leading `.` when no letter/digit precedes it (".NET" in "C#/.NET", but not in "ASP.NET");
#   - a maximal run of letters and digits;
#   - the run of `+`/`#` right after it, only when no letter/digit follows that run ("C++", "C#", but
#     "Python+Django" is two tokens). The possessive `++` keeps the regex from giving back part of the
#     run ("C++x" must not become "c+" and "x").
_TOKEN_RE = re.compile(rf"(?:(?<!{_ALNUM})\.)?{_ALNUM}+(?:[+#]++(?!{_ALNUM}))?")


@lru_cache(maxsize=4096)
def _is_mark(char: str) -> bool:
    """Whether `char` is a Unicode mark (general category Mn, Mc or Me)."""
    # Spacing marks (Mc) go too, not only non-spacing ones, so that a word in an Indic script stays one
    # token instead of being split at every vowel sign.
    return unicodedata.category(char)[0] == "M"


def fold(text: str) -> str:
    """Fold `text` for comparison: Unicode NFKD, marks removed, then `str.casefold()` (CONTRACT section 3).

    "Zürich", "ZURICH" and "zurich" all fold to "zurich"; "Straße" folds to "strasse"; the fullwidth
    "ＡＢＣ" folds to "abc". Folding is idempotent: ``fold(fold(s)) == fold(s)``.
    """
    if text.isascii():
        # NFKD leaves ASCII unchanged and ASCII has no marks, so only the case needs folding.
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    # A text of several KB holds only a few distinct characters, so finding the marks among those and
    # deleting each with `str.replace` is several times faster than any per-character regex or translate.
    for char in set(decomposed):
        if not char.isascii() and _is_mark(char):
            decomposed = decomposed.replace(char, "")
    return decomposed.casefold()


def fold_key(text: str) -> str:
    """`fold(text)` with surrounding whitespace trimmed and inner runs of whitespace collapsed to one space.

    The form in which names (companies, departments, cities, regions, countries) are compared for equality,
    so that "Acme  Corp " equals "acme corp".
    """
    return " ".join(fold(text).split())


# The same rule over ASCII text, for the pieces the fast path below hands to a regex.
_ASCII_TOKEN_RE = re.compile(r"(?:(?<![a-z0-9])\.)?[a-z0-9]+(?:[+#]++(?![a-z0-9]))?")
# ASCII characters that are neither letters, digits nor one of `.+#` separate tokens whatever surrounds them.
_ASCII_SEPARATORS = "".join(chr(code) for code in range(128) if not chr(code).isalnum() and chr(code) not in ".+#")
# As a table for `bytes.translate`, which maps ASCII text about twice as fast as `str.translate` does.
_TO_SPACE = bytes(ord(" ") if chr(code) in _ASCII_SEPARATORS else code for code in range(256))
# From a `.`, `+` or `#` to the end of its space-delimited word: the only places needing the full rule.
_SPECIAL_RE = re.compile(r"[.+#][^ ]*")
# Whether some space-delimited word is not one whole token (`.`? letters and digits, then `+`/`#`s): a `.`
# that does not start its word or is not followed by a letter or digit, a `+`/`#` run that does not follow
# a letter or digit, or one followed by a letter, digit or `.`.
# (Every branch starts at the special character, so the regex engine skips to those quickly.)
_NOT_WHOLE_RE = re.compile(
    r"[.+#](?:(?<=[^ ]\.)|(?<=\.)(?![a-z0-9])|(?<=[+#])(?<![a-z0-9+#][+#])|(?<=[+#])(?=[a-z0-9.]))"
)
# A letter or digit outside ASCII (a word character that is neither ASCII nor `_`).
_NON_ASCII_ALNUM_RE = re.compile(r"[^\W_\x00-\x7f]")
_NON_ASCII_RE = re.compile(r"[^\x00-\x7f]+")


def _split_special(match: re.Match[str]) -> str:
    # `match` runs from the first `.`/`+`/`#` of a word to the word's end. The word, bounded by spaces, is
    # tokenized alone (the rule only looks at neighbouring characters, and a space is a separator either
    # side); its first token begins with the letters and digits before the match, which stay in the text.
    text, start = match.string, match.start()
    word_start = text.rfind(" ", 0, start) + 1
    tokens = _ASCII_TOKEN_RE.findall(text, word_start, match.end())
    if word_start == start:
        return " " + " ".join(tokens) + " "
    return tokens[0][start - word_start :] + " " + " ".join(tokens[1:]) + " "


def tokenize_folded(folded: str) -> list[str]:
    """The tokens of text that is already folded (see :func:`tokenize`); skips folding a second time."""
    if not folded.isascii():
        if _NON_ASCII_ALNUM_RE.search(folded):
            return _TOKEN_RE.findall(folded)
        # Curly quotes, dashes, bullets and the like separate tokens exactly as a space does.
        folded = _NON_ASCII_RE.sub(" ", folded)
    # Fast path, several times quicker than the regex on descriptions of a few KB: every separator becomes
    # a space and `str.split` cuts the tokens, in C. A `.` followed by a space or ending the text never
    # belongs to a token, and that is most of them; "C++", "C#", ".NET" and "5+" are whole words already.
    # Only when some word is not one whole token ("Node.js", "e.g", "C#.NET") do the words holding a `.`,
    # `+` or `#` go through the regex.
    text = folded.encode("ascii").translate(_TO_SPACE).decode("ascii").replace(". ", "  ").rstrip(".")
    if _has_split_word(text):
        text = _SPECIAL_RE.sub(_split_special, text)
    return text.split()


def _has_split_word(text: str) -> bool:
    """`_NOT_WHOLE_RE.search(text)`, tried only where a `.`, `+` or `#` stands: a description holds a few
    of them in several KB, and `str.find` reaches each far sooner than the regex's scan does."""
    for char in ".+#":
        position = text.find(char)
        while position != -1:
            # Anchored at `position`; the pattern's look-behinds still see the text before it.
            if _NOT_WHOLE_RE.match(text, position):
                return True
            position = text.find(char, position + 1)
    return False


def tokenize(text: str) -> list[str]:
    """The tokens of `fold(text)`, in order, per CONTRACT section 3 "Tokens".

    A token is a maximal run of letters and digits; trailing `+`/`#` characters belong to it when no letter
    or digit follows them, and a `.` belongs to it as its first character when no letter or digit precedes
    the `.`. Everything else, `_` and `-` included, separates tokens. Examples: "C#/.NET" -> ["c#", ".net"];
    "Node.js" -> ["node", "js"]; "e.g." -> ["e", "g"]; "3.5" -> ["3", "5"]; "C++." -> ["c++"];
    "Python+Django" -> ["python", "django"]; "ASP.NET" -> ["asp", "net"].
    """
    return tokenize_folded(fold(text))

"""Errors shared across layers.

JobwatchError
  +-- BadInput          input a user or operator gave is unusable (CLI exit code 2)
"""

from __future__ import annotations


class JobwatchError(Exception):
    """Base class of jobwatch's own errors."""


class BadInput(JobwatchError):
    """Input that cannot be used: an unreadable file, malformed JSON/XML, an unknown source, an invalid filter.

    `str(err)` is one line naming the file (and line, for JSON Lines) and what is wrong, as CONTRACT
    section 1 asks of the CLI's bad-input errors.
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")

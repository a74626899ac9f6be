"""Calling Reflex event handlers from tests the way Reflex's event processor does."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any


def call(handler: Any, state: Any, *args: Any) -> Any:
    """Run the event handler `handler` (a state class attribute) on `state` with `args` and return what it
    returns; a coroutine handler (one that runs its database work off the event loop) is run to the end."""
    result = handler.fn(state, *args)
    if inspect.iscoroutine(result):
        return asyncio.run(result)
    return result

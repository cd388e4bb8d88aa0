"""Waiting for a condition that real processes bring about, with a message that says what did not happen."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], object], timeout: float, what: str,
               detail: Callable[[], str] | None = None, interval: float = 0.1) -> None:
    """Poll `predicate` until it is truthy; after `timeout` seconds fail naming `what` (and `detail()`,
    e.g. a process's last output)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            extra = f"\n{detail()}" if detail is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{extra}")
        time.sleep(interval)

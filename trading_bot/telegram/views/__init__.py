"""One module per command family. A view is a plain function `(deps, request) -> Reply` that
reads through the project's repositories and services and formats HTML; `commands.py` runs it in a
worker thread (the database is synchronous) and sends the reply. Views hold no trading logic."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Request:
    args: list[str]
    actor: str  # telegram:<user id>
    is_admin: bool


@dataclass(frozen=True)
class Reply:
    text: str  # Telegram HTML
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, callback data): one row


class UsageError(ValueError):
    """Bad arguments; `str()` is the (plain text) explanation sent back."""


def whole_number(text: str, name: str, low: int, high: int) -> int:
    """Parse a user-typed whole number in [low, high]; UsageError otherwise (no int() surprises:
    '1_000', '٣' or ' 7 ' are not accepted)."""
    if not (text.isascii() and text.isdigit()):
        raise UsageError(f"{name} must be a whole number from {low} to {high}")
    if len(text) > 30:
        raise UsageError(f"{name} must be from {low} to {high} (got a {len(text)}-digit number)")
    value = int(text)
    if not low <= value <= high:
        raise UsageError(f"{name} must be from {low} to {high} (got {value})")
    return value

"""Field converters that survive OKX's habits: numbers as strings, `""` for "not applicable",
real booleans and ints where strings are documented, millisecond timestamps as strings."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from trading_bot.clock import from_ms


class ParseError(ValueError):
    """An OKX message does not have the shape we rely on (the caller logs it and moves on)."""


def _raw(item: Mapping[str, Any], key: str) -> Any:
    if key not in item:
        raise ParseError(f"field {key!r} is missing")
    return item[key]


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def dec(item: Mapping[str, Any], key: str) -> Decimal:
    """A required number; raises ParseError for `""`, null or text."""
    value = opt_dec(item, key)
    if value is None:
        raise ParseError(f"field {key!r} is empty")
    return value


def opt_dec(item: Mapping[str, Any], key: str, default: Decimal | None = None) -> Decimal | None:
    """A number that OKX may send as `""` (not applicable) or leave out: `None`/default then."""
    value = item.get(key)
    if is_blank(value):
        return default
    return to_decimal(value, key)


def to_decimal(value: Any, what: str = "value") -> Decimal:
    if isinstance(value, bool):
        raise ParseError(f"{what} is a boolean, expected a number")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ParseError(f"{what} {value!r} is not a number") from None
    if not result.is_finite():
        raise ParseError(f"{what} {value!r} is not a finite number")
    return result


def dec_or(item: Mapping[str, Any], key: str, default: Decimal) -> Decimal:
    """A number where `""`, a missing field and 0 all mean `default` (OKX's "not set")."""
    return opt_dec(item, key) or default


def dec_or_zero(item: Mapping[str, Any], key: str) -> Decimal:
    return dec_or(item, key, Decimal(0))


def ts(item: Mapping[str, Any], key: str) -> datetime:
    """A required millisecond timestamp (string or int)."""
    value = opt_ts(item, key)
    if value is None:
        raise ParseError(f"timestamp {key!r} is empty")
    return value


def opt_ts(item: Mapping[str, Any], key: str) -> datetime | None:
    value = item.get(key)
    if is_blank(value):
        return None
    return ms_to_datetime(value, key)


def ms_to_datetime(value: Any, what: str = "timestamp") -> datetime:
    try:
        millis = int(str(value).strip())
    except ValueError:
        raise ParseError(f"{what} {value!r} is not a millisecond timestamp") from None
    return from_ms(millis)


def text(item: Mapping[str, Any], key: str) -> str:
    value = _raw(item, key)
    if is_blank(value):
        raise ParseError(f"field {key!r} is empty")
    return str(value)


def opt_text(item: Mapping[str, Any], key: str) -> str | None:
    value = item.get(key)
    return None if is_blank(value) else str(value)


def flag(item: Mapping[str, Any], key: str, default: bool = False) -> bool:
    """OKX sends `"true"`/`"false"` strings in responses and real booleans elsewhere."""
    value = item.get(key)
    if is_blank(value):
        return default
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ParseError(f"field {key!r} = {value!r} is not a boolean")


def member[L: str](value: str, allowed: Collection[L]) -> L | None:
    """`value` as the allowed literal it equals (typed as that Literal), or None."""
    return next((option for option in allowed if option == value), None)


def one_of[L: str](item: Mapping[str, Any], key: str, allowed: Collection[L]) -> L:
    value = text(item, key)
    found = member(value, allowed)
    if found is None:
        raise ParseError(f"field {key!r} = {value!r} is not one of {sorted(allowed)}")
    return found

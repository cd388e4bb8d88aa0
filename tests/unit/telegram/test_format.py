"""Formatting: escaping makes outside text inert, numbers carry signs and units, long messages
split into valid parts under Telegram's limit (checked with the fake Bot API's own HTML parser)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.kit.fake_telegram import HtmlError, parse_html
from trading_bot.telegram.format import (
    MAX_MESSAGE,
    ago,
    duration,
    esc,
    number,
    pct,
    price,
    quote,
    split_message,
    table,
    usd,
    usdt,
)

HOSTILE = "<b>bold</b> & <script>x</script> `code` __under__ *star* </pre> &amp; <a href=\"javascript:x\">"


def test_escaped_text_is_shown_verbatim_and_opens_no_tag() -> None:
    assert parse_html(f"<b>{esc(HOSTILE)}</b>") == HOSTILE
    assert parse_html(quote(HOSTILE)) == HOSTILE


def test_raw_outside_text_would_be_rejected_by_telegram() -> None:
    with pytest.raises(HtmlError):
        parse_html(HOSTILE)


def test_quote_caps_long_text_and_says_how_much_was_cut() -> None:
    text = quote("x" * 1000, limit=100)
    assert text.startswith("x" * 100) and text.endswith("[900 more characters]")


@pytest.mark.parametrize(("value", "kwargs", "expected"), [
    (Decimal("1234.5"), {}, "1,234.50"),
    (Decimal("12.345"), {"signed": True}, "+12.35"),
    (Decimal("-0.004"), {"signed": True}, "0.00"),
    (Decimal("-3.5"), {"signed": True}, "-3.50"),
    (None, {}, "n/a"),
    (0.72, {"places": 2}, "0.72"),
])
def test_number(value: object, kwargs: dict, expected: str) -> None:
    assert number(value, **kwargs) == expected  # type: ignore[arg-type]


def test_units_and_percentages() -> None:
    assert usdt(Decimal("-12.3"), signed=True) == "-12.30 USDT"
    assert usdt(Decimal("5"), signed=True) == "+5.00 USDT"
    assert usd(Decimal("0.00123")) == "$0.0012"
    assert pct(0.052) == "5.2 %"
    assert pct(Decimal("-0.0149"), 2, signed=True) == "-1.49 %"
    assert price(Decimal("87000.10")) == "87,000.1"
    assert price(Decimal("104572")) == "104,572"


def test_durations() -> None:
    now = datetime(2026, 2, 5, tzinfo=UTC)
    assert duration(timedelta(seconds=42)) == "42s"
    assert duration(timedelta(minutes=3, seconds=7)) == "3m 07s"
    assert duration(timedelta(hours=5, minutes=2)) == "5h 02m"
    assert duration(timedelta(days=2, hours=3)) == "2d 3h"
    assert ago(now - timedelta(minutes=10), now) == "10m 00s ago"


def test_table_aligns_columns_and_escapes_cells() -> None:
    rendered = table([("name", "n"), ("<x>", "12"), ("longer", "3")], right=(1,))
    assert parse_html(rendered) == "name     n\n<x>     12\nlonger   3"


def test_split_keeps_every_part_valid_and_under_the_limit() -> None:
    rows = [(f"row {i}", "<&>" * 5, i) for i in range(600)]
    text = "<b>head</b>\n\n" + table(rows) + "\n\n" + "\n".join(f"<i>line {i}</i>" for i in range(300))
    parts = split_message(text)
    assert len(parts) > 2
    seen = ""
    for part in parts:
        visible = parse_html(part)
        assert len(visible) <= MAX_MESSAGE
        seen += visible
    assert all(f"row {i} " in seen for i in range(600))
    assert "line 299" in seen
    assert parts[-1].endswith(f"(part {len(parts)}/{len(parts)})</i>")


def test_split_never_cuts_an_entity_in_a_long_line() -> None:
    line = esc("&" * 5000)
    for part in split_message(f"<pre>{line}</pre>"):
        parse_html(part)

"""Message formatting for Telegram (parse mode HTML): escaping, numbers with units and signs, UTC
times, aligned tables, and splitting at Telegram's 4,096-character limit.

Everything that is not our own literal text goes through `esc` (or `quote` for long untrusted text
such as LLM reasoning and research answers): `<`, `>` and `&` become entities, so no outside text
can open a tag or break the message. Tables are `<pre>` blocks whose cells are escaped too.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

MAX_MESSAGE = 4096
MESSAGE_BUDGET = 3900  # leaves room for the "(part i/n)" line and a margin
NA = "n/a"


def esc(value: object) -> str:
    """Any value as inert HTML text."""
    return html.escape(str(value), quote=False)


def quote(text: str | None, limit: int = 600) -> str:
    """Untrusted text (LLM reasoning, research, news): capped and escaped; marked when cut."""
    clean = (text or "").strip()
    if len(clean) > limit:
        clean = clean[:limit].rstrip() + f" … [{len(clean) - limit} more characters]"
    return esc(clean)


def bold(text: str) -> str:
    return f"<b>{esc(text)}</b>"


def code(text: object) -> str:
    return f"<code>{esc(text)}</code>"


# --- numbers -------------------------------------------------------------------------------
def _quantize(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def number(value: Decimal | float | int | None, places: int = 2, signed: bool = False) -> str:
    """Thousands separators, fixed places; `signed` prints + for positive values; None is n/a."""
    if value is None:
        return NA
    amount = _quantize(Decimal(str(value)), places)
    if amount == 0:
        amount = abs(amount)  # no "-0.00"
    text = f"{amount:,.{places}f}"
    return f"+{text}" if signed and amount > 0 else text


def usdt(value: Decimal | None, signed: bool = False, places: int = 2) -> str:
    return NA if value is None else f"{number(value, places, signed)} USDT"


def usd(value: Decimal | None, places: int = 4) -> str:
    """LLM costs: dollars with enough places for cents fractions."""
    return NA if value is None else f"${number(value, places)}"


def pct(fraction: float | Decimal | None, places: int = 1, signed: bool = False) -> str:
    """A fraction (0.052) as a percentage ("5.2 %")."""
    if fraction is None:
        return NA
    return f"{number(Decimal(str(fraction)) * 100, places, signed)} %"


def ratio(value: float | None, places: int = 2) -> str:
    if value is None:
        return NA
    if value == float("inf"):
        return "∞"
    return number(value, places)


def price(value: Decimal | None) -> str:
    """Prices keep the exchange's precision (no rounding), with thousands separators."""
    if value is None:
        return NA
    normalized = value.normalize()
    places = max(0, -normalized.as_tuple().exponent)  # type: ignore[operator]
    return number(value, min(places, 8))


# --- times ---------------------------------------------------------------------------------
def utc(when: datetime | None, seconds: bool = False) -> str:
    if when is None:
        return NA
    return when.strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def duration(delta: timedelta | None) -> str:
    if delta is None:
        return NA
    total = int(delta.total_seconds())
    if total < 0:
        return "-" + duration(-delta)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return NA
    return f"{duration(now - when)} ago" if now >= when else f"in {duration(when - now)}"


# --- layout --------------------------------------------------------------------------------
def table(rows: Sequence[Sequence[object]], right: Sequence[int] = ()) -> str:
    """An aligned monospaced table; columns listed in `right` are right-aligned (numbers)."""
    cells = [[str(cell) for cell in row] for row in rows]
    if not cells:
        return ""
    widths = [max(len(row[i]) for row in cells if i < len(row)) for i in range(max(len(r) for r in cells))]
    lines = []
    for row in cells:
        parts = [cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(parts).rstrip())
    return f"<pre>{esc(chr(10).join(lines))}</pre>"


def pairs(items: Sequence[tuple[str, object]]) -> str:
    """`label  value` lines, labels padded, as a table."""
    return table([(label, value) for label, value in items])


def split_message(text: str, budget: int = MESSAGE_BUDGET) -> list[str]:
    """Split at blank lines between blocks (a `<pre>` table is one block) so each part stays valid
    HTML under Telegram's limit; a single oversized block is cut at a line inside it."""
    parts: list[str] = []
    current = ""
    for block in text.split("\n\n"):
        for piece in _fit(block, budget):
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) > budget and current:
                parts.append(current)
                candidate = piece
            current = candidate
    if current:
        parts.append(current)
    if len(parts) > 1:
        parts = [f"{part}\n\n<i>(part {i}/{len(parts)})</i>" for i, part in enumerate(parts, 1)]
    return parts


def _fit(block: str, budget: int) -> list[str]:
    if len(block) <= budget:
        return [block]
    is_pre = block.startswith("<pre>") and block.endswith("</pre>")
    inner = block[5:-6] if is_pre else block
    chunks: list[str] = []
    current = ""
    for line in inner.split("\n"):
        line = _cut(line, budget - 20)
        if current and len(current) + len(line) + 12 > budget:
            chunks.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    chunks.append(current)
    return [f"<pre>{c}</pre>" for c in chunks] if is_pre else chunks


def _cut(line: str, limit: int) -> str:
    """At most `limit` characters, never ending inside an entity such as `&amp;`."""
    if len(line) <= limit:
        return line
    cut = line[:limit]
    amp = cut.rfind("&")
    return cut[:amp] if amp != -1 and ";" not in cut[amp:] else cut

"""Outside text on its way into a prompt: the one function that makes it inert, and the checks that
keep bad values out of the brain's models in the first place.

Every prompt renderer passes free text that did not come from our own code (research answers and
sources, exchange strings, model-written playbook text and strategy names, Telegram questions,
user-edited calendar rows) through `inert`, and attribute values through `attr`. Neither can then
close or open an element: `<`, `>` and `&` become look-alikes (‹ › ＆), so neither `</research>`
nor an entity such as `&lt;` survives, control characters go, and the length is capped. The
mapping is fixed, so rendering stays deterministic (replay matches calls by prompt hash).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

# C0/C1 controls (tab and newline are handled separately), lone surrogates, and the two
# non-characters XML forbids.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_MARKUP = str.maketrans({"<": "‹", ">": "›", "&": "＆"})
MAX_URL = 2048
_URL_FORBIDDEN = re.compile(r"[\s<>\"`{}|\\^]")  # unsafe in a URL (RFC 3986) or in our markup


def one_line(text: str | None) -> str:
    """Text on one line: controls removed, every run of whitespace (newlines too) one space."""
    return " ".join(_CONTROLS.sub(" ", text or "").split())


def inert(text: str | None, limit: int, multiline: bool = False) -> str:
    """Untrusted text as inert data: markup characters replaced by look-alikes, controls removed, on
    one line unless `multiline`, capped at `limit` characters and marked when cut."""
    if multiline:
        clean = _CONTROLS.sub("", (text or "").replace("\t", " ")).strip()
    else:
        clean = one_line(text)
    clean = clean.translate(_MARKUP)
    return clean if len(clean) <= limit else clean[:limit] + f" …[cut, {len(clean) - limit} more characters]"


def attr(value: str | None, limit: int = 64) -> str:
    """An attribute value: `inert` on one line, and `"` replaced too so it cannot end the value."""
    return inert(value, limit).replace('"', "＂")


def http_url(value: str) -> str:
    """An absolute http(s) URL with a host, without whitespace, controls or markup characters, at
    most MAX_URL characters; anything else (javascript:, data:, relative) is refused."""
    if len(value) > MAX_URL:
        raise ValueError(f"URL longer than {MAX_URL} characters")
    if _CONTROLS.search(value) or _URL_FORBIDDEN.search(value):
        raise ValueError("URL contains whitespace, control or markup characters")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise ValueError("URL cannot be parsed") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("only absolute http(s) URLs are accepted")
    return value


def iso_date(value: object) -> date | None:
    """An ISO-8601 date (or the date of an ISO-8601 timestamp); None for anything else."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) > 40:
        return None
    for parse in (date.fromisoformat, lambda text: datetime.fromisoformat(text).date()):
        try:
            return parse(value.strip())
        except ValueError:
            continue
    return None

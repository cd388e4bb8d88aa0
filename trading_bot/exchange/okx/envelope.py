"""The OKX response envelope `{"code", "msg", "data"}`: return `data` or raise the typed error.

python-okx returns every body as a dict, errors included (it never raises), so each response
goes through `unwrap`. Order-type endpoints report per item (`sCode`/`sMsg`): a failed item
raises even when the top-level `code` is "0" or "2".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trading_bot.exchange.errors import ExchangeError, ExchangeUnavailable, classify
from trading_bot.logs import truncate


def unwrap(payload: Any, endpoint: str, http_status: int | None = None) -> list[Any]:
    """`data` of a successful response; raises the classified ExchangeError otherwise."""
    if not isinstance(payload, Mapping):
        raise ExchangeUnavailable(
            str(http_status or "invalid"), f"unexpected response body {truncate(payload, 200)}",
            endpoint=endpoint, http_status=http_status,
        )
    code = str(payload.get("code", ""))
    data = payload.get("data")
    items = data if isinstance(data, list) else ([] if data in (None, {}, "") else [data])
    failed = _first_failed_item(items)
    if failed is not None:
        raise classify(failed[0], failed[1], endpoint=endpoint, http_status=http_status)
    if code != "0":
        raise _top_level_error(payload, code, endpoint, http_status)
    return list(items)


def _first_failed_item(items: list[Any]) -> tuple[str, str] | None:
    for item in items:
        if isinstance(item, Mapping) and "sCode" in item and str(item["sCode"]) not in ("0", ""):
            return str(item["sCode"]), str(item.get("sMsg") or "")
    return None


def _top_level_error(payload: Mapping[str, Any], code: str, endpoint: str, http_status: int | None) -> ExchangeError:
    message = str(payload.get("msg") or payload.get("error_message") or "")
    if not code:  # not an OKX envelope at all (a proxy's JSON error page, a wrong server)
        detail = message or f"response without a code: {truncate(dict(payload), 200)}"
        return ExchangeUnavailable(str(http_status or "invalid"), detail, endpoint=endpoint, http_status=http_status)
    return classify(code, message, endpoint=endpoint, http_status=http_status)


def first(items: list[Any], endpoint: str) -> Any:
    """The single item an endpoint must return (an empty `data` is an exchange fault)."""
    if not items:
        raise ExchangeUnavailable("empty", "response data is empty", endpoint=endpoint)
    return items[0]

"""Typed exchange errors. Every one carries OKX's code and message (`sCode`/`sMsg` for order items).

| exception | when | safe to retry? |
|---|---|---|
| AuthError | 50101-50113, 60009 | no: configuration problem |
| RateLimited | 50011, 50013, HTTP 429 | yes, after waiting |
| ExchangeUnavailable | network error, HTTP 5xx, 50001, non-JSON body | yes for reads; orders: look up first |
| OutcomeUnknown | timeout or 50004 on a write: the order may exist | never resend blindly |
| InsufficientMargin | 51008 and family | no |
| InvalidSize | 51020, 51121, 51201 … | no |
| NotFound | 51603, 51400, 51023 (order/position does not exist) | no |
| OrderRejected | any other per-item rejection | no |
| InvalidRequest | 50014, 51000, other 4xx | no |
"""

from __future__ import annotations


class ExchangeError(Exception):
    retryable = False

    def __init__(self, code: str, message: str, *, endpoint: str = "", http_status: int | None = None) -> None:
        self.code = str(code)
        self.message = message
        self.endpoint = endpoint
        self.http_status = http_status
        where = f" [{endpoint}]" if endpoint else ""
        super().__init__(f"OKX {self.code}: {message}{where}")


class AuthError(ExchangeError):
    pass


class RateLimited(ExchangeError):
    retryable = True


class ExchangeUnavailable(ExchangeError):
    retryable = True


class OutcomeUnknown(ExchangeError):
    """A write whose result is unknown (timeout / 50004): query before doing anything else."""


class InvalidRequest(ExchangeError):
    pass


class OrderRejected(ExchangeError):
    pass


class InsufficientMargin(OrderRejected):
    pass


class InvalidSize(OrderRejected):
    pass


class NotFound(ExchangeError):
    pass


AUTH_CODES = frozenset({"50100", "50101", "50102", "50103", "50104", "50105", "50106", "50107", "50111", "50112", "50113", "60009"})
RATE_CODES = frozenset({"50011", "50013", "50061"})
UNAVAILABLE_CODES = frozenset({"50001", "50026", "503", "500", "502", "504"})
UNKNOWN_OUTCOME_CODES = frozenset({"50004"})
MARGIN_CODES = frozenset({"51008", "51004", "51127", "51131", "51132"})
SIZE_CODES = frozenset({"51020", "51121", "51201", "51202", "51203", "51204"})
NOT_FOUND_CODES = frozenset({"51603", "51400", "51401", "51023", "51001", "51509", "51510", "404"})
REQUEST_CODES = frozenset({"50014", "51000", "400"})


def classify(code: str | int, message: str, *, endpoint: str = "", http_status: int | None = None) -> ExchangeError:
    """Map an OKX code (top-level `code` or item `sCode`) to the matching typed exception."""
    text = str(code)
    kind: type[ExchangeError] = OrderRejected
    for codes, candidate in (
        (AUTH_CODES, AuthError),
        (RATE_CODES, RateLimited),
        (UNAVAILABLE_CODES, ExchangeUnavailable),
        (UNKNOWN_OUTCOME_CODES, OutcomeUnknown),
        (MARGIN_CODES, InsufficientMargin),
        (SIZE_CODES, InvalidSize),
        (NOT_FOUND_CODES, NotFound),
        (REQUEST_CODES, InvalidRequest),
    ):
        if text in codes:
            kind = candidate
            break
    else:
        if http_status == 429:
            kind = RateLimited
        elif http_status is not None and http_status >= 500:
            kind = ExchangeUnavailable
        elif http_status == 401:
            kind = AuthError
    return kind(text, message, endpoint=endpoint, http_status=http_status)

"""Typed exchange errors. Every one carries OKX's code and message (`sCode`/`sMsg` for order items).

| exception | when | safe to retry? |
|---|---|---|
| AuthError | 50101-50113, 60009 | no: configuration problem |
| RateLimited | 50011, 50013, HTTP 429 | yes, after waiting |
| ExchangeUnavailable | network error, HTTP 5xx, 50001, non-JSON body | yes for reads; orders: look up first |
| OutcomeUnknown | timeout or 50004 on a write: the order may exist | never resend blindly |
| InsufficientMargin | 51008 and family | no |
| InvalidSize | 51020, 51121, 51201 … | no |
| DuplicateOrder | 51016: the clOrdId is already pending | no: look the order up |
| TriggerWrongSide | 51050-51053, 51277-51280: TP/SL already crossed | no |
| NotFound | 51603, 51400, 51023 (order/position does not exist) | no |
| OrderRejected | any other per-item rejection | no |
| InvalidRequest | 50014, 51000, other 4xx | no |
| EndpointNotFound | HTTP 404 (OKX answers with a numeric `code: 404`) | no: wrong base URL |
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

    def __reduce__(self) -> tuple[object, ...]:
        # rebuilt from its fields, so it crosses process boundaries (Celery results) as itself
        return _rebuild, (type(self), self.code, self.message, self.endpoint, self.http_status)


def _rebuild(cls: type[ExchangeError], code: str, message: str, endpoint: str, http_status: int | None) -> ExchangeError:
    return cls(code, message, endpoint=endpoint, http_status=http_status)


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


class DuplicateOrder(OrderRejected):
    """51016: an order with this clOrdId is pending; the earlier attempt did arrive."""


class TriggerWrongSide(OrderRejected):
    """A TP/SL trigger is on the wrong side of the current price (the level is already crossed)."""


class NotFound(ExchangeError):
    pass


class EndpointNotFound(InvalidRequest):
    """HTTP 404: the path does not exist on that server (a wrong OKX_REST_URL, not a missing order)."""


AUTH_CODES = frozenset({
    "50100", "50101", "50102", "50103", "50104", "50105", "50106", "50107", "50110", "50111", "50112", "50113",
    "50114", "50119", "60009",
})
RATE_CODES = frozenset({"50011", "50013", "50040", "50061"})
UNAVAILABLE_CODES = frozenset({"50001", "50005", "50026", "51054", "503", "500", "502", "504"})
UNKNOWN_OUTCOME_CODES = frozenset({"50004"})
MARGIN_CODES = frozenset({"51008", "51004", "51127", "51131", "51132"})
SIZE_CODES = frozenset({"51020", "51121", "51201", "51202", "51203", "51204"})
DUPLICATE_CODES = frozenset({"51016"})
WRONG_SIDE_CODES = frozenset({"51050", "51051", "51052", "51053", "51277", "51278", "51279", "51280"})
NOT_FOUND_CODES = frozenset({"51603", "51400", "51401", "51023", "51001", "51509", "51510"})
ENDPOINT_CODES = frozenset({"404"})
REQUEST_CODES = frozenset({"50000", "50002", "50006", "50014", "50015", "50016", "50024", "50025", "51000", "51003", "400"})

WRONG_ENVIRONMENT_HINT = (
    "the API key belongs to the other OKX environment: a demo-trading key needs OKX_FLAG=1, "
    "a live key OKX_FLAG=0"
)


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
        (DUPLICATE_CODES, DuplicateOrder),
        (WRONG_SIDE_CODES, TriggerWrongSide),
        (NOT_FOUND_CODES, NotFound),
        (ENDPOINT_CODES, EndpointNotFound),
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
        elif http_status == 404:
            kind = EndpointNotFound
    if text == "50101":
        message = f"{message} ({WRONG_ENVIRONMENT_HINT})"
    return kind(text, message, endpoint=endpoint, http_status=http_status)

"""Response envelopes and error classification: recorded error bodies become typed exceptions."""

import pytest

from tests.kit.okx_fixtures import recorded
from trading_bot.exchange import errors
from trading_bot.exchange.okx.envelope import first, unwrap


@pytest.mark.shared
def test_51008_item_rejection_is_insufficient_margin_with_okx_code_and_message() -> None:
    body = recorded("trade_order_post__DOGE-USDT-SWAP_error_51008.json")
    with pytest.raises(errors.InsufficientMargin) as caught:
        unwrap(body, "/api/v5/trade/order", 200)
    assert caught.value.code == "51008"
    assert caught.value.message == "Order failed. Insufficient USDT margin in account "
    assert "/api/v5/trade/order" in str(caught.value) and not caught.value.retryable


@pytest.mark.shared
def test_other_item_rejections_keep_their_code() -> None:
    with pytest.raises(errors.OrderRejected) as caught:
        unwrap(recorded("trade_order_post__error_54109_not-activated.json"), "/api/v5/trade/order")
    assert type(caught.value) is errors.OrderRejected and caught.value.code == "54109"


@pytest.mark.shared
def test_http_401_invalid_key() -> None:
    with pytest.raises(errors.AuthError) as caught:
        unwrap(recorded("error_http401_50111_invalid-access-key.json"), "/api/v5/account/balance", 401)
    assert (caught.value.code, caught.value.message, caught.value.http_status) == ("50111", "Invalid OK-ACCESS-KEY", 401)


@pytest.mark.shared
def test_http_404_numeric_code_is_a_wrong_endpoint_not_a_missing_order() -> None:
    body = recorded("error_http404_unknown-path.json")
    assert body["code"] == 404  # an int, unlike every other code
    with pytest.raises(errors.EndpointNotFound) as caught:
        unwrap(body, "/api/v5/trade/order", 404)
    assert caught.value.code == "404" and caught.value.message == "Not Found"
    assert not isinstance(caught.value, errors.NotFound)


@pytest.mark.shared
def test_http_429_body_is_rate_limited_and_retryable() -> None:
    with pytest.raises(errors.RateLimited) as caught:
        unwrap(recorded("error_50011_too-many-requests.json"), "/api/v5/market/candles", 429)
    assert caught.value.retryable and caught.value.message == "Too Many Requests"


@pytest.mark.shared
def test_successful_envelopes_return_data() -> None:
    assert unwrap(recorded("public_time.json"), "/api/v5/public/time") == [{"ts": "1712250348676"}]
    acks = unwrap(recorded("trade_cancel-algos__BTC-USDT-SWAP_by_algoClOrdId.json"), "/api/v5/trade/cancel-algos")
    assert acks[0]["sCode"] == "0"
    config = first(unwrap(recorded("account_config__net_mode.json"), "/api/v5/account/config"), "config")
    assert config["posMode"] == "net_mode" and config["autoLoan"] is False
    leverage = unwrap(recorded("account_leverage-info__BTC-USDT-SWAP_cross_hedge.json"), "/api/v5/account/leverage-info")
    assert [item["posSide"] for item in leverage] == ["long", "short"]
    for name in ("account_set-leverage__BTC-USDT-SWAP_cross.json", "account_set-leverage__BTC-USDT-SWAP_isolated_long.json"):
        assert unwrap(recorded(name), "/api/v5/account/set-leverage")[0]["instId"] == "BTC-USDT-SWAP"


def test_non_json_and_shapeless_bodies_are_exchange_unavailable() -> None:
    with pytest.raises(errors.ExchangeUnavailable) as caught:
        unwrap("<html>502 Bad Gateway</html>", "/api/v5/market/ticker", 502)
    assert "502 Bad Gateway" in caught.value.message and caught.value.retryable
    with pytest.raises(errors.ExchangeUnavailable):
        unwrap({"msg": "gateway"}, "/api/v5/market/ticker", 503)
    with pytest.raises(errors.ExchangeUnavailable, match="empty"):
        first([], "/api/v5/market/ticker")


def test_partial_success_raises_the_failed_item() -> None:
    body = {"code": "2", "msg": "", "data": [{"algoId": "1", "sCode": "0", "sMsg": ""},
                                             {"algoId": "2", "sCode": "51400", "sMsg": "Cancellation failed"}]}
    with pytest.raises(errors.NotFound) as caught:
        unwrap(body, "/api/v5/trade/cancel-algos")
    assert caught.value.code == "51400"


@pytest.mark.parametrize(("code", "status", "kind"), [
    ("50001", 503, errors.ExchangeUnavailable),
    ("50004", 400, errors.OutcomeUnknown),
    ("50011", 200, errors.RateLimited),
    ("50013", 429, errors.RateLimited),
    ("50014", 400, errors.InvalidRequest),
    ("50102", 401, errors.AuthError),
    ("50113", 401, errors.AuthError),
    ("51000", 400, errors.InvalidRequest),
    ("51016", 200, errors.DuplicateOrder),
    ("51020", 200, errors.InvalidSize),
    ("51121", 200, errors.InvalidSize),
    ("51023", 200, errors.NotFound),
    ("51279", 200, errors.TriggerWrongSide),
    ("51400", 200, errors.NotFound),
    ("51603", 200, errors.NotFound),
    ("59102", 200, errors.OrderRejected),
    ("99999", 500, errors.ExchangeUnavailable),
    ("99999", 429, errors.RateLimited),
    ("99999", 401, errors.AuthError),
])
def test_classify(code: str, status: int, kind: type) -> None:
    error = errors.classify(code, "msg", endpoint="/x", http_status=status)
    assert type(error) is kind and error.code == code


def test_50101_says_which_environment_is_wrong() -> None:
    error = errors.classify("50101", "APIKey does not match current environment.", http_status=401)
    assert isinstance(error, errors.AuthError) and "OKX_FLAG=1" in error.message and "demo" in error.message

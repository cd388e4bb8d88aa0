"""A full trade through the real python-okx client: leverage, market buy with attached TP/SL, the
position as OKX reports it, the price reaching the TP, and the account reconciled by hand."""

from decimal import Decimal
from pathlib import Path

from okx.Account import AccountAPI
from okx.MarketData import MarketAPI
from okx.PublicData import PublicAPI
from okx.Trade import TradeAPI

from tests.kit.sim import flat_bars, running_sim, write_candles

INST = "BTC-USDT-SWAP"
HISTORY = 300  # one-minute bars before the replay starts


def _scripted(tmp_path: Path) -> Path:
    bars = flat_bars(90000.0, HISTORY)
    bars += [(90000.0, 90100.0, 89950.0, 90050.0),  # the bar we buy in
             (90050.0, 91000.0, 90040.0, 90950.0),  # low first (nearer the open), then up through the TP
             (90950.0, 91010.0, 90900.0, 91000.0)]
    return write_candles(tmp_path / "path.json", bars, "2026-01-05T01:00:00Z")


def test_market_buy_with_tp_sl_reconciles_to_the_cent(tmp_path: Path) -> None:
    with running_sim(data=[_scripted(tmp_path)], start="2026-01-05T06:00:00Z") as sim:
        account, trade, market = sim.okx(AccountAPI), sim.okx(TradeAPI), sim.okx(MarketAPI)
        assert sim.okx(PublicAPI).get_system_time()["data"][0]["ts"] == "1767592800000"
        assert market.get_ticker(instId=INST)["data"][0]["last"] == "90000"

        lever = account.set_leverage(instId=INST, lever="10", mgnMode="isolated")
        assert lever == {"code": "0", "msg": "", "data": [
            {"instId": INST, "lever": "10", "mgnMode": "isolated", "posSide": ""}]}

        placed = trade.place_order(instId=INST, tdMode="isolated", side="buy", ordType="market", sz="1",
                                   clOrdId="cycle42", attachAlgoOrds=[
                                       {"attachAlgoClOrdId": "cycle42sl", "tpTriggerPx": "90900", "tpOrdPx": "-1",
                                        "slTriggerPx": "89100", "slOrdPx": "-1"}])
        assert placed["code"] == "0" and placed["data"][0]["sCode"] == "0"
        assert placed["data"][0]["sMsg"] == "Order placed" and placed["data"][0]["clOrdId"] == "cycle42"

        order = trade.get_order(instId=INST, clOrdId="cycle42")["data"][0]
        # the ask is one tick above the last price: 90000.1; fee 0.05 % of 900.001 USDT
        assert (order["state"], order["avgPx"], order["accFillSz"], order["fee"]) == \
            ("filled", "90000.1", "1", "-0.4500005")
        assert order["attachAlgoOrds"][0]["attachAlgoClOrdId"] == "cycle42sl"

        pos = account.get_positions(instType="SWAP", instId=INST)["data"][0]
        assert (pos["pos"], pos["avgPx"], pos["mgnMode"], pos["lever"], pos["posSide"]) == \
            ("1", "90000.1", "isolated", "10", "net")
        assert pos["margin"] == "90.0001"  # 90000.1 × 0.01 / 10
        assert pos["fee"] == "-0.4500005" and pos["imr"] == ""
        assert Decimal(pos["upl"]) == Decimal("-0.001")  # marked at the last price 90000.0

        algos = trade.order_algos_list(ordType="oco")["data"]
        assert len(algos) == 1 and algos[0]["algoClOrdId"] == "cycle42sl" and algos[0]["state"] == "live"
        assert (algos[0]["tpTriggerPx"], algos[0]["slTriggerPx"], algos[0]["side"]) == ("90900", "89100", "sell")

        sim.advance(minutes=2)  # the second bar walks 90050 → 90040 → 91000: the TP fires at 91000

        assert account.get_positions(instType="SWAP")["data"] == []
        history = trade.get_orders_history(instType="SWAP")["data"]
        tp_order = history[0]
        assert tp_order["algoClOrdId"] == "cycle42sl" and tp_order["side"] == "sell"
        assert (tp_order["avgPx"], tp_order["pnl"], tp_order["fee"]) == ("91000", "9.999", "-0.455")
        assert trade.order_algos_history(ordType="oco", state="effective")["data"][0]["actualSide"] == "tp"

        # hand arithmetic: 10000 − 0.4500005 (open fee) + 9.999 (PnL) − 0.455 (close fee)
        usdt = account.get_account_balance()["data"][0]["details"][0]
        assert Decimal(usdt["cashBal"]) == Decimal("10009.0939995")
        assert usdt["eq"] == usdt["cashBal"] and usdt["frozenBal"] == "0"
        fills = trade.get_fills(instType="SWAP")["data"]
        assert [f["fillPnl"] for f in fills] == ["9.999", "0"]
        assert sum(Decimal(f["fee"]) + Decimal(f["fillPnl"]) for f in fills) == Decimal("9.0939995")

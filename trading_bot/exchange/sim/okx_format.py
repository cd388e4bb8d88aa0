"""Engine state → OKX v5 JSON, key for key as the recorded responses in shared/okx/fixtures.

Numbers are strings (Decimal printed plainly: no exponent, no trailing zeros), "not applicable"
is "" (never null or 0), and the few real JSON booleans/objects stay what OKX sends. The account is
a USDT futures-mode account, so account-level `adjEq/imr/mmr/mgnRatio…` are "" as OKX reports them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from trading_bot.exchange.sim.accounting import AccountFigures, imr, isolated_liq_px, mmr, notional, upl
from trading_bot.exchange.sim.instruments import SimInstrument
from trading_bot.exchange.sim.market import CandleRow
from trading_bot.exchange.sim.orders import AttachSpec, SimAlgo, SimFill, SimOrder, SimPosition

Json = dict[str, Any]


def num(value: Decimal | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def px(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def qty(value: float) -> str:
    """A float volume, printed without float noise (at most 8 decimals)."""
    return px(round(value, 8), 8)


def bool_str(value: bool) -> str:
    return "true" if value else "false"


# --- public data ---------------------------------------------------------------------------------
def instrument(inst: SimInstrument) -> Json:
    return {
        "alias": "", "auctionEndTime": "", "baseCcy": "", "category": "1", "contTdSwTime": "", "ctMult": "1",
        "ctType": "linear", "ctVal": num(inst.ct_val), "ctValCcy": inst.ct_val_ccy, "expTime": "",
        "futureSettlement": False, "instFamily": inst.uly, "instId": inst.inst_id, "instIdCode": inst.inst_id_code,
        "instType": "SWAP", "lever": str(inst.max_lever), "listTime": inst.list_time, "lotSz": num(inst.lot_sz),
        "maxIcebergSz": "100000000.0000000000000000", "maxLmtAmt": "20000000", "maxLmtSz": num(inst.max_lmt_sz),
        "maxMktAmt": "", "maxMktSz": num(inst.max_mkt_sz), "maxPlatOILmt": "", "maxStopSz": num(inst.max_mkt_sz),
        "maxTriggerSz": "100000000.0000000000000000", "maxTwapSz": "100000000.0000000000000000",
        "minSz": num(inst.min_sz), "openType": "", "optType": "", "posLmtAmt": "", "posLmtPct": "",
        "preMktSwTime": "", "quoteCcy": "", "ruleType": "normal", "settleCcy": "USDT", "state": "live", "stk": "",
        "tickSz": num(inst.tick_sz), "tradeQuoteCcyList": [], "uly": inst.uly,
    }


def candle(row: CandleRow, inst: SimInstrument) -> list[str]:
    ct = float(inst.ct_val)
    return [str(row.ts), px(row.o, inst.price_digits), px(row.h, inst.price_digits), px(row.l, inst.price_digits),
            px(row.c, inst.price_digits), qty(row.vol_ccy / ct), qty(row.vol_ccy), qty(row.vol_ccy * row.c),
            "1" if row.confirmed else "0"]


def book_level(level_px: Decimal, size: Decimal, orders: int) -> list[str]:
    return [num(level_px), num(size), "0", str(orders)]


def funding_rate(inst_id: str, rate: float, next_time: int, settled: float, premium: float, now_ms: int) -> Json:
    return {
        "formulaType": "noRate", "fundingRate": _rate(rate), "fundingTime": str(next_time), "impactValue": "",
        "instId": inst_id, "instType": "SWAP", "interestRate": "", "maxFundingRate": "0.00375",
        "method": "current_period", "minFundingRate": "-0.00375", "nextFundingRate": "",
        "nextFundingTime": str(next_time + 8 * 3_600_000), "premium": _rate(premium),
        "settFundingRate": _rate(settled), "settState": "settled", "ts": str(now_ms),
    }


def funding_history_row(inst_id: str, settle_ms: int, rate: float) -> Json:
    return {"formulaType": "noRate", "fundingRate": _rate(rate), "fundingTime": str(settle_ms), "instId": inst_id,
            "instType": "SWAP", "method": "current_period", "realizedRate": _rate(rate)}


def _rate(rate: float) -> str:
    return num(Decimal(f"{rate:.16f}"))


# --- account -------------------------------------------------------------------------------------
def balance(fig: AccountFigures, u_time: int, ws: bool = False) -> Json:
    eq = num(fig.equity)
    detail = {
        "accAvgPx": "", "availBal": num(fig.avail_bal), "availEq": num(fig.avail_eq), "borrowFroz": "",
        "cashBal": num(fig.cash), "ccy": "USDT", "clSpotInUseAmt": "", "colBorrAutoConversion": "0",
        "collateralEnabled": False, "collateralRestrict": False, "crossLiab": "", "disEq": eq, "eq": eq,
        "eqUsd": eq, "fixedBal": "0", "frozenBal": num(fig.frozen), "imr": num(fig.cross_imr), "interest": "",
        "isoEq": num(fig.iso_margin + fig.iso_upl), "isoLiab": "", "isoUpl": num(fig.iso_upl), "liab": "",
        "maxLoan": "", "mgnRatio": _ratio(fig.cross_equity, fig.cross_mmr), "mmr": num(fig.cross_mmr),
        "notionalLever": _ratio(fig.notional, fig.equity), "openAvgPx": "", "ordFrozen": num(fig.ord_frozen),
        "rewardBal": "0", "smtSyncEq": "0", "spotBal": "", "spotCopyTradingEq": "0", "spotInUseAmt": "",
        "spotIsoBal": "0", "spotUpl": "", "spotUplRatio": "", "stgyEq": "0", "totalPnl": "", "totalPnlRatio": "",
        "twap": "0", "uTime": str(u_time), "upl": num(fig.upl), "uplLiab": "",
    }
    if ws:
        detail["coinUsdPrice"] = "1"
        detail["maxSpotInUseAmt"] = ""
    else:
        detail["maxSpotInUse"] = ""
    return {
        "adjEq": "", "availEq": "", "borrowFroz": "", "details": [detail], "imr": "", "isoEq": num(fig.iso_margin + fig.iso_upl),
        "mgnRatio": "", "mmr": "", "notionalUsd": "", "notionalUsdForBorrow": "", "notionalUsdForFutures": "",
        "notionalUsdForOption": "", "notionalUsdForSwap": "", "ordFroz": "", "totalEq": eq, "uTime": str(u_time),
        "upl": "",
    }


def _ratio(numerator: Decimal, denominator: Decimal) -> str:
    return num((numerator / denominator).quantize(Decimal("1e-10"))) if denominator else ""


def account_config(pos_mode: str, uid: str) -> Json:
    return {
        "acctLv": "2", "autoLoan": False, "ctIsoMode": "automatic", "greeksType": "PA", "ip": "", "kycLv": "2",
        "label": "trading-bot-sim", "level": "Lv1", "levelTmp": "", "liquidationGear": "-1", "mainUid": uid,
        "mgnIsoMode": "automatic", "opAuth": "0", "perm": "read_only,trade", "posMode": pos_mode, "roleType": "0",
        "spotOffsetType": "", "spotRoleType": "0", "spotTraderInsts": [], "traderInsts": [], "uid": uid,
    }


def position(pos: SimPosition, inst: SimInstrument, mark: Decimal, avail: Decimal, close_algos: list[SimAlgo]) -> Json:
    open_ = pos.qty != 0
    isolated = pos.mgn_mode == "isolated"
    u = upl(pos, inst, mark) if open_ else Decimal(0)
    im = imr(pos, inst, mark) if open_ else Decimal(0)
    mm = mmr(pos, inst, mark) if open_ else Decimal(0)
    base = pos.margin if isolated else im
    liq = isolated_liq_px(pos, inst) if open_ and isolated else None
    shown_qty = pos.qty if pos.pos_side == "net" else abs(pos.qty)
    return {
        "adl": "1" if open_ else "", "availPos": num(avail) if open_ else "", "avgPx": num(pos.avg_px) if open_ else "",
        "baseBal": "", "baseBorrowed": "", "baseInterest": "",
        "bePx": num(_breakeven(pos, inst)) if open_ else "", "bizRefId": "", "bizRefType": "",
        "cTime": str(pos.c_time), "ccy": "USDT", "clSpotInUseAmt": "", "closeOrderAlgo": [_close_algo(a) for a in close_algos],
        "deltaBS": "", "deltaPA": "", "fee": num(pos.fee), "fundingFee": num(pos.funding_fee), "gammaBS": "",
        "gammaPA": "", "hedgedPos": "", "idxPx": num(mark), "imr": "" if isolated or not open_ else num(im),
        "instId": pos.inst_id, "instType": "SWAP", "interest": "", "last": num(mark), "lever": num(pos.lever),
        "liab": "", "liabCcy": "", "liqPenalty": num(pos.liq_penalty), "liqPx": num(_round_px(liq, inst)),
        "margin": num(pos.margin) if isolated and open_ else "", "markPx": num(mark), "maxSpotInUseAmt": "",
        "mgnMode": pos.mgn_mode, "mgnRatio": _ratio((base + u) if isolated else base, mm) if open_ else "",
        "mmr": num(mm) if open_ else "", "nonSettleAvgPx": "", "notionalUsd": num(notional(pos, inst, mark)),
        "optVal": "", "pendingCloseOrdLiabVal": "", "pnl": num(pos.pnl), "pos": num(shown_qty), "posCcy": "",
        "posId": pos.pos_id, "posSide": pos.pos_side, "quoteBal": "", "quoteBorrowed": "", "quoteInterest": "",
        "realizedPnl": num(pos.realized_pnl), "settledPnl": "", "spotInUseAmt": "", "spotInUseCcy": "",
        "thetaBS": "", "thetaPA": "", "tradeId": pos.trade_id, "uTime": str(pos.u_time), "upl": num(u),
        "uplLastPx": num(u), "uplRatio": _ratio(u, base) if open_ else "", "uplRatioLastPx": _ratio(u, base) if open_ else "",
        "usdPx": "", "vegaBS": "", "vegaPA": "",
    }


def _breakeven(pos: SimPosition, inst: SimInstrument) -> Decimal:
    """Entry price moved by the fees paid so far (OKX's bePx), per contract value."""
    per_price = abs(pos.qty) * inst.ct_val
    shift = -(pos.fee + pos.funding_fee) / per_price if per_price else Decimal(0)
    return (pos.avg_px + (shift if pos.qty > 0 else -shift)).quantize(Decimal("1e-8"))


def _round_px(value: Decimal | None, inst: SimInstrument) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("1e-8"))


def _close_algo(algo: SimAlgo) -> Json:
    return {"algoId": algo.algo_id, "slTriggerPx": num(algo.sl_trigger_px), "slTriggerPxType": algo.sl_trigger_px_type,
            "tpTriggerPx": num(algo.tp_trigger_px), "tpTriggerPxType": algo.tp_trigger_px_type,
            "closeFraction": algo.close_fraction or "1"}


def leverage_rows(inst_id: str, mgn_mode: str, rows: list[tuple[str, Decimal]]) -> list[Json]:
    return [{"ccy": "", "instId": inst_id, "lever": num(lever), "mgnMode": mgn_mode, "posSide": side}
            for side, lever in rows]


# --- orders --------------------------------------------------------------------------------------
def order(o: SimOrder) -> Json:
    first = o.attach[0] if o.attach else None
    return {
        "accFillSz": num(o.acc_fill_sz), "algoClOrdId": o.algo_cl_ord_id, "algoId": o.algo_id,
        "attachAlgoClOrdId": first.attach_algo_cl_ord_id if first else "",
        "attachAlgoOrds": [attach(a, o) for a in o.attach], "avgPx": num(o.avg_px), "cTime": str(o.c_time),
        "cancelSource": o.cancel_source, "cancelSourceReason": CANCEL_REASONS.get(o.cancel_source, ""),
        "category": o.category, "ccy": "", "clOrdId": o.cl_ord_id, "fee": num(o.fee), "feeCcy": "USDT",
        "fillPx": num(o.fill_px), "fillSz": num(o.fill_sz), "fillTime": str(o.fill_time) if o.fill_time else "",
        "instId": o.inst_id, "instType": "SWAP", "isTpLimit": "false", "lever": num(o.lever),
        "linkedAlgoOrd": {"algoId": ""}, "ordId": o.ord_id, "ordType": o.ord_type, "pnl": num(o.pnl),
        "posSide": o.pos_side, "px": num(o.px), "pxType": "", "pxUsd": "", "pxVol": "", "quickMgnType": "",
        "rebate": "0", "rebateCcy": "USDT", "reduceOnly": bool_str(o.reduce_only), "side": o.side,
        "slOrdPx": _ord_px(first.sl_ord_px) if first and first.sl_trigger_px is not None else "",
        "slTriggerPx": num(first.sl_trigger_px) if first else "",
        "slTriggerPxType": first.sl_trigger_px_type if first and first.sl_trigger_px is not None else "",
        "source": "", "state": o.state, "stpId": "", "stpMode": "cancel_maker", "sz": num(o.sz), "tag": o.tag,
        "tdMode": o.td_mode, "tgtCcy": "",
        "tpOrdPx": _ord_px(first.tp_ord_px) if first and first.tp_trigger_px is not None else "",
        "tpTriggerPx": num(first.tp_trigger_px) if first else "",
        "tpTriggerPxType": first.tp_trigger_px_type if first and first.tp_trigger_px is not None else "",
        "tradeId": o.trade_id, "uTime": str(o.u_time),
    }


CANCEL_REASONS = {
    "1": "Order canceled by user", "6": "Order canceled: margin call / liquidation",
    "14": "Order canceled: remaining size of the IOC/FOK/reduce-only order was canceled",
    "30": "Order canceled: the order could not be filled", "31": "The post-only order will take liquidity in taker orders",
}


def ws_order(o: SimOrder, amend: bool = False) -> Json:
    row = order(o)
    fill_notional = (o.fill_px or 0) * o.fill_sz
    row.update({
        "amendResult": "0" if amend else "", "amendSource": "", "code": "0", "msg": "", "reqId": "",
        "execType": o.exec_type if o.fill_sz else "", "fillFee": num(o.fill_fee), "fillFeeCcy": "USDT",
        "fillPnl": num(o.fill_pnl), "fillNotionalUsd": num(fill_notional) if o.fill_sz else "",
        "notionalUsd": num(o.sz * (o.px or o.avg_px or 0)), "lastPx": "", "fillMarkPx": "", "fillIdxPx": "",
        "fillPxVol": "", "fillPxUsd": "", "fillMarkVol": "", "fillFwdPx": "",
    })
    return row


def _ord_px(value: Decimal | None) -> str:
    return num(value) if value is not None else ""


def attach(spec: AttachSpec, parent: SimOrder) -> Json:
    return {
        "amendPxOnTriggerType": "0", "attachAlgoClOrdId": spec.attach_algo_cl_ord_id, "attachAlgoId": spec.attach_algo_id,
        "failCode": "", "failReason": "", "slOrdPx": _ord_px(spec.sl_ord_px) if spec.sl_trigger_px is not None else "",
        "slTriggerPx": num(spec.sl_trigger_px),
        "slTriggerPxType": spec.sl_trigger_px_type if spec.sl_trigger_px is not None else "",
        "sz": num(parent.sz), "tpOrdKind": "condition",
        "tpOrdPx": _ord_px(spec.tp_ord_px) if spec.tp_trigger_px is not None else "",
        "tpTriggerPx": num(spec.tp_trigger_px),
        "tpTriggerPxType": spec.tp_trigger_px_type if spec.tp_trigger_px is not None else "",
    }


def algo(a: SimAlgo, last: Decimal | None) -> Json:
    return {
        "activePx": "", "actualPx": num(a.actual_px) if a.trigger_time else "", "actualSide": a.actual_side,
        "actualSz": num(a.actual_sz), "algoClOrdId": a.algo_cl_ord_id, "algoId": a.algo_id,
        "amendPxOnTriggerType": "0", "attachAlgoOrds": [], "cTime": str(a.c_time), "callbackRatio": "",
        "callbackSpread": "", "ccy": "", "chaseType": "", "chaseVal": "", "clOrdId": a.algo_cl_ord_id,
        "closeFraction": a.close_fraction, "failCode": a.fail_code or "0", "instId": a.inst_id, "instType": "SWAP",
        "isTradeBorrowMode": "", "last": num(last), "lever": num(a.lever), "linkedOrd": {"ordId": a.parent_ord_id},
        "maxChaseType": "", "maxChaseVal": "", "moveTriggerPx": "", "ordId": a.ord_id,
        "ordIdList": [a.ord_id] if a.ord_id else [], "ordPx": _ord_px(a.order_px), "ordType": a.ord_type,
        "posSide": a.pos_side, "pxLimit": "", "pxSpread": "", "pxVar": "", "quickMgnType": "",
        "reduceOnly": bool_str(a.reduce_only), "side": a.side, "slOrdPx": _ord_px(a.sl_ord_px),
        "slTriggerPx": num(a.sl_trigger_px), "slTriggerPxType": a.sl_trigger_px_type, "state": a.state,
        "sz": num(a.sz) if a.sz is not None else "", "szLimit": "", "tag": a.tag, "tdMode": a.td_mode, "tgtCcy": "",
        "timeInterval": "", "tpOrdPx": _ord_px(a.tp_ord_px), "tpTriggerPx": num(a.tp_trigger_px),
        "tpTriggerPxType": a.tp_trigger_px_type, "triggerPx": num(a.trigger_px), "triggerPxType": a.trigger_px_type,
        "triggerTime": str(a.trigger_time) if a.trigger_time else "", "uTime": str(a.u_time),
    }


def fill(f: SimFill) -> Json:
    return {
        "side": f.side, "fillSz": num(f.sz), "fillPx": num(f.px), "fillPxVol": "", "fillFwdPx": "", "fee": num(f.fee),
        "fillPnl": num(f.pnl), "ordId": f.ord_id, "feeRate": num(f.fee_rate), "instType": "SWAP", "fillPxUsd": "",
        "instId": f.inst_id, "clOrdId": f.cl_ord_id, "posSide": f.pos_side, "billId": f.bill_id, "fillMarkVol": "",
        "tag": f.tag, "fillTime": str(f.ts), "execType": f.exec_type, "fillIdxPx": "", "tradeId": f.trade_id,
        "fillMarkPx": "", "feeCcy": "USDT", "ts": str(f.ts),
    }


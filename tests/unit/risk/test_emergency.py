"""The EMERGENCY HALT action list: what it plans, that one failure does not stop the rest, and
that it reports what is still open. (Executed against the simulator in tests/integration/risk.)"""

from __future__ import annotations

from decimal import Decimal

from tests.kit import risk as kit
from trading_bot.domain.orders import AlgoOrder
from trading_bot.exchange.errors import ExchangeUnavailable, NotFound
from trading_bot.risk import emergency


class RecordingVenue:
    """Just enough of an exchange to observe the calls: positions and orders vanish when closed
    or cancelled; `fail` names instruments whose close fails."""

    def __init__(self, positions, orders, algos=(), fail=()) -> None:  # noqa: ANN001
        self._positions, self._orders, self._algos = list(positions), list(orders), list(algos)
        self.fail, self.calls = set(fail), []

    def positions(self, inst_id=None):  # noqa: ANN001, ANN201
        return list(self._positions)

    def pending_orders(self, inst_id=None):  # noqa: ANN001, ANN201
        return list(self._orders)

    def pending_algo_orders(self, inst_id=None):  # noqa: ANN001, ANN201
        return list(self._algos)

    def cancel_order(self, inst_id, ord_id=None, cl_ord_id=None) -> None:  # noqa: ANN001
        self.calls.append(("cancel", ord_id))
        if not any(o.ord_id == ord_id for o in self._orders):
            raise NotFound("51400", "gone")
        self._orders = [o for o in self._orders if o.ord_id != ord_id]

    def close_position(self, inst_id, pos_side, mgn_mode, cl_ord_id=None) -> None:  # noqa: ANN001
        self.calls.append(("close", inst_id))
        if inst_id in self.fail:
            raise ExchangeUnavailable("50001", "service temporarily unavailable")
        self._positions = [p for p in self._positions if p.inst_id != inst_id]

    def cancel_algo_orders(self, inst_id, algo_ids) -> None:  # noqa: ANN001
        self.calls.append(("cancel_algos", inst_id, tuple(algo_ids)))
        self._algos = [a for a in self._algos if a.algo_id not in algo_ids]


def _order(ord_id: str, inst_id: str, reduce_only: bool = False):  # noqa: ANN202
    return kit.pending_order(inst_id, "buy", reduce_only=reduce_only).model_copy(update={"ord_id": ord_id})


def _algo(algo_id: str, inst_id: str) -> AlgoOrder:
    return AlgoOrder(algo_id=algo_id, algo_cl_ord_id=None, inst_id=inst_id, ord_type="oco", side="sell",
                     pos_side="long", size=None, sl_trigger_px=Decimal(1), tp_trigger_px=Decimal(2), state="live",
                     created_at=kit.NOW)


def test_the_plan_cancels_entries_before_closing_every_position():
    positions = [kit.position(kit.BTC, "long", "1", "50000"), kit.position(kit.ETH, "short", "2", "3000")]
    orders = [_order("e1", kit.SOL), _order("r1", kit.BTC, reduce_only=True)]
    actions = emergency.plan(orders, positions)
    assert [(a.kind, a.inst_id) for a in actions] == [
        ("cancel_entry", kit.SOL), ("close_position", kit.BTC), ("close_position", kit.ETH)]


def test_flatten_closes_everything_and_cleans_up_after():
    venue = RecordingVenue([kit.position(kit.BTC, "long", "1", "50000")],
                           [_order("e1", kit.ETH), _order("r1", kit.BTC, reduce_only=True)], [_algo("a1", kit.BTC)])
    report = emergency.flatten(venue)
    assert report.flat and not report.failures
    assert venue.calls == [("cancel", "e1"), ("close", kit.BTC), ("cancel", "r1"), ("cancel_algos", kit.BTC, ("a1",))]
    assert report.summary() == "4/4 emergency actions succeeded; flat"


def test_one_failure_does_not_stop_the_rest_and_the_report_says_what_is_open():
    venue = RecordingVenue([kit.position(kit.BTC, "long", "1", "50000"), kit.position(kit.ETH, "long", "1", "3000")],
                           [], [_algo("a1", kit.BTC), _algo("a2", kit.ETH)], fail={kit.BTC})
    report = emergency.flatten(venue)
    assert not report.flat and [p.inst_id for p in report.open_positions] == [kit.BTC]
    assert [o.action.inst_id for o in report.failures] == [kit.BTC]
    assert "ExchangeUnavailable" in report.failures[0].error
    # the BTC stop-loss stays while BTC is still open; ETH's leftovers go
    assert ("cancel_algos", kit.ETH, ("a2",)) in venue.calls and all(c[1] != kit.BTC for c in venue.calls[2:])
    venue.fail.clear()
    assert emergency.flatten(venue).flat  # safe to run again


def test_something_already_gone_counts_as_done():
    venue = RecordingVenue([], [_order("e1", kit.ETH)])
    action = emergency.plan([_order("ghost", kit.ETH)], [])[0]
    assert emergency.execute(venue, [action])[0].ok

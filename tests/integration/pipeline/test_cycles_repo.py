from datetime import UTC, datetime, timedelta
from decimal import Decimal

from trading_bot.storage.repos import cycles


def test_cycle_lifecycle_timeline_and_slot_dedupe(database) -> None:
    t0 = datetime(2026,1,5,12,0,5,tzinfo=UTC)
    assert cycles.start_cycle(database, "c1", "BTC-USDT-SWAP", "beat", t0, t0)
    assert not cycles.start_cycle(database, "c1", "BTC-USDT-SWAP", "beat", t0, t0)
    assert not cycles.start_cycle(database, "c1b", "BTC-USDT-SWAP", "beat", t0, t0)  # same slot
    cycles.record_stage(database, "c1", "COLLECTING", t0, t0+timedelta(milliseconds=12), "ok", {"x":1}, snapshot={"a":1})
    cycles.record_stage(database, "c1", "SCREENING", t0, t0+timedelta(milliseconds=20), "signal", screener_signal=True)
    cycles.finish_cycle(database, "c1", t0+timedelta(seconds=1), "hold", Decimal("0.0123"))
    row = cycles.get_cycle(database, "c1")
    assert [e["stage"] for e in row.timeline] == ["COLLECTING", "SCREENING"]
    assert row.timeline[0]["ms"] == 12.0 and row.snapshot == {"a":1} and row.screener_signal is True
    assert row.outcome == "hold" and row.latency_ms == 1000 and row.stage == "DONE"

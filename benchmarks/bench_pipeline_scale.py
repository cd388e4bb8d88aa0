"""How many instruments' cycles complete inside one 300 s interval when the analysis takes 20 s (an
Opus-like latency), with the roles' default worker settings (goal ≥ 50).

The fake Anthropic API in this process delays every analysis call by BENCH_SCALE_DELAY seconds
(default 20) and passes every screen; real processes: `trading-bot sim` (synthetic, speed 1),
ws-public, worker-market, worker-brain (threads, -c 8), worker-trade. The simulator lists three
instruments (BTC, ETH, SOL), so BENCH_SCALE_CYCLES cycles (default 130) stand for as many
instruments: each is a beat cycle of its own slot on one of the three, collected (snapshot built)
in this process beforehand, then all are handed to `pipeline.screen` at once, as beat's ticks would
at the start of an interval. Counted: cycles finished (any outcome but error) within 300 s.
Bound: worker-brain runs 8 analyses at a time, so at most 8 × 300 / 20 = 120 per interval.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from datetime import timedelta

from benchmarks.pipeline_stack import errors_of, pipeline_stack, start_roles, wait_for_market

CYCLES = int(os.environ.get("BENCH_SCALE_CYCLES", "130"))
DELAY = float(os.environ.get("BENCH_SCALE_DELAY", "20"))
INTERVAL = 300.0
INSTRUMENTS = ("BTC-USDT-SWAP", "ETH-USDT-SWAP", "SOL-USDT-SWAP")


def main() -> None:
    from sqlalchemy import select

    from trading_bot.celery_app import app, configure
    from trading_bot.pipeline import collect
    from trading_bot.pipeline.ids import cycle_id_for
    from trading_bot.pipeline.schedule import slot_for
    from trading_bot.pipeline.wiring import build_live_ports
    from trading_bot.storage.models import DecisionCycle

    with pipeline_stack(analysis_delay=DELAY, INSTRUMENTS=",".join(INSTRUMENTS)) as (stack, fake):
        start_roles(stack)
        settings = stack.settings
        configure(settings)
        ports = build_live_ports(settings)
        wait_for_market(stack, INSTRUMENTS)

        base = slot_for(ports.clock.now(), settings.cycle_seconds, settings.cycle_offset_seconds)
        ids: list[str] = []
        prepared = time.monotonic()
        for number in range(CYCLES):
            inst = INSTRUMENTS[number % len(INSTRUMENTS)]
            slot = base - timedelta(seconds=settings.cycle_seconds * (number // len(INSTRUMENTS)))
            cycle = collect.start(ports, inst, cycle_id_for(inst, slot), slot, "beat")
            assert cycle is not None and collect.collect(ports, cycle) is None, "collect went on to screening"
            ids.append(cycle.id)
        print(f"{CYCLES} cycles collected in {time.monotonic() - prepared:.1f}s; analysis delay {DELAY:g}s")

        started = time.time()
        for cycle_id in ids:
            app.send_task("pipeline.screen", args=[cycle_id])
        done: dict[str, tuple[float, str]] = {}
        while time.time() - started < INTERVAL + 5 and len(done) < CYCLES:
            with ports.db.session() as session:
                rows = session.execute(select(DecisionCycle.id, DecisionCycle.outcome).where(
                    DecisionCycle.finished_at.is_not(None), DecisionCycle.id.in_(ids))).all()
            for cycle_id, outcome in rows:
                if cycle_id not in done:
                    done[cycle_id] = (time.time() - started, outcome or "-")
            time.sleep(0.5)

        inside = [t for t, outcome in done.values() if t <= INTERVAL and outcome != "error"]
        outcomes = Counter(outcome for t, outcome in done.values() if t <= INTERVAL)
        errors = outcomes.get("error", 0)
        analyses = sum(1 for r in fake.requests if "haiku" not in str(r.body.get("model")))
        print(f"cycles finished within {INTERVAL:.0f}s: {len(inside)} of {CYCLES} "
              f"(besides {errors} errors); outcomes {dict(outcomes)}")
        if inside:
            print(f"last one inside at {max(inside):.1f}s; analyses requested {analyses}; "
                  f"throughput {len(inside) / max(inside) * 60:.1f} cycles/min "
                  f"(bound 8 threads × 60 / {DELAY:g}s = {8 * 60 / DELAY:.0f}/min)")
        with ports.db.session() as session:
            rules = Counter(str((verdict or {}).get("rule")) for verdict in session.scalars(
                select(DecisionCycle.verdict).where(DecisionCycle.outcome == "rejected", DecisionCycle.id.in_(ids))))
        if rules:
            print(f"  rejections by rule (the gate saw the same account for every cycle): {dict(rules)}")
        for error, count in errors_of(stack, ids).most_common(3):
            print(f"  error ×{count}: {error}")
        print(f"goal ≥ 50 instruments per {INTERVAL:.0f}s interval: {'met' if len(inside) >= 50 else 'NOT met'}")


if __name__ == "__main__":
    main()

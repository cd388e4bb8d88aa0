"""The Celery pipeline's own overhead: from the send of `pipeline.start_cycle` (what beat does on its
tick) to the entry order created on the simulator, over BENCH_PIPELINE_CYCLES cycles (default 200;
goal p50 ≤ 100 ms, p99 ≤ 500 ms). Real processes: `trading-bot sim` (synthetic, speed 1), ws-public,
worker-market, worker-brain, worker-trade; the brain is Claude's code path against an in-process
fake Anthropic API that answers at once with a long entry, so every cycle places an order; the
position is closed between cycles so the risk gate approves the next one.

Cycles are sent with trigger "manual" (the same task, path and queues as beat's, one per second:
ids have second resolution), so the screener is bypassed as on a manual trigger; with beat's
trigger it makes one more (instant, fake) Haiku call. Times: this process's wall clock at the send,
the simulator's order creation time (venue clock = wall clock at speed 1, offset measured).
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter, defaultdict

from benchmarks.pipeline_stack import errors_of, pipeline_stack, start_roles, summary, wait_for_market

CYCLES = int(os.environ.get("BENCH_PIPELINE_CYCLES", "200"))
WARMUP = 3  # the first task of each worker builds its ports (connections, brain): not measured
INST = "BTC-USDT-SWAP"


def main() -> None:
    from sqlalchemy import func, select

    from trading_bot.celery_app import app, configure
    from trading_bot.exchange import orders
    from trading_bot.exchange.factory import shared_okx
    from trading_bot.storage.db import Database
    from trading_bot.storage.models import DecisionCycle

    with pipeline_stack(INSTRUMENTS=INST) as (stack, _fake):
        start_roles(stack)
        settings = stack.settings
        configure(settings)
        db = Database.from_settings(settings)
        exchange = shared_okx(settings)
        wait_for_market(stack, (INST,))
        offset = stack.venue_offset()
        print(f"roles up; venue clock - wall clock = {offset * 1000:+.1f} ms")

        def finished() -> int:
            with db.session() as session:
                return session.scalar(select(func.count()).select_from(DecisionCycle)
                                      .where(DecisionCycle.finished_at.is_not(None))) or 0

        def started() -> int:
            with db.session() as session:
                return session.scalar(select(func.count()).select_from(DecisionCycle)) or 0

        resent = 0
        latencies: list[float] = []
        to_finish: list[float] = []
        stages: dict[str, list[float]] = defaultdict(list)
        outcomes: Counter[str] = Counter()
        rejections: Counter[str] = Counter()
        previous = 0.0
        for number in range(WARMUP + CYCLES):
            # a manual cycle's id is its venue second: send once the venue clock is well into a new one
            time.sleep(max(0.0, int(previous + offset) + 1.2 - offset - time.time()))
            done, created = finished(), started()
            previous = time.time()
            app.send_task("pipeline.start_cycle", args=[INST], kwargs={"trigger": "manual"})
            while started() == created:  # the venue second may still be the last cycle's: its id is taken
                if time.time() - previous > 3:
                    resent += 1
                    time.sleep(0.3)
                    previous = time.time()
                    app.send_task("pipeline.start_cycle", args=[INST], kwargs={"trigger": "manual"})
                time.sleep(0.005)
            limit = time.monotonic() + 60
            while finished() == done:
                if time.monotonic() > limit:
                    tails = "\n".join(f"--- {key}:\n{proc.output[-1500:]}" for key, proc in stack.procs.items())
                    raise RuntimeError(f"cycle {number} did not finish within 60 s\n{tails}")
                time.sleep(0.01)
            with db.session() as session:
                row = session.scalars(select(DecisionCycle).order_by(DecisionCycle.finished_at.desc())).first()
            assert row is not None
            for position in exchange.positions(INST):
                orders.close(exchange, position)
            if number < WARMUP:
                continue
            outcomes[row.outcome or "-"] += 1
            if row.outcome == "rejected":
                rejections[f"{(row.verdict or {}).get('rule')}: {(row.verdict or {}).get('reason')}"[:200]] += 1
            if row.outcome != "filled" or row.cl_ord_id is None:
                continue
            order = exchange.get_order(INST, cl_ord_id=row.cl_ord_id)
            assert order is not None
            latencies.append((order.created_at.timestamp() - offset - previous) * 1000)
            to_finish.append((row.finished_at.timestamp() - offset - previous) * 1000)
            for entry in row.timeline:
                stages[entry["stage"]].append(float(entry["ms"]))
            if row.started_at is not None:
                stages["(send → COLLECTING starts)"].append(
                    (row.started_at.timestamp() - offset - previous) * 1000)

        print(f"cycles: {sum(outcomes.values())}  outcomes: {dict(outcomes)}  (sends repeated for a taken id: {resent})")
        for reason, count in rejections.most_common(3):
            print(f"  rejected ×{count}: {reason}")
        for error, count in errors_of(stack).most_common(3):
            print(f"  error ×{count}: {error}")
        if latencies:
            print(f"start_cycle sent → entry order created on the sim ({len(latencies)} orders): {summary(latencies)}")
            print(f"start_cycle sent → cycle finished (filled, journaled):          {summary(to_finish)}")
            print("median per stage (ms): " + ", ".join(
                f"{name} {statistics.median(values):.1f}" for name, values in stages.items()))
            verdict = statistics.median(latencies) <= 100 and sorted(latencies)[int(0.99 * len(latencies)) - 1] <= 500
            print(f"goal p50 ≤ 100 ms and p99 ≤ 500 ms: {'met' if verdict else 'NOT met'}")


if __name__ == "__main__":
    main()

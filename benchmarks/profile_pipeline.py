"""Profile live cycles: `python -m benchmarks.profile_pipeline [SECONDS]` (default 30).

The stack of `bench_pipeline_latency` (simulator, ws-public and the three Celery workers, Claude's
code path against the fake Anthropic API), one manual cycle a second (its position closed again
before the next, so every cycle is an approved entry), while py-spy samples every
worker (its pool children too) at 200 Hz. Prints, per worker, the share of its busy samples
inside each function of the bot (inclusive), and writes the raw stacks to /tmp/pipeline-<worker>.txt
(collapsed stacks: flamegraph.pl or speedscope read them). py-spy attaches with ptrace: run as
root or allow it (`kernel.yama.ptrace_scope=0`).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from benchmarks.pipeline_stack import pipeline_stack, start_roles, wait_for_market

INST = "BTC-USDT-SWAP"
WORKERS = ("worker-market", "worker-brain", "worker-trade")
OURS = re.compile(r"\((?:trading_bot/)?(pipeline|risk|storage|market|exchange|brain|domain)/[^)]*\)")


def shares(raw: Path, top: int = 25) -> tuple[int, list[tuple[str, float]]]:
    """(samples inside a pipeline step, [(function, inclusive share)]) from py-spy's raw output."""
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any("_run_step" in frame for frame in frames):
            continue
        total += int(count)
        for name in {re.sub(r":\d+\)", ")", frame) for frame in frames if OURS.search(frame)}:
            inclusive[name] += int(count)
    return total, [(name, n / total) for name, n in inclusive.most_common(top)] if total else []


def main(argv: list[str]) -> None:
    seconds = float(argv[0]) if argv else 30.0
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    from trading_bot.celery_app import app, configure
    from trading_bot.exchange import orders
    from trading_bot.exchange.factory import shared_okx

    with pipeline_stack(INSTRUMENTS=INST) as (stack, _fake):
        start_roles(stack)
        configure(stack.settings)
        wait_for_market(stack, (INST,))
        exchange = shared_okx(stack.settings)
        stop = threading.Event()

        def send_cycles() -> None:
            while not stop.is_set():
                app.send_task("pipeline.start_cycle", args=[INST], kwargs={"trigger": "manual"})
                stop.wait(1.1)
                for position in exchange.positions(INST):
                    orders.close(exchange, position)

        sender = threading.Thread(target=send_cycles, daemon=True)
        sender.start()
        time.sleep(3)  # the first task of each worker builds its ports: not profiled
        outputs = {name: Path(f"/tmp/pipeline-{name}.txt") for name in WORKERS}
        spies = [subprocess.Popen([spy, "record", "--subprocesses", "-p", str(stack.procs[name].popen.pid),
                                   "-d", str(int(seconds)), "-r", "200", "-f", "raw", "-o", str(path)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for name, path in outputs.items()]
        for process in spies:
            _, err = process.communicate(timeout=seconds + 60)
            if process.returncode != 0:
                raise SystemExit(f"py-spy failed: {err.decode()[-500:]}")
        stop.set()
        sender.join()
    for name, path in outputs.items():
        total, top = shares(path)
        print(f"--- {name}: {total} samples in pipeline steps ({total / 200 * 1000:.0f} ms busy in {seconds:.0f} s); "
              f"raw stacks in {path}")
        for function, share in top:
            print(f"  {share * 100:5.1f} %  {function[:120]}")


if __name__ == "__main__":
    main(sys.argv[1:])

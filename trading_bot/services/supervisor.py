"""A small honcho-style supervisor: starts each role in its own process group, prefixes its
output, restarts a role that dies (with backoff), and on stop sends SIGTERM to every group, then
SIGKILL to whatever is still alive after the grace period, so no process is left behind.

A role that cannot work is not started in a loop: its preflight check (settings it needs, a port it
listens on) runs before every start, and a role that exits with CONFIG_EXIT_CODE (a configuration
error only it could detect) stays down. Either is said in one line, the other roles run on, and
`stop()` lists every role that is not running and why."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from trading_bot.config import CONFIG_EXIT_CODE
from trading_bot.logs import redact_text

RESTART_BACKOFF_MAX = 30.0


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    restart: bool = True
    preflight: Callable[[], str | None] | None = None  # why it cannot start now (one line), or None


def resolve_command(command: str) -> list[str]:
    """Procfile command → argv that runs `celery` / `trading-bot` from this interpreter's venv."""
    argv = shlex.split(command)
    if argv[0] == "celery":
        return [sys.executable, "-m", "celery", *argv[1:]]
    if argv[0] == "trading-bot":
        return [sys.executable, "-m", "trading_bot", *argv[1:]]
    return argv


@dataclass
class _Running:
    spec: ProcessSpec
    process: subprocess.Popen[bytes] | None  # None: never started (its preflight failed)
    started: float
    restarts: int = 0
    next_start: float | None = None
    pump: threading.Thread | None = None
    last_line: str = ""  # of its output: a configuration error's reason
    failed: str | None = None  # why it is down for good


class Supervisor:
    def __init__(self, specs: list[ProcessSpec], out: IO[str] | None = None, grace_seconds: float = 6.0) -> None:
        self._specs = specs
        self._out = out or sys.stdout
        self._grace = grace_seconds
        self._running: dict[str, _Running] = {}
        self._print_lock = threading.Lock()
        self._stop = threading.Event()
        self._width = max((len(s.name) for s in specs), default=6)

    # --- output ----------------------------------------------------------------------------
    def say(self, name: str, line: str) -> None:
        with self._print_lock:
            self._out.write(f"{name:<{self._width}} | {redact_text(line.rstrip())}\n")
            self._out.flush()

    def _pump(self, item: _Running, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace")
            if line.strip():
                item.last_line = line.strip()
            self.say(item.spec.name, line)
        stream.close()

    # --- lifecycle -------------------------------------------------------------------------
    def _spawn(self, item: _Running, verb: str) -> None:
        """Start the role unless its preflight check says it cannot work; then it stays down."""
        spec = item.spec
        problem = spec.preflight() if spec.preflight is not None else None
        if problem is not None:
            self._give_up(item, problem, f"{spec.name}: {problem}; not {verb}")
            return
        env = {**os.environ, **spec.env, "PYTHONUNBUFFERED": "1"}
        item.process = subprocess.Popen(
            spec.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # own process group: we can signal the role and its children
        )
        item.started = time.monotonic()
        item.next_start = None
        assert item.process.stdout is not None
        item.pump = threading.Thread(target=self._pump, args=(item, item.process.stdout), daemon=True)
        item.pump.start()
        self.say("run", f"started {spec.name} (pid {item.process.pid})")

    def _give_up(self, item: _Running, reason: str, line: str) -> None:
        item.failed = reason
        item.next_start = float("inf")
        self.say("run", line)

    def start(self) -> None:
        for spec in self._specs:
            item = self._running[spec.name] = _Running(spec, None, time.monotonic())
            self._spawn(item, "starting it")

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @property
    def failed(self) -> dict[str, str]:
        """Roles down for good → why."""
        return {name: item.failed for name, item in self._running.items() if item.failed is not None}

    @property
    def all_down(self) -> bool:
        """Every role is down for good: nothing is left to supervise."""
        return len(self.failed) == len(self._running)

    def run_until_stopped(self, on_tick: Callable[[], None] | None = None, tick: float = 0.5) -> None:
        """Supervise until request_stop() or until every role is down for good."""
        while not self._stop.wait(tick):
            self._check_children()
            if self.all_down:
                self.say("run", "no role left to run")
                return
            if on_tick is not None:
                on_tick()

    def _check_children(self) -> None:
        now = time.monotonic()
        for item in self._running.values():
            if item.failed is not None or item.process is None:  # down for good
                continue
            code = item.process.poll()
            if code is None:
                continue
            if item.next_start is None:
                self._exited(item, code, now)
            elif now >= item.next_start:
                item.restarts += 1
                self._spawn(item, "restarting")

    def _exited(self, item: _Running, code: int, now: float) -> None:
        name = item.spec.name
        if code == CONFIG_EXIT_CODE:
            if item.pump is not None:
                item.pump.join(timeout=1)  # its last line, the reason, may still be in the pipe
            self._give_up(item, f"exited with code {code}" + (f": {item.last_line}" if item.last_line else ""),
                          f"{name} exited with code {code} (a configuration error); not restarting")
            return
        if now - item.started > 60:
            item.restarts = 0
        delay = min(RESTART_BACKOFF_MAX, 2.0 ** item.restarts)
        self.say("run", f"{name} exited with code {code}; "
                 + (f"restarting in {delay:.0f}s" if item.spec.restart else "not restarting"))
        item.next_start = now + delay if item.spec.restart else float("inf")

    def stop(self) -> None:
        """SIGTERM every process group, wait up to the grace period, then SIGKILL the rest; then one
        line per role that was not running, and why."""
        self._stop.set()
        began = time.monotonic()
        started = {name: item.process for name, item in self._running.items() if item.process is not None}
        for process in started.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + self._grace
        for name, process in started.items():
            remaining = max(0.0, deadline - time.monotonic())
            try:
                process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self.say("run", f"{name} did not stop in {self._grace:.0f}s; killing it")
        for process in started.values():
            _signal_group(process, signal.SIGKILL)  # leftovers of the group (pool children)
            try:
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        self.say("run", f"all roles stopped in {time.monotonic() - began:.1f}s")
        for name, reason in self.failed.items():
            self.say("run", f"not running: {name} — {reason}")

    def pids(self) -> dict[str, int]:
        return {name: item.process.pid for name, item in self._running.items() if item.process is not None}


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass

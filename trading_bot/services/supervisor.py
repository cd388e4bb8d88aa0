"""A small honcho-style supervisor: starts each role in its own process group, prefixes its
output, restarts a role that dies (with backoff), and on stop sends SIGTERM to every group, then
SIGKILL to whatever is still alive after the grace period, so no process is left behind."""

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

from trading_bot.logs import redact_text

RESTART_BACKOFF_MAX = 30.0


@dataclass
class ProcessSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    restart: bool = True


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
    process: subprocess.Popen[bytes]
    started: float
    restarts: int = 0
    next_start: float | None = None


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

    def _pump(self, name: str, stream: IO[bytes]) -> None:
        for raw in iter(stream.readline, b""):
            self.say(name, raw.decode("utf-8", errors="replace"))
        stream.close()

    # --- lifecycle -------------------------------------------------------------------------
    def _spawn(self, spec: ProcessSpec) -> subprocess.Popen[bytes]:
        env = {**os.environ, **spec.env, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            spec.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # own process group: we can signal the role and its children
        )
        assert process.stdout is not None
        threading.Thread(target=self._pump, args=(spec.name, process.stdout), daemon=True).start()
        self.say("run", f"started {spec.name} (pid {process.pid})")
        return process

    def start(self) -> None:
        for spec in self._specs:
            self._running[spec.name] = _Running(spec, self._spawn(spec), time.monotonic())

    def request_stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_until_stopped(self, on_tick: Callable[[], None] | None = None, tick: float = 0.5) -> None:
        while not self._stop.wait(tick):
            self._check_children()
            if on_tick is not None:
                on_tick()

    def _check_children(self) -> None:
        now = time.monotonic()
        for item in self._running.values():
            code = item.process.poll()
            if code is None:
                continue
            if item.next_start is None:
                uptime = now - item.started
                if uptime > 60:
                    item.restarts = 0
                delay = min(RESTART_BACKOFF_MAX, 2.0 ** item.restarts)
                self.say("run", f"{item.spec.name} exited with code {code}; "
                         + (f"restarting in {delay:.0f}s" if item.spec.restart else "not restarting"))
                item.next_start = now + delay if item.spec.restart else float("inf")
            elif now >= item.next_start:
                item.restarts += 1
                item.process = self._spawn(item.spec)
                item.started = now
                item.next_start = None

    def stop(self) -> None:
        """SIGTERM every process group, wait up to the grace period, then SIGKILL the rest."""
        self._stop.set()
        began = time.monotonic()
        for item in self._running.values():
            _signal_group(item.process, signal.SIGTERM)
        deadline = time.monotonic() + self._grace
        for item in self._running.values():
            remaining = max(0.0, deadline - time.monotonic())
            try:
                item.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                self.say("run", f"{item.spec.name} did not stop in {self._grace:.0f}s; killing it")
        for item in self._running.values():
            _signal_group(item.process, signal.SIGKILL)  # leftovers of the group (pool children)
            try:
                item.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        self.say("run", f"all roles stopped in {time.monotonic() - began:.1f}s")

    def pids(self) -> dict[str, int]:
        return {name: item.process.pid for name, item in self._running.items()}


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass

"""Roles under the product's own supervisor (`trading-bot run --only …`), for tests of what happens
when something dies: the supervisor restarts what exits, as it does for users, and the test can
read each role's lines, find its current pid and kill it.

    with running_stack(...) as stack:
        stack.start_sim()
        run = supervise(stack, "beat", "worker-market", "ws-public")
        run.wait_for("ws-public", "ws_connected")
        run.kill("ws-public")                      # SIGKILL to the role's process group
"""

from __future__ import annotations

import os
import re
import signal
import time

from tests.kit.processes import Proc, python_module
from tests.kit.stack import READY, Stack

_LINE = re.compile(r"^(?P<role>[\w-]+)\s*\| (?P<text>.*)$")
_STARTED = re.compile(r"^started (?P<role>[\w-]+) \(pid (?P<pid>\d+)\)$")


class Supervised:
    def __init__(self, proc: Proc, roles: tuple[str, ...]) -> None:
        self.proc = proc
        self.roles = roles

    def lines(self, role: str | None = None) -> list[str]:
        """The lines one role printed (or all, prefixed), in order."""
        found = []
        for line in list(self.proc.lines):
            match = _LINE.match(line)
            if match is None:
                continue
            if role is None:
                found.append(line)
            elif match["role"] == role:
                found.append(match["text"])
        return found

    def pid(self, role: str) -> int:
        pids = [int(m["pid"]) for m in map(_STARTED.match, self.lines("run")) if m and m["role"] == role]
        if not pids:
            raise AssertionError(f"{role} was never started:\n" + "\n".join(self.lines()[-50:]))
        return pids[-1]

    def starts(self, role: str) -> int:
        return sum(1 for m in map(_STARTED.match, self.lines("run")) if m and m["role"] == role)

    def kill(self, role: str, sig: int = signal.SIGKILL) -> int:
        """Signal the role's process group (its pool children too); returns the pid hit."""
        pid = self.pid(role)
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        return pid

    def wait_for(self, role: str, text: str, timeout: float = 120, after: int = 0) -> None:
        """Until `role` printed a line containing `text` (among its lines from index `after` on)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines(role)[after:]):
                return
            if self.proc.popen.poll() is not None:
                raise AssertionError(f"trading-bot run exited with {self.proc.popen.returncode}:\n"
                                     + "\n".join(self.lines()[-80:]))
            time.sleep(0.2)
        raise AssertionError(f"{role}: no line with {text!r} within {timeout:.0f} s; last lines:\n"
                             + "\n".join(self.lines()[-80:]))

    def wait_ready(self, timeout: float = 180) -> None:
        for role in self.roles:
            self.wait_for(role, READY.get(role, "ready."), timeout)


def supervise(stack: Stack, *roles: str, wait: bool = True) -> Supervised:
    """`trading-bot run --only ROLE…` in the stack's environment (the simulator, when wanted, is
    started by the stack beforehand: `run` then leaves it alone)."""
    argv = python_module("trading_bot", "run", "--grace", "3", *(a for role in roles for a in ("--only", role)))
    proc = stack.start("run", argv, ready=None)
    supervised = Supervised(proc, roles)
    if wait:
        supervised.wait_ready()
    return supervised

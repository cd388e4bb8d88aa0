"""The supervisor with real child processes: a crash is restarted with backoff, a configuration
error (exit code 2) or a failed preflight check is said once and the role stays down, while the
other roles run on."""

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psutil

from tests.kit.waiting import wait_until
from trading_bot.services.supervisor import ProcessSpec, Supervisor


class TimedOutput:
    """The supervisor's output, each line with the monotonic time it was written."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self.lines += [(time.monotonic(), line) for line in text.splitlines()]

    def flush(self) -> None:
        pass

    def text(self) -> str:
        with self._lock:
            return "\n".join(line for _, line in self.lines)

    def count(self, fragment: str) -> int:
        return self.text().count(fragment)

    def times(self, fragment: str) -> list[float]:
        with self._lock:
            return [at for at, line in self.lines if fragment in line]


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


@contextmanager
def supervising(specs: list[ProcessSpec]) -> Iterator[tuple[Supervisor, TimedOutput]]:
    out = TimedOutput()
    supervisor = Supervisor(specs, out=out, grace_seconds=2)  # type: ignore[arg-type]
    supervisor.start()
    thread = threading.Thread(target=supervisor.run_until_stopped, kwargs={"tick": 0.1}, daemon=True)
    thread.start()
    try:
        yield supervisor, out
    finally:
        supervisor.request_stop()
        thread.join(timeout=5)
        supervisor.stop()


def test_a_crash_is_restarted_with_backoff_but_a_configuration_error_is_final() -> None:
    specs = [
        ProcessSpec("crasher", _python("import sys; print('boom'); sys.exit(1)")),
        ProcessSpec("misconfigured", _python(
            "import sys; print('configuration error: SOME_SETTING: expected a number', file=sys.stderr); sys.exit(2)")),
        ProcessSpec("steady", _python("import time; time.sleep(120)")),
    ]
    with supervising(specs) as (supervisor, out):
        wait_until(lambda: out.count("crasher exited with code 1; restarting in 2s") == 1, timeout=20,
                   what="the crasher's second exit", detail=out.text)
        time.sleep(1.0)  # a restart of the role that exited 2 would have come with the crasher's (after 1 s)
        starts = out.times("started crasher")
        assert len(starts) == 2, out.text()
        assert starts[1] - starts[0] >= 1.0  # the first backoff
        assert out.count("crasher exited with code 1; restarting in 1s") == 1
        assert out.count("started misconfigured") == 1, out.text()
        assert out.count("misconfigured exited with code 2 (a configuration error); not restarting") == 1
        assert out.count("SOME_SETTING") == 1  # the role's own line, said once
        steady = psutil.Process(supervisor.pids()["steady"])
        assert steady.is_running() and steady.status() != psutil.STATUS_ZOMBIE
        assert out.count("started steady") == 1
    assert supervisor.failed == {
        "misconfigured": "exited with code 2: configuration error: SOME_SETTING: expected a number"}
    assert out.text().splitlines()[-1] == (
        "run           | not running: misconfigured — exited with code 2: configuration error: SOME_SETTING: "
        "expected a number")


def test_a_failed_preflight_check_keeps_the_role_down_before_its_first_start_or_a_restart() -> None:
    checks = iter([None, "port 9 on 127.0.0.1 is taken (FLAKY_PORT)"])
    specs = [
        ProcessSpec("blocked", _python("print('never')"), preflight=lambda: "FOO_URL: expected a URL"),
        ProcessSpec("flaky", _python("import sys; sys.exit(1)"), preflight=lambda: next(checks)),
        ProcessSpec("steady", _python("import time; time.sleep(120)")),
    ]
    with supervising(specs) as (supervisor, out):
        wait_until(lambda: "flaky: port 9" in out.text(), timeout=20, what="flaky's restart check",
                   detail=out.text)
        assert out.count("blocked: FOO_URL: expected a URL; not starting it") == 1
        assert out.count("started blocked") == 0 and "never" not in out.text()
        assert out.count("started flaky") == 1
        assert out.count("flaky exited with code 1; restarting in 1s") == 1
        assert out.count("flaky: port 9 on 127.0.0.1 is taken (FLAKY_PORT); not restarting") == 1
        assert not supervisor.all_down
    assert supervisor.failed == {"blocked": "FOO_URL: expected a URL",
                                 "flaky": "port 9 on 127.0.0.1 is taken (FLAKY_PORT)"}


def test_supervising_ends_by_itself_when_every_role_is_down_for_good() -> None:
    out = TimedOutput()
    supervisor = Supervisor([ProcessSpec("misconfigured", _python("import sys; sys.exit(2)")),
                             ProcessSpec("blocked", ["true"], preflight=lambda: "BAR: required")],
                            out=out)  # type: ignore[arg-type]
    supervisor.start()
    began = time.monotonic()
    supervisor.run_until_stopped(tick=0.1)
    assert time.monotonic() - began < 10
    assert supervisor.all_down
    assert "no role left to run" in out.text()
    supervisor.stop()
    assert supervisor.failed == {"misconfigured": "exited with code 2", "blocked": "BAR: required"}

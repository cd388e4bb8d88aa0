"""`trading-bot backtest`: replay a candle file through the whole pipeline in this process (no
Celery, no Redis) and write summary.json, trades.csv, equity.csv and the HTML report; with
`--windows N` the period in N independent windows on Celery workers (cli/backtest_windows.py)."""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trading_bot.cli.common import bootstrap, console, embedded_for_command, err_console, fail
from trading_bot.clock import SystemClock, parse_iso
from trading_bot.config import CONFIG_EXIT_CODE, Settings
from trading_bot.logs import configure_from_settings

if TYPE_CHECKING:
    from trading_bot.backtest.database import BacktestDatabase
    from trading_bot.backtest.results import BacktestResults
    from trading_bot.backtest.runner import Backtest, BacktestOutcome, Plan

BRAINS = ("rules", "replay", "claude")
CYCLE_RE = re.compile(r"^(\d+)([smhd])$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_cycle(text: str) -> timedelta:
    match = CYCLE_RE.match(text.strip().lower())
    if not match or int(match.group(1)) <= 0:
        raise fail(f"--cycle: expected a duration such as 15m, 1h or 300s, got {text!r}", CONFIG_EXIT_CODE)
    return timedelta(seconds=int(match.group(1)) * UNIT_SECONDS[match.group(2)])


def _time(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        raise fail(f"{option}: expected an ISO-8601 time such as 2026-01-05T00:00:00Z, got {text!r}",
                   CONFIG_EXIT_CODE) from None


def _windows(text: str, brain: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        raise fail(f"--windows: expected a whole number of windows, at least 1, got {text!r}", CONFIG_EXIT_CODE)
    if count > 1 and brain != "rules":  # the spending confirmation and the recording are per run
        raise fail(f"--windows runs the rules brain only for now, not --brain {brain}: a Claude run's cost "
                   f"confirmation and its recorded calls (what a replay answers from) belong to one run",
                   CONFIG_EXIT_CODE)
    return count


def _equity(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value <= 0:
        raise fail(f"--equity: expected a positive amount of USDT, got {text!r}", CONFIG_EXIT_CODE)
    return value


class StopFlag:
    """First Ctrl-C: finish the current cycle, then stop with partial results; second: abort."""

    def __init__(self) -> None:
        self.set = False
        self._previous: Callable[[int, FrameType | None], Any] | int | None = None

    def __enter__(self) -> StopFlag:
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.set:
            raise KeyboardInterrupt
        self.set = True
        err_console.print("stopping after this cycle (Ctrl-C again to abort)…", markup=False)


def _training_warning(settings: Settings, start: datetime) -> None:
    try:
        cutoff = parse_iso(settings.model_training_cutoff)
    except ValueError:
        cutoff = None
    if cutoff is None or start <= cutoff:
        err_console.print(f"warning: the period starts {start:%Y-%m-%d}, before the model's training cutoff "
                          f"({settings.model_training_cutoff}, MODEL_TRAINING_CUTOFF): the model may know what "
                          f"happened next, so a Claude backtest of this period can look better than it is.",
                          markup=False)


def _confirm_cost(settings: Settings, cycles: int, yes: bool) -> None:
    from trading_bot.backtest.llm_estimate import estimate
    from trading_bot.brain.prices import PriceTable

    guess = estimate(cycles, PriceTable.load(settings.llm_price_file), settings.haiku_model, settings.opus_model,
                     settings.shadow_analysis_fraction)
    console.print(f"Claude backtest: {cycles} cycles → about {guess.calls} API calls ({guess.screener_calls} "
                  f"screens with {settings.haiku_model}, ~{guess.analyst_calls} analyses with {settings.opus_model}), "
                  f"estimated ${guess.cost_usd} (at most ${guess.cost_usd_max} if every cycle is analysed). "
                  f"Every call is recorded: replay it later for free with --brain replay.", markup=False)
    if not yes and not typer.confirm("Run it?", default=False):
        raise fail("cancelled: no API call was made")


def _summary_table(results: BacktestResults) -> Table:
    metrics = results.metrics
    trades, equity, bench = metrics.trades, metrics.equity, metrics.buy_and_hold
    table = Table(title=f"backtest {results.summary['run_id']}", show_header=True)
    table.add_column("metric")
    table.add_column("strategy", justify="right")
    table.add_column("buy & hold", justify="right")

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:,.2f} %"

    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:,.2f}"

    def pick(stats: object | None, name: str) -> Any:  # a float, or the drawdown record
        return None if stats is None else getattr(stats, name)

    table.add_row("total return", pct(pick(equity, "total_return")), pct(pick(bench, "total_return")))
    table.add_row("CAGR", pct(pick(equity, "cagr")), pct(pick(bench, "cagr")))
    table.add_row("Sharpe", num(pick(equity, "sharpe")), num(pick(bench, "sharpe")))
    table.add_row("Sortino", num(pick(equity, "sortino")), num(pick(bench, "sortino")))
    table.add_row("Calmar", num(pick(equity, "calmar")), num(pick(bench, "calmar")))
    dd = pick(equity, "max_drawdown")
    if dd is not None:
        when = f" ({dd.peak_ts:%Y-%m-%d %H:%M} → {dd.trough_ts:%Y-%m-%d %H:%M})" if dd.peak_ts and dd.trough_ts else ""
        table.add_row("max drawdown", f"{dd.amount:,.2f} USDT / {pct(dd.pct)}{when}",
                      pct(pick(pick(bench, "max_drawdown"), "pct")))
    table.add_row("trades (won / lost)", f"{trades.trades} ({trades.wins} / {trades.losses})", "")
    table.add_row("win rate", pct(trades.win_rate), "")
    table.add_row("profit factor", num(trades.profit_factor), "")
    table.add_row("expectancy", "-" if trades.expectancy is None else f"{trades.expectancy:,.2f} USDT", "")
    table.add_row("max consecutive wins / losses", f"{trades.max_consecutive_wins} / {trades.max_consecutive_losses}", "")
    table.add_row("average hold", "-" if trades.avg_hold is None else str(trades.avg_hold).split(".")[0], "")
    table.add_row("exposure", pct(metrics.exposure), "")
    table.add_row("net PnL", f"{trades.net_pnl:,.2f} USDT", "")
    table.add_row("fees / funding", f"{trades.fees:,.2f} / {trades.funding:,.2f} USDT", "")
    for name, stats in sorted(metrics.by_strategy.items()):
        table.add_row(f"  strategy {name}", f"{stats.trades} trades, {stats.net_pnl:,.2f} USDT", "")
    for name, stats in sorted(metrics.by_regime.items()):
        table.add_row(f"  regime {name}", f"{stats.trades} trades, {stats.net_pnl:,.2f} USDT", "")
    return table


def backtest_command(
    data: list[Path] = typer.Option(..., "--data", help="Candle file to replay (Feather, CSV.gz or OKX JSON); "
                                    "repeatable (several resolutions merge, finest first)."),
    funding: Path = typer.Option(None, "--funding", help="Funding-rate file; settlements it does not cover use "
                                 "the simulator's generated rate."),
    instrument: str = typer.Option("BTC-USDT-SWAP", "--instrument", help="Instrument to trade."),
    start: str = typer.Option(None, "--from", help="Start, ISO-8601 UTC (default: 35 days into the data, so the "
                              "4H indicators have history)."),
    end: str = typer.Option(None, "--to", help="End, ISO-8601 UTC (default: the end of the data)."),
    cycle: str = typer.Option("15m", "--cycle", help="Time between decision cycles (e.g. 15m, 1h, 300s)."),
    brain: str = typer.Option("rules", "--brain", help="rules (offline), claude (real API calls, recorded) or "
                              "replay (a recorded claude run answered from llm_calls, free)."),
    equity: str = typer.Option("10000", "--equity", help="Initial equity in USDT."),
    out: Path = typer.Option(None, "--out", help="Output directory (default backtests/<run id>)."),
    run_id: str = typer.Option(None, "--run-id", help="Run id in every table (default bt-<UTC timestamp>)."),
    keep: bool = typer.Option(False, "--keep", help="Keep the run's database (tb_<run id> on the configured "
                              "server) for Grafana and `trading-bot report --run-id`; always kept with --brain claude. "
                              "With --windows: each window's, on its worker's server."),
    replay: str = typer.Option(None, "--replay", help="With --brain replay: the run id of the recorded Claude "
                               "backtest whose calls answer this one."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before spending on API calls."),
    seed: int = typer.Option(0, "--seed", help="Seed of the shadow-analysis sampling."),
    verbose: bool = typer.Option(False, "--verbose", help="Log every stage at LOG_LEVEL (default: warnings only)."),
    windows: str = typer.Option("1", "--windows", metavar="N", help="Split the period into N consecutive windows of equal "
                                "numbers of cycles, each an independent backtest (run id <run id>-w<k>, its own "
                                "database, the initial --equity and the default playbook: nothing carries from one "
                                "window to the next), run as Celery tasks on the `backtest` queue by workers "
                                "started with `celery -A trading_bot.celery_app worker -Q backtest --disable-prefetch` "
                                "(on several machines at once). Files in <out>/w<k>/, the combined summary in "
                                "<out>/windows.json. Rules brain only. 1: the whole period in this process."),
) -> None:
    """Backtest: the venue replays the candles (fees, slippage, funding, stop-loss/take-profit inside
    the bars) and every cycle runs the live pipeline's stages, reviews and playbook updates in this
    process. Decisions at time t see only bars closed by t. Ctrl-C stops with partial results.
    With --windows N the period runs as N independent windows on `backtest` workers instead."""
    settings = bootstrap()
    if not verbose:  # one log line per stage would drown the progress bar (and cost time); before the
        # imports below, since module loggers bind the configuration in force when first imported
        configure_from_settings(settings.model_copy(update={"log_level": "WARNING"}))
    from trading_bot.backtest.database import backtest_database, ensure_new
    from trading_bot.backtest.runner import BacktestError, BacktestSpec, plan

    if brain not in BRAINS:
        raise fail(f"--brain: expected one of {', '.join(BRAINS)}, got {brain!r}", CONFIG_EXIT_CODE)
    window_count = _windows(windows, brain)
    settings = settings.model_copy(update={"brain_mode": brain})
    if brain == "claude":
        from trading_bot.brain.factory import resolve_mode

        resolve_mode(settings)  # ConfigError (exit 2) without ANTHROPIC_API_KEY
    period_start, period_end = _time("--from", start), _time("--to", end)
    if period_start and period_end and period_end <= period_start:
        raise fail("--to must be after --from", CONFIG_EXIT_CODE)
    run_id = run_id or f"bt-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    files = [str(p) for p in data] + ([str(funding)] if funding else [])
    spec = BacktestSpec(data=files, instrument=instrument, start=period_start, end=period_end,
                        cycle=parse_cycle(cycle), equity=_equity(equity), run_id=run_id, seed=seed)
    out_dir = out or Path("backtests") / run_id
    if brain == "replay" and not replay:
        raise fail("--brain replay needs --replay RUN_ID (the recorded Claude backtest)", CONFIG_EXIT_CODE)
    keep = keep or brain == "claude"  # the calls are the recording a replay answers from
    try:
        planned = plan(spec)
    except BacktestError as exc:
        raise fail(str(exc), CONFIG_EXIT_CODE) from None
    if window_count > 1:
        from trading_bot.cli.backtest_windows import plan_windows, run_windows

        run_windows(settings, plan_windows(planned, window_count, run_id, keep), out_dir, run_id, cycle)
        return
    if brain in ("claude", "replay"):
        _training_warning(settings, planned.exchange.server_time())
    if brain == "claude":
        _confirm_cost(settings, len(planned.slots), yes)
    with embedded_for_command(settings):
        try:
            ensure_new(settings.database_dsn(), run_id)
        except FileExistsError as exc:
            raise fail(str(exc), CONFIG_EXIT_CODE) from None
        with backtest_database(settings.database_dsn(), run_id, keep=keep) as target:
            results, outcome = _run_in(target, planned, settings, brain, replay, keep, yes, out_dir, run_id, cycle)
    console.print(_summary_table(results))
    if results.halt is not None:
        from trading_bot.backtest.results import halt_note

        console.print(halt_note(results.halt, outcome), markup=False, style="yellow")
    if outcome.stopped:
        console.print(f"stopped early: {outcome.cycles} of {outcome.planned} cycles (partial results)", markup=False)
    for path in results.files.values():
        console.print(f"  {path}", markup=False)


def _run_in(target: BacktestDatabase, planned: Plan, settings: Settings, brain: str, replay: str | None, keep: bool,
            yes: bool, out_dir: Path, run_id: str, cycle: str) -> tuple[BacktestResults, BacktestOutcome]:
    from trading_bot.backtest.database import NoRecording, copy_recorded_calls
    from trading_bot.backtest.kept_candles import keep_candles
    from trading_bot.backtest.results import write_results
    from trading_bot.backtest.runner import prepare, run

    if replay:
        try:
            copied = copy_recorded_calls(settings.database_dsn(), replay, target.db)
        except NoRecording as exc:
            raise fail(str(exc), CONFIG_EXIT_CODE) from None
        console.print(f"replaying run {replay}: {copied} recorded calls, no API call will be made", markup=False)
    backtest = prepare(planned, settings, target.db)
    console.print(f"backtest {run_id}: {planned.spec.instrument}, {backtest.start:%Y-%m-%d %H:%M} → "
                  f"{backtest.slots[-1]:%Y-%m-%d %H:%M} UTC, {len(backtest.slots)} cycles of {cycle}, "
                  f"brain {brain}, database {target.name}{'' if keep else ' (dropped at the end)'}", markup=False)
    outcome = _run_with_progress(backtest, run)
    if keep:
        keep_candles(backtest.exchange, planned.spec.instrument, outcome.start, outcome.end, target.db)
        target.db.commit()
    results = write_results(backtest, outcome, target.db, out_dir, brain, SystemClock().now(),
                            extra={"database": target.name if keep else None, "replay_of": replay})
    if keep:
        console.print(f"database kept: {target.plain_url} (set DATABASE_URL to it for Grafana or "
                      f"`trading-bot report --run-id {run_id}`)", markup=False)
    return results, outcome


def _run_with_progress(backtest: Backtest, run: Callable[..., BacktestOutcome]) -> BacktestOutcome:
    from trading_bot.backtest.runner import Progress as Step

    columns = (TextColumn("{task.fields[at]}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("equity {task.fields[equity]}"), TextColumn("trades {task.fields[trades]}"),
               TimeElapsedColumn())
    with StopFlag() as stop, Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("backtest", total=len(backtest.slots), at="", equity=f"{backtest.spec.equity:,.2f}",
                            trades=0)

        def show(step: Step) -> None:
            bar.update(task, completed=step.cycle, at=f"{step.at:%Y-%m-%d %H:%M}", equity=f"{step.equity:,.2f}",
                       trades=step.trades)

        return run(backtest, on_progress=show, should_stop=lambda: stop.set)


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest_command)

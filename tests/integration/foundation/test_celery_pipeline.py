"""A real worker per queue against the real Redis runs a chain that crosses two queues."""

from collections.abc import Iterator

import pytest
from celery import chain

from tests.kit.cli import clean_env
from tests.kit.processes import Proc, python_module
from trading_bot.celery_app import app, configure
from trading_bot.config import Settings


def _worker(settings: Settings, queue: str, name: str) -> Proc:
    env = clean_env(REDIS_URL=settings.redis_dsn(), REDIS_NAMESPACE=settings.redis_namespace,
                    DATABASE_URL=settings.database_dsn().replace("+psycopg", ""))
    argv = python_module("celery", "-A", "tests.integration.foundation.celery_probe", "worker", "-Q", queue,
                         "-n", f"{name}@probe", "-P", "solo", "--without-mingle", "--without-gossip",
                         "--loglevel", "INFO")
    return Proc(argv, env, name=name)


@pytest.fixture
def workers(settings: Settings) -> Iterator[tuple[Proc, Proc]]:
    market = _worker(settings, "market", "market")
    maintenance = _worker(settings, "maintenance", "maint")
    try:
        market.wait_for("ready.", timeout=60)
        maintenance.wait_for("ready.", timeout=60)
        yield market, maintenance
    finally:
        market.stop()
        maintenance.stop()


def test_chain_crosses_two_queues(settings: Settings, workers: tuple[Proc, Proc]) -> None:
    import tests.integration.foundation.celery_probe as probe

    configure(settings)
    assert app.conf.broker_transport_options["global_keyprefix"] == f"{settings.redis_namespace}:celery:"
    result = chain(probe.probe_double.s(20), probe.probe_increment.s()).apply_async()
    outcome = result.get(timeout=60)
    assert outcome == {"value": 41, "hosts": ["market@probe", "maint@probe"]}
    market, maintenance = workers
    assert "Task market.probe_double[" in market.output
    assert "Task maintenance.probe_increment[" not in market.output
    assert "Task maintenance.probe_increment[" in maintenance.output
    assert "Task market.probe_double[" not in maintenance.output


def test_acks_late_and_routing_are_configured(settings: Settings) -> None:
    configure(settings)
    conf = app.conf
    assert conf.task_acks_late is True and conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"
    assert {q.name for q in conf.task_queues} == {
        "market", "screen", "analyze", "risk", "execute", "reflect", "maintenance", "backtest"}
    route = app.amqp.router.route({}, "pipeline.execute", (), {})
    assert route["queue"].name == "execute" and route["queue"].routing_key == "execute"
    assert app.amqp.router.route({}, "backtest.window", (), {})["queue"].name == "backtest"


def test_configure_repoints_an_app_that_already_sent(settings: Settings, redis_url: str) -> None:
    """Pooled broker connections keep their key prefix: re-configuring must drop them, or messages
    go on to the previous namespace's queues (found when a second Celery test ran in one session)."""
    from trading_bot.storage.redis_client import redis_for

    other = settings.model_copy(update={"redis_namespace": f"{settings.redis_namespace}x"})
    client = redis_for(redis_url)
    try:
        configure(other)
        app.send_task("pipeline.start_cycle", args=["BTC-USDT-SWAP"])
        configure(settings)
        app.send_task("pipeline.start_cycle", args=["BTC-USDT-SWAP"])
        assert client.llen(f"{other.redis_namespace}:celery:market") == 1
        assert client.llen(f"{settings.redis_namespace}:celery:market") == 1
    finally:
        for key in client.scan_iter(match=f"{other.redis_namespace}:*"):
            client.delete(key)


def test_configure_repoints_the_result_backend(settings: Settings) -> None:
    """The result backend is cached with its key prefix like the broker pool: a result read after
    re-configuring must be looked up under the new namespace (a result awaited after another test
    had configured the app timed out)."""
    other = settings.model_copy(update={"redis_namespace": f"{settings.redis_namespace}y"})
    configure(other)
    assert app.backend.get_key_for_task("t") == f"{other.redis_namespace}:celery:celery-task-meta-t".encode()
    configure(settings)
    assert app.backend.get_key_for_task("t") == f"{settings.redis_namespace}:celery:celery-task-meta-t".encode()

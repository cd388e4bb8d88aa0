"""Two tiny tasks on two different queues, used to prove routing with real workers."""

from celery import current_task

from trading_bot.celery_app import app


@app.task(name="market.probe_double")
def probe_double(value: int) -> dict:
    return {"value": value * 2, "hosts": [current_task.request.hostname]}


@app.task(name="maintenance.probe_increment")
def probe_increment(previous: dict) -> dict:
    return {"value": previous["value"] + 1, "hosts": [*previous["hosts"], current_task.request.hostname]}

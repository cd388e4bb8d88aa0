"""Latest market state in Redis, written by ws-public, read by the snapshot builder.

One JSON document per key (`Keys.ticker/books/funding/open_interest/mark_price`): `Ticker`,
`OrderBook`, `FundingRate`, `OpenInterest` and `MarkPrice` of trading_bot.domain.market.

Open interest also keeps a short history (`Keys.oi_history`, a sorted set scored by the sample's
time in ms) because the snapshot reports its change over one hour: ws-public calls
`record_open_interest` for every open-interest push (it writes the latest key and the history).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

import redis
from pydantic import BaseModel

from trading_bot.clock import to_ms
from trading_bot.domain.market import OpenInterest
from trading_bot.storage.streams import Keys

M = TypeVar("M", bound=BaseModel)

LATEST_TTL_SECONDS = 24 * 3600  # stale state disappears rather than lying forever
OI_HISTORY_RETENTION = timedelta(hours=3)  # enough for a 1H change with margin


def put_latest(client: redis.Redis, key: str, model: BaseModel, ttl: int = LATEST_TTL_SECONDS) -> None:
    client.set(key, model.model_dump_json(), ex=ttl)


def get_latest(client: redis.Redis, key: str, model: type[M]) -> M | None:
    raw = client.get(key)
    return None if raw is None else model.model_validate_json(raw)


def record_open_interest(client: redis.Redis, keys: Keys, oi: OpenInterest) -> None:
    """Store `oi` as the latest value and append it to the history; samples older than
    OI_HISTORY_RETENTION before this one are dropped."""
    key = keys.oi_history(oi.inst_id)
    stamp = to_ms(oi.ts)
    pipe = client.pipeline(transaction=True)
    pipe.set(keys.open_interest(oi.inst_id), oi.model_dump_json(), ex=LATEST_TTL_SECONDS)
    pipe.zadd(key, {oi.model_dump_json(): stamp})
    pipe.zremrangebyscore(key, "-inf", f"({stamp - int(OI_HISTORY_RETENTION.total_seconds() * 1000)}")
    pipe.expire(key, LATEST_TTL_SECONDS)
    pipe.execute()


def open_interest_at(client: redis.Redis, keys: Keys, inst_id: str, when: datetime) -> OpenInterest | None:
    """The newest open-interest sample taken at or before `when` (None when the history has none)."""
    return _newest_sample(_ask_newest_sample(client, keys, inst_id, when))


def _ask_newest_sample(target: Any, keys: Keys, inst_id: str, when: datetime) -> Any:
    """The history query of `open_interest_at`, on a client (answers) or a pipeline (queued)."""
    return target.zrevrangebyscore(keys.oi_history(inst_id), to_ms(when), "-inf", start=0, num=1)


def _newest_sample(rows: list[Any]) -> OpenInterest | None:
    return OpenInterest.model_validate_json(rows[0]) if rows else None


def read_state(client: redis.Redis, keys: Keys, inst_id: str, oi_times: tuple[datetime, ...]) -> tuple[
        dict[str, str | bytes | None], dict[datetime, OpenInterest | None]]:
    """Everything a snapshot reads of Redis in one round trip: the raw latest documents by kind
    (ticker, books, funding, mark_price, open_interest) and the newest open-interest sample at or
    before each of `oi_times`."""
    latest = {"ticker": keys.ticker(inst_id), "books": keys.books(inst_id), "funding": keys.funding(inst_id),
              "mark_price": keys.mark_price(inst_id), "open_interest": keys.open_interest(inst_id)}
    pipe = client.pipeline(transaction=False)
    pipe.mget(list(latest.values()))
    for when in oi_times:
        _ask_newest_sample(pipe, keys, inst_id, when)
    documents, *samples = pipe.execute()
    history = {when: _newest_sample(rows) for when, rows in zip(oi_times, samples, strict=True)}
    return dict(zip(latest, documents, strict=True)), history

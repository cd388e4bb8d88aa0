"""Latest market state in Redis (ticker, books, funding, open interest, mark price per instrument):
one JSON document per key, written by ws-public, read by the snapshot builder."""

from __future__ import annotations

from typing import TypeVar

import redis
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

LATEST_TTL_SECONDS = 24 * 3600  # stale state disappears rather than lying forever


def put_latest(client: redis.Redis, key: str, model: BaseModel, ttl: int = LATEST_TTL_SECONDS) -> None:
    client.set(key, model.model_dump_json(), ex=ttl)


def get_latest(client: redis.Redis, key: str, model: type[M]) -> M | None:
    raw = client.get(key)
    return None if raw is None else model.model_validate_json(raw)

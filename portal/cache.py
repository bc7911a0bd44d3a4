"""The cache backend: Django's Redis cache, which degrades to "nothing cached" while Redis is
down instead of failing the request.

The cache holds only what may be lost: throttle counters (API sign-in, public objections).
Sessions live in the database. So a cache outage should cost at most a throttle that does
not count for a while, never a 500 on sign-in or on the objection form.
"""

import logging
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE = (RedisConnectionError, RedisTimeoutError, OSError)


def _down(operation: str, error: Exception) -> None:
    logger.warning("cache unavailable (%s): %s: %s", operation, type(error).__name__, error)


class ResilientRedisCache(RedisCache):
    """Reads miss, writes are dropped and counters start again while Redis does not answer."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except OUTAGE as error:
            _down("get", error)
            return default

    def get_many(self, keys: Any, version: int | None = None) -> dict:
        try:
            return super().get_many(keys, version)
        except OUTAGE as error:
            _down("get_many", error)
            return {}

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except OUTAGE as error:
            _down("add", error)
            return False

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        try:
            super().set(key, value, timeout, version)
        except OUTAGE as error:
            _down("set", error)

    def set_many(self, data: dict, timeout: Any = None, version: int | None = None) -> list:
        try:
            return super().set_many(data, timeout, version)
        except OUTAGE as error:
            _down("set_many", error)
            return list(data)

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        try:
            return super().incr(key, delta, version)
        except OUTAGE as error:
            _down("incr", error)
            # What Django raises for a key that is not there: callers already handle it.
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)") from error

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except OUTAGE as error:
            _down("delete", error)
            return False

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except OUTAGE as error:
            _down("has_key", error)
            return False

"""``/healthz``: the database answers (a new connection gives up after the 5 s connect
timeout, a query after 1 s), and so does the broker when one is configured (1 s)."""

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _database() -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A server that takes the connection but does not answer counts as down.
            cursor.execute("SET LOCAL statement_timeout = 1000")
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _broker() -> str:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database}
    if settings.REDIS_URL:
        checks["broker"] = _broker
    result: dict[str, str] = {}
    down: list[str] = []
    for name, check in checks.items():
        try:
            result[name] = check()
        except Exception as error:
            result[name] = f"down: {type(error).__name__}"
            down.append(name)
    status = 503 if down else 200
    return JsonResponse({"status": "down" if down else "ok", "down": down, "checks": result}, status=status)

"""One user's HTTP client for the load harness: http.client on loopback, a new connection per
request (gunicorn's sync workers close every connection), cookies kept per user, the session
signed in through the login form with its CSRF token, or an API token.

Every request becomes an :class:`Answer` in the shared :class:`Recorder`: its kind (what the
user was doing), status (0 when no HTTP answer came: refused, reset, timed out), times and
whether the client got what it expected.
"""

import http.client
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

TIMEOUT = 60.0
CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass(frozen=True)
class Answer:
    kind: str
    method: str
    path: str
    status: int
    started: float
    ended: float
    ok: bool
    # The error's type for a request that got no answer; a short excerpt of the body otherwise.
    detail: str = ""

    @property
    def seconds(self) -> float:
        return self.ended - self.started

    @property
    def clean_failure(self) -> bool:
        """A failure a client can see as one: no answer at all, or a 5xx."""
        return self.status == 0 or self.status >= 500


@dataclass
class Recorder:
    """Every answer of the run, appended by the clients' threads."""

    answers: list[Answer] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, answer: Answer) -> None:
        with self._lock:
            self.answers.append(answer)

    def snapshot(self) -> list[Answer]:
        with self._lock:
            return list(self.answers)


class Reply:
    """The status, headers and body of one request (status 0: no answer)."""

    def __init__(self, status: int, headers: http.client.HTTPMessage | None, body: bytes, error: str) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.error = error

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """The requests of one user: cookies (session, CSRF token) or ``Authorization: Token``."""

    def __init__(self, port: int, recorder: Recorder, *, token: str = "", language: str = "zh-hans") -> None:
        self.port = port
        self.recorder = recorder
        self.token = token
        self.language = language
        self.cookies: dict[str, str] = {}

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Accept-Language": self.language}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return {**headers, **(extra or {})}

    def _keep_cookies(self, headers: http.client.HTTPMessage) -> None:
        for line in headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(line)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    def send(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[Reply, float, float]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        started = time.monotonic()
        try:
            connection.request(method, path, body=body, headers=self._headers(headers))
            response = connection.getresponse()
            reply = Reply(response.status, response.headers, response.read(), "")
            self._keep_cookies(response.headers)
        except (OSError, http.client.HTTPException) as error:
            reply = Reply(0, None, b"", type(error).__name__)
        finally:
            connection.close()
        return reply, started, time.monotonic()

    def call(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        expect: tuple[int, ...] = (200,),
        data: Any = None,
        form: dict[str, str] | None = None,
    ) -> Reply:
        """One request of ``kind``, recorded; ``data`` is sent as JSON, ``form`` as a form."""
        headers: dict[str, str] = {}
        body = None
        if data is not None:
            body = json.dumps(data).encode()
            headers["Content-Type"] = "application/json"
            headers["Accept"] = "application/json"
        elif form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method not in ("GET", "HEAD") and not self.token and "csrftoken" in self.cookies:
            headers["X-CSRFToken"] = self.cookies["csrftoken"]
        reply, started, ended = self.send(method, path, body=body, headers=headers)
        detail = reply.error or reply.body[:300].decode("utf-8", "replace")
        self.recorder.add(
            Answer(kind, method, path, reply.status, started, ended, reply.status in expect, detail)
        )
        return reply

    def login(self, email: str, password: str) -> None:
        """Through the login form: its page gives the CSRF cookie and token, the POST the session."""
        page, _started, _ended = self.send("GET", "/accounts/login/")
        found = CSRF_INPUT.search(page.body)
        if page.status != 200 or found is None:
            raise RuntimeError(f"the login page answered {page.status} {page.error}")
        reply = self.call(
            "sign in (login form)",
            "POST",
            "/accounts/login/",
            expect=(302,),
            form={"username": email, "password": password, "csrfmiddlewaretoken": found.group(1).decode()},
        )
        if reply.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"signing in as {email} answered {reply.status}: {reply.body[:300]!r}")

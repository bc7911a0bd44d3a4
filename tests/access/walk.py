"""Sending one cell's request (a route, a method, a role) and reading its answer as a token
of the table: the status code, or ``lgn`` for a redirect to a sign-in page.

Each request runs inside a transaction that is rolled back, and the client's cookies are put
back afterwards: a cell that submits, approves or signs out changes nothing that the next cell
sees. (Tasks queued ``on_commit`` never run, since nothing commits.)
"""

import copy
import traceback
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.test import Client

# Where a signed-out visitor is sent: the portal's sign-in page, and the admin site's (the
# portal's page stands in for it).
LOGIN_PATHS = ("/accounts/login/", "/admin/login/")


@dataclass(frozen=True)
class Answer:
    token: str
    # For a 500 or an unexpected answer: what the server said, to put in the failure message.
    detail: str = ""
    # The whole answer as text (files too, as far as they decode), for the leak check.
    body: str = ""


def token_of(status: int, location: str = "") -> str:
    if status in (301, 302, 303, 307, 308) and urlsplit(location).path in LOGIN_PATHS:
        return "lgn"
    return str(status)


def send(client: Client, method: str, path: str, *, api: bool, query: dict[str, str] | None = None):
    """The request with an empty (or minimal) body: a form without fields for pages, ``{}`` as
    JSON for the API."""
    if method == "GET":
        return client.get(path, query or {})
    if query:
        path = f"{path}?{'&'.join(f'{key}={value}' for key, value in query.items())}"
    if api:
        return client.generic(method, path, data="{}", content_type="application/json")
    if method == "POST":
        return client.post(path, {})
    return client.generic(method, path, data="", content_type="application/x-www-form-urlencoded")


def answer(
    client: Client, method: str, path: str, *, api: bool, query: dict[str, str] | None = None
) -> Answer:
    cookies = copy.deepcopy(client.cookies)
    try:
        with transaction.atomic():
            response = send(client, method, path, api=api, query=query)
            # Streamed files (exports, PDFs) are read inside the transaction, where their rows
            # are; an error while streaming is the cell's error. (The client closes the response
            # itself: closing it again would close the database connection, as a server does.)
            content = b"".join(response.streaming_content) if response.streaming else response.content
            transaction.set_rollback(True)
    except Exception:
        return Answer("500", traceback.format_exc(limit=-6))
    finally:
        client.cookies = cookies
    token = token_of(response.status_code, response.get("Location", ""))
    body = content.decode(errors="ignore")
    detail = ""
    if response.status_code >= 400:
        detail = body[:300]
    elif response.has_header("Location"):
        detail = f"→ {response['Location']}"
    return Answer(token, detail, body + response.get("Location", ""))

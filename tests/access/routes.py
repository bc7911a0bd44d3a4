"""Every URL pattern of the portal, found with Django's resolver, and the HTTP methods each
one answers.

A route's key is its name with its namespaces (``applications:detail``), or, for the few
patterns without a name (the admin's redirects, its catch-all, the portal's sign-in page that
stands in for the admin's), its full pattern (``admin/login/``).

Which methods a route answers is read from the view itself, never listed by hand:

- Django REST framework: a viewset's route answers the methods of its ``actions`` mapping; an
  APIView those of ``http_method_names`` it has a handler for;
- Django class-based views: the same, from ``view_class``;
- function views: the list that ``require_http_methods`` (and ``require_GET``/``require_POST``,
  built on it) keeps in its closure, found by following the decorators' ``__wrapped__``;
- a function view without such a decorator answers any method: it is walked with GET and POST.

HEAD and OPTIONS are left out (Django and DRF answer them for every view that has GET). The
test checks the other way round too: a method that a route does not answer gets 405.
"""

import inspect
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

WALKED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ANY_METHOD = ("GET", "POST")


@dataclass(frozen=True)
class Route:
    key: str
    # The full pattern, from the root, as Django prints it (``applications/<int:pk>/``).
    pattern: str
    callback: Callable[..., Any]
    # The URL's arguments, in the order they appear.
    kwargs: tuple[str, ...]

    @property
    def namespace(self) -> str:
        return self.key.split(":", 1)[0] if ":" in self.key else ""

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/")

    @property
    def is_admin(self) -> bool:
        return self.pattern.startswith("admin/")

    def path(self, values: dict[str, Any]) -> str:
        """The URL with ``values`` put in place of the arguments."""
        missing = [name for name in self.kwargs if name not in values]
        if missing:
            raise KeyError(f"{self.key}: no value for {missing}")

        def route_argument(match: re.Match[str]) -> str:
            return str(values[match[1]])

        # Regular expressions' groups first: ``(?P<pk>…)`` holds a ``<pk>`` of its own.
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", route_argument, self.pattern)
        text = re.sub(r"<(?:\w+:)?(\w+)>", route_argument, text)
        return "/" + text.replace("^", "").replace("$", "")


_ARGUMENT = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>")


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, pattern, inner)
        elif isinstance(entry, URLPattern):
            # Named with its namespaces; the few patterns without a name by their pattern.
            key = pattern
            if entry.name:
                key = f"{namespace}:{entry.name}" if namespace else entry.name
            kwargs = tuple(a or b for a, b in _ARGUMENT.findall(pattern))
            yield Route(key=key, pattern=pattern, callback=entry.callback, kwargs=kwargs)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver(), "", ""))


def _declared_methods(function: Callable[..., Any]) -> tuple[str, ...] | None:
    """The list given to ``require_http_methods`` somewhere in the decorators, or None."""
    seen = set()
    current: Any = function
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if inspect.isfunction(current) and current.__closure__:
            found = inspect.getclosurevars(current).nonlocals.get("request_method_list")
            if found is not None:
                return tuple(found)
        current = getattr(current, "__wrapped__", None)
    return None


def methods_of(route: Route) -> tuple[str, ...]:
    """The methods (of ``WALKED_METHODS``) that the route's view answers."""
    callback = route.callback
    actions = getattr(callback, "actions", None)
    if actions:
        declared = [method.upper() for method in actions]
    else:
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if view_class is not None:
            declared = [
                method.upper() for method in view_class.http_method_names if hasattr(view_class, method)
            ]
        else:
            listed = _declared_methods(callback)
            declared = list(listed) if listed is not None else list(ANY_METHOD)
    return tuple(method for method in WALKED_METHODS if method in declared)

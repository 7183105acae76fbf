"""Routes: a path template, the handler of each method it answers, and how to find one for a path."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Answer = tuple[int, dict[str, Any]]
"""What a handler returns: the HTTP status and the JSON body."""
Handler = Callable[..., Answer]
"""A request handler's method, called with the handler and the path's parameters."""
_PARAMETER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Route:
    """One path template and what answers it.

    :param template: the path, with ``{name}`` for a parameter that is one path segment.
    :param handlers: the handler of each method the path answers; a ``GET`` handler answers
        ``HEAD`` too (the handler then sends the headers only).
    :param api_name: the name of a route of the emulated API (``create``, ``fetch``, ``logs``), which
        needs the API key; it may be faulted when the name is one of the faults' ``FAULT_ROUTES``,
        and carries the tracing headers when it is an inference route (``create``, ``fetch``).
        None for the emulator's own control routes, which need no key and are never faulted.
    """

    template: str
    handlers: Mapping[str, Handler]
    api_name: str | None = None
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        handlers = dict(self.handlers)
        if "GET" in handlers and "HEAD" not in handlers:
            methods = list(handlers)
            methods.insert(methods.index("GET") + 1, "HEAD")
            handlers = {method: handlers.get(method, handlers["GET"]) for method in methods}
        object.__setattr__(self, "handlers", handlers)
        parts = _PARAMETER.split(self.template)
        regex = "".join(
            f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
        )
        object.__setattr__(self, "_pattern", re.compile(regex))

    @property
    def methods(self) -> tuple[str, ...]:
        """The methods the path answers, for ``Allow`` headers."""
        return tuple(self.handlers)

    @property
    def has_parameters(self) -> bool:
        """True when the template has a ``{name}`` segment."""
        return bool(_PARAMETER.search(self.template))

    def match(self, path: str) -> dict[str, str] | None:
        """The path's parameters (still percent-encoded) if it fits the template, else None.

        :param path: a request path without its query.
        """
        found = self._pattern.fullmatch(path)
        return found.groupdict() if found is not None else None


class RouteTable:
    """Routes looked up by path: literal templates first, so ``/v1/stt/create`` is never an id.

    :param routes: the routes.
    """

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = sorted(routes, key=lambda route: route.has_parameters)

    def match(self, path: str) -> tuple[Route, dict[str, str]] | None:
        """The route a path belongs to and its parameters, or None.

        :param path: a request path without its query.
        """
        for route in self.routes:
            parameters = route.match(path)
            if parameters is not None:
                return route, parameters
        return None

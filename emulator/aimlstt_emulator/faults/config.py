"""The settings of fault injection: which faults, how often, on which routes.

Their meaning is the contract in :mod:`aimlstt_emulator.faults`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

FAULT_ROUTES: tuple[str, ...] = ("create", "fetch")
RETRY_AFTER_FORMATS: tuple[str, ...] = ("seconds", "http-date")
DEFAULT_SERVER_ERROR_CODES: tuple[int, ...] = (500, 502, 503, 504)
_MAX_RETRY_AFTER = 365 * 24 * 3600
PROBABILITY_FIELDS: tuple[str, ...] = (
    "rate_limit",
    "server_error",
    "latency_probability",
    "drop_connection",
    "malformed_json",
    "job_error",
    "job_never_finishes",
)


# Command line help of every field, in flag order: ``(metavar, help)``. The CLI builds its flags from it.
FIELD_HELP: dict[str, tuple[str, str]] = {
    "rate_limit": ("P", "probability of a 429 with Retry-After"),
    "retry_after_seconds": ("N", "delay the Retry-After header asks for"),
    "retry_after_format": ("FORMAT", "Retry-After as seconds or as an http-date"),
    "server_error": ("P", "probability that a request starts a burst of 5xx"),
    "server_error_burst": ("N", "consecutive requests answered 5xx in a burst"),
    "server_error_codes": ("CODES", "comma-separated 5xx codes a burst picks from"),
    "latency_seconds": ("SECONDS", "delay added before answering"),
    "latency_probability": ("P", "probability that the delay applies"),
    "drop_connection": ("P", "probability of closing the connection with no answer"),
    "malformed_json": ("P", "probability of a JSON body cut short"),
    "job_error": ("P", "probability that a new job ends in status error"),
    "job_never_finishes": ("P", "probability that a new job stays pending"),
    "routes": ("ROUTES", "comma-separated routes to fault: create,fetch"),
    "seed": ("N", "seed of the random choices (default: unseeded)"),
}


@dataclass
class FaultConfig:
    """Which faults the emulator injects; every probability is 0..1 and 0 (the default) is off.

    :param rate_limit: probability of a 429 with a ``Retry-After`` header.
    :param retry_after_seconds: the delay the ``Retry-After`` header asks for.
    :param retry_after_format: ``seconds`` (``Retry-After: 1``) or ``http-date`` (a date that far ahead).
    :param server_error: probability that a request starts a burst of 5xx answers.
    :param server_error_burst: how many consecutive requests a burst answers with 5xx.
    :param server_error_codes: the codes a burst picks from at random, per answer (500..599).
    :param latency_seconds: delay added before answering.
    :param latency_probability: probability that the delay applies to a request.
    :param drop_connection: probability of closing the connection with no answer at all.
    :param malformed_json: probability of an answer whose JSON body is cut short.
    :param job_error: probability that a new job ends in status ``error``.
    :param job_never_finishes: probability that a new job stays pending until it expires.
    :param routes: the API routes faults apply to: ``create``, ``fetch`` or both.
    :param seed: seed of the random choices, for a reproducible sequence; None for a random one.
    :raises ValueError: naming the first field whose value cannot work.
    """

    rate_limit: float = 0.0
    retry_after_seconds: int = 1
    retry_after_format: str = "seconds"
    server_error: float = 0.0
    server_error_burst: int = 3
    server_error_codes: list[int] = field(default_factory=lambda: list(DEFAULT_SERVER_ERROR_CODES))
    latency_seconds: float = 0.0
    latency_probability: float = 1.0
    drop_connection: float = 0.0
    malformed_json: float = 0.0
    job_error: float = 0.0
    job_never_finishes: float = 0.0
    routes: list[str] = field(default_factory=lambda: list(FAULT_ROUTES))
    seed: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field and normalise it (numbers to float, sequences to lists).

        :raises ValueError: ``"<field>: <what is wrong>"`` for the first bad field.
        """
        for name in PROBABILITY_FIELDS:
            value = _number(name, getattr(self, name))
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name}: must be between 0 and 1, got {value!r}")
            setattr(self, name, value)
        self.latency_seconds = _number("latency_seconds", self.latency_seconds)
        if self.latency_seconds < 0 or math.isinf(self.latency_seconds):
            raise ValueError(f"latency_seconds: must be 0 or more, got {self.latency_seconds!r}")
        if _integer("retry_after_seconds", self.retry_after_seconds, minimum=0) > _MAX_RETRY_AFTER:
            raise ValueError(
                f"retry_after_seconds: must be {_MAX_RETRY_AFTER} or less, got {self.retry_after_seconds}"
            )
        _integer("server_error_burst", self.server_error_burst, minimum=1)
        if self.retry_after_format not in RETRY_AFTER_FORMATS:
            raise ValueError(
                f"retry_after_format: must be one of {', '.join(RETRY_AFTER_FORMATS)}, "
                f"got {self.retry_after_format!r}"
            )
        self.server_error_codes = _items("server_error_codes", self.server_error_codes)
        if not self.server_error_codes:
            raise ValueError("server_error_codes: must name at least one code")
        for code in self.server_error_codes:
            if isinstance(code, bool) or not isinstance(code, int) or not 500 <= code <= 599:
                raise ValueError(f"server_error_codes: must be 5xx codes (500..599), got {code!r}")
        routes = _items("routes", self.routes)
        for route in routes:
            if route not in FAULT_ROUTES:
                raise ValueError(f"routes: must be a subset of {', '.join(FAULT_ROUTES)}, got {route!r}")
        self.routes = list(dict.fromkeys(routes))
        if self.seed is not None:
            _integer("seed", self.seed)

    @property
    def active(self) -> bool:
        """True when some fault can happen (a probability above 0 on some route)."""
        chances = [getattr(self, name) for name in PROBABILITY_FIELDS if name != "latency_probability"]
        latency = self.latency_seconds > 0 and self.latency_probability > 0
        return bool(self.routes) and (latency or any(chance > 0 for chance in chances))

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict (the form ``/_emulator/faults`` answers and accepts)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultConfig:
        """Settings from a mapping such as a JSON body; absent fields keep their defaults.

        :param data: field names to values.
        :raises ValueError: for an unknown field or a bad value, naming the field.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"body: expected a JSON object of fault settings, got {type(data).__name__}")
        known = {item.name for item in fields(cls)}
        for name in data:
            if name not in known:
                raise ValueError(f"{name}: not a fault setting; known: {', '.join(sorted(known))}")
        return cls(**data)


def cli_settings() -> list[tuple[str, str, str, Callable[[str], Any]]]:
    """``(field, help, metavar, parse)`` for every field, in order, to build command line flags."""
    parsers: dict[str, Callable[[str], Any]] = {
        "retry_after_format": str,
        "server_error_codes": code_list,
        "routes": route_list,
    }
    settings = []
    for item in fields(FaultConfig):
        if item.name in parsers:
            parse = parsers[item.name]
        else:
            parse = float if item.name in PROBABILITY_FIELDS or item.name == "latency_seconds" else int
        metavar, help = FIELD_HELP[item.name]
        settings.append((item.name, help, metavar, parse))
    return settings


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name}: must be a number, got {value!r}")
    return float(value)


def _integer(name: str, value: Any, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name}: must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: must be {minimum} or more, got {value!r}")
    return value


def _items(name: str, value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{name}: must be a list, got {value!r}")
    return list(value)


def code_list(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def route_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]

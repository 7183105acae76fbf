"""``GET /v2/logs``: its query parameters, checked as the usage-logs page says, and the page it answers.

- The window: ``period`` (``<int>h`` or ``<int>d``, up to now) or ``start`` and ``end`` (ISO-8601;
  a time without an offset is UTC), never both and never neither; ``end`` not before ``start``,
  and at most 92 days long. Anything else is a 400.
- ``model``: repeatable, up to 50; a row matches a value equal to its model id or to the part
  of the id after the first ``/``. Nothing splits on commas, so ``a,b`` matches nothing.
- ``status``: repeatable, each ``succeeded`` or ``failed``; a comma-separated or unknown value is a 400.
- ``limit`` 1..100 (default 50) and ``offset`` 0 or more (default 0): the page, newest first.
- ``key_prefix``: the emulator knows one key; a prefix of another key is a 403.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs

from aimlstt_emulator.exceptions import ApiError
from aimlstt_emulator.usage_log import FAILED, SUCCEEDED, UsageRow

MAX_WINDOW = timedelta(days=92)
MAX_MODELS = 50
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
STATUSES = (SUCCEEDED, FAILED)
_PERIOD = re.compile(r"([0-9]+)([hd])")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1)}


@dataclass(frozen=True)
class LogsQuery:
    """A checked ``/v2/logs`` query.

    :param start: the window's start (UTC, included).
    :param end: the window's end (UTC, included).
    :param models: the model filters (empty: every model).
    :param statuses: the status filters (empty: both).
    :param limit: rows per page.
    :param offset: rows skipped before the page.
    """

    start: datetime
    end: datetime
    models: tuple[str, ...]
    statuses: tuple[str, ...]
    limit: int
    offset: int

    def matches(self, row: UsageRow) -> bool:
        """True when the row is in the window and passes the filters.

        :param row: a logged row.
        """
        if not self.start <= row.created <= self.end:
            return False
        if self.statuses and row.status not in self.statuses:
            return False
        return not self.models or any(_model_matches(value, row.model) for value in self.models)

    def page(self, rows: Iterable[UsageRow]) -> dict[str, Any]:
        """The answer: the page of matching rows, newest first, and the pagination.

        :param rows: the visible rows, newest first.
        """
        matching = [row for row in rows if self.matches(row)]
        page = matching[self.offset : self.offset + self.limit]
        return {
            "data": [row.to_dict() for row in page],
            "pagination": {
                "limit": self.limit,
                "offset": self.offset,
                "total": len(matching),
                "has_more": self.offset + len(page) < len(matching),
            },
        }


def parse_logs_query(query: str, api_key: str, now: datetime | None = None) -> LogsQuery:
    """Check the query string of a ``/v2/logs`` request.

    :param query: the raw query string (after ``?``).
    :param api_key: the emulator's key, which ``key_prefix`` may name.
    :param now: the current UTC time (default: now), the end of a ``period``.
    :raises ApiError: 400 for a bad window or parameter, 403 for another key's prefix.
    """
    params = parse_qs(query, keep_blank_values=True)
    start, end = _window(params, now or datetime.now(timezone.utc))
    models = tuple(params.get("model", []))
    if len(models) > MAX_MODELS:
        raise ApiError(400, f"model: at most {MAX_MODELS} values, received {len(models)}")
    statuses = tuple(params.get("status", []))
    for status in statuses:
        if status not in STATUSES:
            raise ApiError(
                400,
                f"status: expected succeeded or failed (repeat the parameter for both), received {status!r}",
            )
    prefix = _single(params, "key_prefix")
    if prefix is not None and not api_key.startswith(prefix):
        raise ApiError(403, "key_prefix: a regular key can list only its own requests")
    limit = _integer(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _integer(params, "offset", 0, 0, None)
    return LogsQuery(start, end, models, statuses, limit, offset)


def _window(params: dict[str, list[str]], now: datetime) -> tuple[datetime, datetime]:
    period, start_text, end_text = (_single(params, name) for name in ("period", "start", "end"))
    if period is not None and (start_text is not None or end_text is not None):
        raise ApiError(400, "Provide either period or both start and end, not both")
    if period is None and start_text is None and end_text is None:
        raise ApiError(400, "Provide either period or both start and end")
    if period is not None:
        found = _PERIOD.fullmatch(period)
        if found is None or int(found.group(1)) == 0:
            raise ApiError(
                400, f"period: expected a positive integer followed by h or d (24h, 7d), received {period!r}"
            )
        length = int(found.group(1)) * _UNITS[found.group(2)]
        if length > MAX_WINDOW:
            raise ApiError(400, f"period: the window must not exceed {MAX_WINDOW.days} days")
        return now - length, now
    if start_text is None or end_text is None:
        raise ApiError(400, "start and end must be given together")
    start, end = _moment("start", start_text), _moment("end", end_text)
    if end < start:
        raise ApiError(400, "end must not be earlier than start")
    if end - start > MAX_WINDOW:
        raise ApiError(400, f"The window from start to end must not exceed {MAX_WINDOW.days} days")
    return start, end


def _moment(name: str, text: str) -> datetime:
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, f"{name}: expected an ISO-8601 date or date-time, received {text!r}") from None
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise ApiError(400, f"{name}: expected one value, received {len(values)}")
    return values[0]


def _integer(params: dict[str, list[str]], name: str, default: int, minimum: int, maximum: int | None) -> int:
    text = _single(params, name)
    if text is None:
        return default
    value = int(text) if _INTEGER.fullmatch(text.strip()) else None
    if value is None or value < minimum or (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else f"of {minimum} or more"
        raise ApiError(400, f"{name}: expected an integer {bounds}, received {text!r}")
    return value


def _model_matches(value: str, model: str) -> bool:
    """A filter value names a model by its whole id or by the part after its first ``/``."""
    _, slash, alias = model.partition("/")
    return value == model or (bool(slash) and value == alias)

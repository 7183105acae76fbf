"""Reading a batch's rows as plain values: a manifest's rows, or their dicts (a manifest's JSON lines).

The estimate's learning, the report and the metrics take either, so that none of them needs the
manifest's model to read what a batch did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def field(row: Any, name: str) -> Any:
    """A row's field; None when it has none.

    :param row: a :class:`~airflow_provider_aimlstt.batch.manifest.ManifestRow`, or its dict.
    :param name: the field's name.
    """
    return row.get(name) if isinstance(row, Mapping) else getattr(row, name, None)


def status_of(row: Any) -> str:
    """A row's status as text (``transcribed``, ``failed``, ...).

    :param row: a row, or its dict.
    """
    status = field(row, "status")
    return str(getattr(status, "value", status))


def job_seconds(row: Any) -> float | None:
    """How long a row's job took from its create to its finish: the middle of what its polls
    proved (``finished_between``); None when it did not finish.

    :param row: a row, or its dict.
    """
    bracket = field(row, "finished_between")
    if not bracket:
        return None
    after, by = bracket
    return (float(after) + float(by)) / 2


def finished_at(row: Any) -> float | None:
    """Epoch seconds when a row's job finished (the middle of what its polls proved); None when
    it did not finish or was never submitted.

    :param row: a row, or its dict.
    """
    submitted_at, seconds = field(row, "submitted_at"), job_seconds(row)
    return None if submitted_at is None or seconds is None else float(submitted_at) + seconds

"""Reading a batch's rows as plain values: a manifest's rows, or their dicts (a manifest's JSON lines).

The estimate's learning, the report and the metrics take either, so that none of them needs the
manifest's model to read what a batch did: each row is read once with :func:`values_of`, then
through the functions here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def values_of(row: Any) -> Mapping[str, Any]:
    """A row's fields by name.

    :param row: a :class:`~airflow_provider_aimlstt.batch.manifest.ManifestRow` (or any object
        with attributes), or its dict.
    """
    return row if isinstance(row, (dict, Mapping)) else vars(row)


def status_of(values: Mapping[str, Any]) -> str:
    """A row's status as text (``transcribed``, ``failed``, ...).

    :param values: the row's fields (:func:`values_of`).
    """
    status = values.get("status")
    return str(getattr(status, "value", status))


def job_seconds(values: Mapping[str, Any]) -> float | None:
    """How long a row's job took from its create to its finish: the middle of what its polls
    proved (``finished_between``); None when it did not finish.

    :param values: the row's fields (:func:`values_of`).
    """
    bracket = values.get("finished_between")
    if not bracket:
        return None
    after, by = bracket
    return (float(after) + float(by)) / 2


def finished_at(values: Mapping[str, Any]) -> float | None:
    """Epoch seconds when a row's job finished (the middle of what its polls proved); None when
    it did not finish or was never submitted.

    :param values: the row's fields (:func:`values_of`).
    """
    submitted_at, seconds = values.get("submitted_at"), job_seconds(values)
    return None if submitted_at is None or seconds is None else float(submitted_at) + seconds

"""Faults over HTTP: the settings endpoint ``/_emulator/faults`` and the answer a fault plan gives."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from aimlstt_emulator.exceptions import body_validation_error, error_body
from aimlstt_emulator.faults.config import FaultConfig
from aimlstt_emulator.faults.injector import (
    DROP_CONNECTION,
    LATENCY,
    MALFORMED_JSON,
    FaultInjector,
    FaultPlan,
)
from aimlstt_emulator.parsing.body import RequestBody


def replace_fault_settings(faults: FaultInjector, body: RequestBody, max_json_bytes: int) -> dict[str, Any]:
    """``PUT /_emulator/faults``: replace every setting; fields not given take their defaults.

    :param faults: the emulator's injector.
    :param body: the request body, a JSON object of :class:`FaultConfig` fields.
    :param max_json_bytes: the largest body accepted.
    :return: the settings in force afterwards.
    :raises ApiError: 400 naming the bad field; the settings then stay as they were.
    """
    settings = _read_settings(body, max_json_bytes)
    return _applied(lambda: faults.set(settings))


def change_fault_settings(faults: FaultInjector, body: RequestBody, max_json_bytes: int) -> dict[str, Any]:
    """``PATCH /_emulator/faults``: change the fields given and keep the others.

    :param faults: the emulator's injector.
    :param body: the request body, a JSON object of :class:`FaultConfig` fields.
    :param max_json_bytes: the largest body accepted.
    :return: the settings in force afterwards.
    :raises ApiError: 400 naming the bad field; the settings then stay as they were.
    """
    settings = _read_settings(body, max_json_bytes)
    return _applied(lambda: faults.update(**settings))


def _read_settings(body: RequestBody, max_json_bytes: int) -> dict[str, Any]:
    try:
        data = json.loads(body.read_all(max_json_bytes) or b"{}")
    except ValueError as exc:
        raise body_validation_error([f"body: not valid JSON ({exc})"]) from None
    if not isinstance(data, dict):
        raise body_validation_error(["body: expected a JSON object of fault settings"])
    return data


def _applied(change: Callable[[], FaultConfig]) -> dict[str, Any]:
    try:
        new = change()
    except ValueError as exc:
        raise body_validation_error([str(exc)]) from None
    return new.to_dict()


def faulted_answer(
    plan: FaultPlan,
    faults: FaultInjector,
    path: str,
    status: int,
    payload: dict[str, Any],
    headers: dict[str, str],
    request_id: str | None = None,
) -> tuple[int, bytes, dict[str, str]] | None:
    """Wait out the plan's latency, count its faults, and make the answer to send.

    :param plan: the request's faults.
    :param faults: where faults are counted.
    :param path: the request path, for error bodies.
    :param status: the real answer's status.
    :param payload: the real answer's body.
    :param headers: the real answer's extra headers.
    :param request_id: the id of the HTTP call, for an error body's ``requestId``.
    :return: ``(status, body bytes, headers)``, or None when the connection must be dropped unanswered.
    """
    if plan.latency_seconds:
        time.sleep(plan.latency_seconds)
        faults.record(LATENCY)
    if plan.kind is not None:
        faults.record(plan.kind)
    if plan.answer == DROP_CONNECTION:
        return None
    error = plan.error()
    if error is not None:
        status, headers = error.status, error.headers
        payload = error_body(error.status, error.message, path, request_id)
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    if plan.answer == MALFORMED_JSON:
        data = data[: max(1, len(data) // 2)]  # a proper prefix of a JSON object is never valid JSON
    return status, data, headers

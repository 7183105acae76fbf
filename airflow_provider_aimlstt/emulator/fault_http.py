"""Faults over HTTP: the ``/_emulator/faults`` endpoint and the answer a fault plan gives."""

from __future__ import annotations

import json
import time
from typing import Any

from airflow_provider_aimlstt.emulator.body import RequestBody
from airflow_provider_aimlstt.emulator.errors import body_validation_error, error_body
from airflow_provider_aimlstt.emulator.faults import (
    DROP_CONNECTION,
    LATENCY,
    MALFORMED_JSON,
    FaultInjector,
    FaultPlan,
)


def answer_faults_request(
    faults: FaultInjector, method: str, body: RequestBody, max_json_bytes: int
) -> dict[str, Any]:
    """Serve ``/_emulator/faults``: GET reads, PUT replaces, PATCH changes some fields, DELETE clears.

    :param faults: the emulator's injector.
    :param method: the request method.
    :param body: the request body (a JSON object of :class:`FaultConfig` fields for PUT and PATCH).
    :param max_json_bytes: the largest body accepted.
    :return: the settings in force afterwards.
    :raises ApiError: 400 naming the bad field; the settings then stay as they were.
    """
    if method == "DELETE":
        return faults.clear().to_dict()
    if method not in ("PUT", "PATCH"):
        return faults.config.to_dict()
    try:
        data = json.loads(body.read_all(max_json_bytes) or b"{}")
    except ValueError as exc:
        raise body_validation_error([f"body: not valid JSON ({exc})"]) from None
    if not isinstance(data, dict):
        raise body_validation_error(["body: expected a JSON object of fault settings"])
    try:
        return (faults.set(data) if method == "PUT" else faults.update(**data)).to_dict()
    except ValueError as exc:
        raise body_validation_error([str(exc)]) from None


def faulted_answer(
    plan: FaultPlan,
    faults: FaultInjector,
    path: str,
    status: int,
    payload: dict[str, Any],
    headers: dict[str, str],
) -> tuple[int, bytes, dict[str, str]] | None:
    """Wait out the plan's latency, count its faults, and make the answer to send.

    :param plan: the request's faults.
    :param faults: where faults are counted.
    :param path: the request path, for error bodies.
    :param status: the real answer's status.
    :param payload: the real answer's body.
    :param headers: the real answer's extra headers.
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
        status, payload, headers = error.status, error_body(error.status, error.message, path), error.headers
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    if plan.answer == MALFORMED_JSON:
        data = data[: max(1, len(data) // 2)]  # a proper prefix of a JSON object is never valid JSON
    return status, data, headers

"""Client request ids always fit the API's alphabet and length; cost headers read exactly."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from airflow_provider_aimlstt.tracing import (
    Charge,
    ResponseTrace,
    client_request_id,
    is_client_request_id,
)

# The documented rule, written out again here so that the test does not trust the module's own.
DOCUMENTED = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


@pytest.mark.parametrize(
    "parts",
    [
        ("nightly", "manual__2026-12-01T00:00:00+00:00", "transcribe", 7, 1, "ab" * 32),
        ("d" * 10_000, "r/ü/😀 spaces & ?=#", "t" * 500, -1, 3, ""),
        (None, None, None, None, None, None),
        (),
    ],
)
def test_ids_fit_the_documented_alphabet_and_length_whatever_the_parts(parts: tuple[object, ...]) -> None:
    value = client_request_id(*parts)
    assert DOCUMENTED.fullmatch(value), value
    assert is_client_request_id(value)


def test_the_same_parts_give_the_same_id_and_any_change_another() -> None:
    parts = ("nightly", "scheduled__2026-12-01", "transcribe", 3, 1, "f" * 64)
    assert client_request_id(*parts) == client_request_id(*parts)
    changed = {
        client_request_id(*parts[:3], 4, *parts[4:]),  # another map index
        client_request_id(*parts[:4], 2, parts[5]),  # another try
        client_request_id(*parts[:5], "e" * 64),  # another request
        client_request_id(*parts),
    }
    assert len(changed) == 4
    # Parts are kept apart: ("ab", "c") is not ("a", "bc"), and None is not "None".
    assert client_request_id("ab", "c") != client_request_id("a", "bc")
    assert client_request_id(None) != client_request_id("None")


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        ("order-8f21c4:v1.2_x", True),
        ("has space", False),
        ("slash/no", False),
        ("ümlaut", False),
        (42, False),
    ],
)
def test_what_the_api_keeps(value: object, kept: bool) -> None:
    assert is_client_request_id(value) is kept
    assert bool(isinstance(value, str) and DOCUMENTED.fullmatch(value)) is kept


def test_trace_reads_the_documented_headers_in_any_case() -> None:
    trace = ResponseTrace.of(
        {
            "X-Inference-Id": "V1StGXR8Z5jdHi6BmyT8k",
            "x-client-request-id": "order-8f21c4",
            "X-AIMLAPI-Credits-Used": "2480",
            "x-aimlapi-usd-spent": "0.001240000",
        }
    )
    assert trace.inference_id == "V1StGXR8Z5jdHi6BmyT8k"
    assert trace.client_request_id == "order-8f21c4"
    assert trace.charge == Charge(credits=2480, usd=Decimal("0.00124"))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-aimlapi-credits-used": "2480"},  # half of the pair
        {"x-aimlapi-credits-used": "many", "x-aimlapi-usd-spent": "0.1"},
        {"x-aimlapi-credits-used": "1", "x-aimlapi-usd-spent": "NaN"},
        {"x-aimlapi-credits-used": "-1", "x-aimlapi-usd-spent": "0.1"},
    ],
)
def test_missing_or_unreadable_cost_is_unknown_not_zero(headers: dict[str, str]) -> None:
    assert ResponseTrace.of(headers).charge is None


def test_charges_add_up_exactly_and_unknown_ones_are_left_out() -> None:
    third = Charge(credits=1, usd=Decimal("0.1"))
    total = Charge.total([third, None, third, third])
    assert total == Charge(credits=3, usd=Decimal("0.3"))  # floats would give 0.30000000000000004
    assert Charge.total([None, None]) is None
    assert total is not None and total.model_dump(mode="json") == {"credits": 3, "usd": 0.3}
    assert total.describe() == "$0.300000 (3 credits)"

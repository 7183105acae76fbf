"""How a lost create is looked for in the usage log: which row settles it, when to stop, which pages."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

import pytest

from airflow_provider_aimlstt.hooks import usage_log
from airflow_provider_aimlstt.hooks.usage_log import MAX_PAGES, find_logged_create
from airflow_provider_aimlstt.models.usage_log import UsageLogPage

LOG = logging.getLogger("test")
SENT_AT = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)
MINE = "aimlstt-mine"


class FakeTime:
    """A monotonic clock that moves only when the lookup sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(usage_log.time, "monotonic", fake.monotonic)
    return fake


def _row(status: str, inference_id: str, client_request_id: str | None = MINE) -> dict[str, Any]:
    return {
        "created": "2026-12-02T01:00:01.000Z",
        "status": status,
        "model": "nova-3",
        "cost": {
            "usd": 0.0002 if status == "succeeded" else 0,
            "credits": 400 if status == "succeeded" else 0,
        },
        "inference_id": inference_id,
        "client_request_id": client_request_id,
    }


def _page(rows: list[dict[str, Any]], offset: int = 0, total: int | None = None) -> UsageLogPage:
    total = len(rows) + offset if total is None else total
    return UsageLogPage.model_validate(
        {
            "data": rows,
            "pagination": {
                "limit": 100,
                "offset": offset,
                "total": total,
                "has_more": offset + len(rows) < total,
            },
        }
    )


def test_a_failed_row_does_not_end_the_search_while_the_accepted_one_may_still_show(clock: FakeTime) -> None:
    # The hook's first attempt got a 429 (a failed row at once); its retry made the job, whose
    # answer was lost and whose row shows two looks later.
    looks: list[int] = []

    def read(start: datetime, end: datetime, offset: int) -> UsageLogPage:
        looks.append(offset)
        rows = [_row("failed", "refused-1")]
        if len(looks) >= 3:
            rows.insert(0, _row("succeeded", "job-7"))
        return _page(rows)

    row = find_logged_create(read, MINE, SENT_AT, 60, LOG, sleep=clock.sleep)

    assert row is not None and row.succeeded and row.inference_id == "job-7"
    assert len(looks) == 3 and clock.sleeps == [1.0, 1.5]


def test_an_unusable_job_does_not_end_the_search_while_a_later_tries_may_still_show(clock: FakeTime) -> None:
    # A task's first try made job-1, which ended in error; its second try made job-2, whose row
    # shows on the third look. A third try must find job-2, not stop at job-1.
    looks: list[int] = []

    def read(start: datetime, end: datetime, offset: int) -> UsageLogPage:
        looks.append(offset)
        rows = [_row("succeeded", "job-1")]
        if len(looks) >= 3:
            rows.insert(0, _row("succeeded", "job-2"))
        return _page(rows)

    row = find_logged_create(
        read, MINE, SENT_AT, 60, LOG, sleep=clock.sleep, usable=lambda row: row.inference_id != "job-1"
    )

    assert row is not None and row.inference_id == "job-2"
    assert len(looks) == 3


def test_the_search_ends_once_as_many_creates_as_there_can_be_show(clock: FakeTime) -> None:
    rows = [_row("succeeded", "job-2"), _row("failed", "refused-1"), _row("succeeded", "job-1")]

    def unusable(row: Any) -> bool:
        return False

    two = find_logged_create(
        lambda *_: _page(rows), MINE, SENT_AT, 60, LOG, clock.sleep, usable=unusable, most_creates=2
    )
    assert two is not None and not two.succeeded and clock.sleeps == []  # nothing else can show
    three = find_logged_create(
        lambda *_: _page(rows), MINE, SENT_AT, 60, LOG, clock.sleep, usable=unusable, most_creates=3
    )
    assert three is not None and not three.succeeded
    assert sum(clock.sleeps) == pytest.approx(60)  # a third create may still show: waited it out


def test_only_failed_rows_after_the_wait_mean_refused(clock: FakeTime) -> None:
    row = find_logged_create(
        lambda *_: _page([_row("failed", "refused-1")]), MINE, SENT_AT, 5, LOG, sleep=clock.sleep
    )
    assert row is not None and not row.succeeded
    assert sum(clock.sleeps) == pytest.approx(5)  # waited it out: a later row could have settled it


def test_no_row_after_the_wait_is_none_and_the_waits_are_bounded(clock: FakeTime) -> None:
    others = [_row("succeeded", "someone-elses", client_request_id="aimlstt-other")]
    row = find_logged_create(lambda *_: _page(others), MINE, SENT_AT, 60, LOG, sleep=clock.sleep)
    assert row is None
    assert sum(clock.sleeps) == pytest.approx(60)
    assert max(clock.sleeps) == 10.0  # never more than 10 s between looks


def _crowded_log(total: int, mine_at: int | None, offsets: list[int], windows: set[Any]) -> Any:
    """A reader of a log of ``total`` other rows, with this create's row at ``mine_at``."""

    def read(start: datetime, end: datetime, offset: int) -> UsageLogPage:
        offsets.append(offset)
        windows.add((start, end))
        rows = [_row("succeeded", f"other-{offset + n}", "aimlstt-other") for n in range(100)]
        if mine_at is not None and offset <= mine_at < offset + 100:
            rows[mine_at - offset] = _row("succeeded", "job-mine")
        return _page(rows, offset, total)

    return read


def test_pages_are_read_until_the_row_shows(clock: FakeTime) -> None:
    offsets: list[int] = []
    windows: set[Any] = set()
    row = find_logged_create(_crowded_log(5000, 342, offsets, windows), MINE, SENT_AT, 0, LOG, clock.sleep)
    assert row is not None and row.inference_id == "job-mine"
    assert offsets == [0, 100, 200, 300]  # and no page more
    ((start, end),) = windows
    assert start < SENT_AT < end


def test_one_look_reads_at_most_max_pages(clock: FakeTime) -> None:
    offsets: list[int] = []
    crowded = _crowded_log((MAX_PAGES + 5) * 100, None, offsets, set())
    assert find_logged_create(crowded, MINE, SENT_AT, 0, LOG, clock.sleep) is None
    assert offsets == [100 * n for n in range(MAX_PAGES)]


def test_a_log_that_cannot_be_read_raises_to_the_caller(clock: FakeTime) -> None:
    from airflow_provider_aimlstt.exceptions import AimlSttForbiddenError

    def read(*_: object) -> UsageLogPage:
        raise AimlSttForbiddenError(403, "this key may not read the logs")

    with pytest.raises(AimlSttForbiddenError):
        find_logged_create(read, MINE, SENT_AT, 60, LOG, sleep=clock.sleep)

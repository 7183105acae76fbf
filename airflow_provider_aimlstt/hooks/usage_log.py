"""Find a create call in the API's usage log by its client request id, after its answer was lost.

A create that fails after it may have reached the API (read timeout, dropped connection, 500,
502, 504, an unreadable answer) leaves the job's existence unknown. The usage log
(``GET /v2/logs``) lists every request with the ``X-Client-Request-Id`` it carried and, for a
create, the generation id as ``inference_id``, so one look settles it. Rows are recorded shortly
*after* the answer, so the lookup looks again on a bounded schedule before it concludes that
there is no row. The log has no filter by client request id: every page of a short window around
the create is read (newest first).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow_provider_aimlstt.models.usage_log import UsageLogPage, UsageLogRow
from airflow_provider_aimlstt.polling import PollSchedule

WINDOW_MARGIN = timedelta(minutes=5)
"""How far around the create the window reaches, for clocks that disagree."""
MAX_PAGES = 50
"""Pages read per look at most (5,000 rows): a lookup never turns into a crawl of the whole log."""
LOOK_SCHEDULE = PollSchedule(poke_interval=1.0, max_poke_interval=10.0)
"""The waits between looks: 1 s, growing 1.5 times per look, up to 10 s."""

PageReader = Callable[[datetime, datetime, int], UsageLogPage]
"""Reads the page of the window ``(start, end)`` at an offset (the hook's :meth:`usage_log_page`)."""


def find_logged_create(
    read_page: PageReader,
    client_request_id: str | Collection[str],
    sent_at: datetime,
    wait_seconds: float,
    log: Any,
    sleep: Callable[[float], None] = time.sleep,
    usable: Callable[[UsageLogRow], bool] | None = None,
    most_creates: int | None = None,
) -> UsageLogRow | None:
    """The usage log's row of the create sent with ``client_request_id``, waiting for it to appear.

    A succeeded row is what settles it (the job exists: adopt ``inference_id``), so the lookup
    goes on until there is one or ``wait_seconds`` passed. A failed row does not end it: the
    hook's own retries send one id several times (a 429, then the create whose answer was lost),
    and the later row may show later. Failed rows alone, after the wait, mean the API refused it.

    A task's tries send one id too, one create per try at most: with ``usable``, a succeeded row
    whose job cannot be reused (it ended in error, or is gone) does not settle it either, since a
    later try's create may not show yet; the newest usable one does, or ``most_creates`` succeeded
    rows (every create there can be has shown).

    :param read_page: reads one page of the log.
    :param client_request_id: the id the create was sent with (or the ids: a task's earlier tries').
    :param sent_at: when the create was sent.
    :param wait_seconds: how long to keep looking.
    :param log: the logger to tell each step to.
    :param sleep: waits between looks (tests pass a fake).
    :param usable: whether a succeeded row's job can be adopted (None: every one can).
    :param most_creates: how many creates were accepted at most (None: unknown); once that many
        succeeded rows show, no other can, and the lookup ends.
    :return: the (usable) succeeded row if there is one, else a failed row, else None.
    :raises AimlSttError: when the log cannot be read (the caller decides what that means).
    """
    ids = {client_request_id} if isinstance(client_request_id, str) else set(client_request_id)
    label = ", ".join(sorted(ids))
    deadline = time.monotonic() + wait_seconds
    for looks, interval in enumerate(LOOK_SCHEDULE.intervals(), start=1):
        refused: list[UsageLogRow] = []
        found = None
        accepted = 0
        for row in _rows_of(read_page, ids, sent_at):
            if not row.succeeded:
                refused.append(row)
                continue
            accepted += 1
            if usable is None or usable(row):
                found = row
                break
        remaining = deadline - time.monotonic()
        every_create_shown = most_creates is not None and accepted >= most_creates
        if found is not None or remaining <= 0 or every_create_shown:
            found = found or (refused[0] if refused else None)
            log.info(_outcome(found, label, looks))
            return found
        pause = min(interval, remaining)
        log.info(
            "client_request_id=%s is not in the usage log yet (look %d); looking again in %.1f s",
            label,
            looks,
            pause,
        )
        sleep(pause)
    raise AssertionError("unreachable: the schedule has no end")  # pragma: no cover


def _rows_of(read_page: PageReader, ids: set[str], sent_at: datetime) -> Iterator[UsageLogRow]:
    start = sent_at - WINDOW_MARGIN
    end = datetime.now(timezone.utc) + WINDOW_MARGIN
    offset = 0
    for _ in range(MAX_PAGES):
        page = read_page(start, end, offset)
        yield from (row for row in page.data if row.client_request_id in ids)
        if not page.pagination.has_more or not page.data:
            return
        offset += len(page.data)


def _outcome(row: UsageLogRow | None, client_request_id: str, looks: int) -> str:
    if row is None:
        return f"client_request_id={client_request_id} is not in the usage log after {looks} looks"
    if row.succeeded:
        return (
            f"client_request_id={client_request_id} is in the usage log as inference_id={row.inference_id} "
            f"(status {row.status}, created {row.created})"
        )
    return f"client_request_id={client_request_id} is in the usage log as refused (status {row.status})"

"""The progress line of a batch, the same in the task's log and in its trigger's."""

from __future__ import annotations

import time


def progress_line(
    done: int, total: int, failed: int, in_flight: int, started_at: float, done_at_start: int = 0
) -> str:
    """``412/1500 done, 2 failed, 32 in flight, 95.1 files/min, ETA 11m26s``.

    :param done: files finished (transcribed, skipped or failed).
    :param total: files in the batch.
    :param failed: files that failed.
    :param in_flight: jobs the API is working on.
    :param started_at: epoch seconds when the batch (or this try of it) began.
    :param done_at_start: files already finished then (an earlier try's): not part of the rate.
    """
    elapsed = max(time.time() - started_at, 1e-6)
    rate = max(done - done_at_start, 0) / elapsed * 60
    left = total - done
    eta = "-" if rate <= 0 or left <= 0 else _duration(left / rate * 60)
    return f"{done}/{total} done, {failed} failed, {in_flight} in flight, {rate:.1f} files/min, ETA {eta}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"

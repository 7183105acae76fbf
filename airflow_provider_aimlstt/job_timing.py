"""When a job will finish: its audio's duration and what this deployment learned of its model.

The API's processing time grows with the audio's duration, and every finished job tells us by how
much. What was learned is kept in one Airflow Variable per connection and model
(``aimlstt_job_timing.<conn_id>.<model>``), because every worker (which predicts, at submit
time, and learns, when a finished job is delivered) can read and write Variables, and the
triggerer never needs to: the prediction travels to it in the trigger's plain-JSON kwargs. Nothing
here runs in the triggerer, which must not block on the metadata database.

A Variable holds the last :data:`MAX_SAMPLES` jobs of the model as ``[audio seconds, finished
after, finished by]``: what the polls of each job proved (a poll saw it pending after so many
seconds, a later one saw it finished). A job's time is taken to be a fixed part (queueing) plus a
part per second of audio; the prediction for new audio is the range of times every fixed part and
speed consistent with those jobs give. Where the jobs disagree (the API is not a clock), each
range is widened by twice the least fraction that reconciles them (at most
:data:`MAX_WIDENING`); the oldest jobs are forgotten while that halves the fraction needed (the
API changed its pace), or when no fraction up to :data:`MAX_WIDENING` is enough. Two workers that
learn at the same moment may lose one job: the next adds another.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from airflow_provider_aimlstt.models.submission import SubmittedJob
from airflow_provider_aimlstt.polling import ExpectedFinish

VARIABLE_PREFIX = "aimlstt_job_timing"
MAX_SAMPLES = 8
MAX_WIDENING = 0.3
"""Jobs that only agree once every range is widened by more than this fraction are too old to keep."""
_WIDENING_FACTOR = 2.0
_WIDENING_STEPS = 12
"""Bisection steps to find the least widening (its precision: ``MAX_WIDENING / 2**12``)."""

Sample = tuple[float, float, float]
"""One finished job: ``(audio seconds, finished after, finished by)``, seconds after its submission."""
Speed = tuple[float, float]
"""A job time model: ``(fixed seconds, seconds per audio second)``."""


def timing_variable_key(conn_id: str, model: str) -> str:
    """The Variable that holds what was learned of ``model`` through ``conn_id``.

    :param conn_id: the Airflow connection (the emulator and the real API do not mix).
    :param model: the model id.
    """
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{VARIABLE_PREFIX}.{conn_id}.{model}")


@dataclass(frozen=True)
class JobTiming:
    """What was learned of one model: its recent finished jobs.

    :param samples: oldest first, each ``(audio seconds, finished after, finished by)``.
    """

    samples: tuple[Sample, ...] = ()

    def expected_finish(self, audio_seconds: float | None) -> ExpectedFinish | None:
        """When a job of this audio is predicted to finish, ``(earliest, latest)`` seconds after its
        submission; None when nothing is known.

        :param audio_seconds: the job's audio duration.
        """
        if audio_seconds is None or audio_seconds <= 0 or not self._speeds:
            return None
        times = [fixed + per_second * audio_seconds for fixed, per_second in self._speeds]
        return max(0.0, min(times)), max(times)

    def with_job(self, audio_seconds: float, finished_between: tuple[float, float]) -> JobTiming:
        """These samples with one more job, keeping the last :data:`MAX_SAMPLES`.

        :param audio_seconds: the job's audio duration.
        :param finished_between: seconds after its submission when a poll last saw it pending (0
            when none did) and when a poll saw it finished.
        """
        after, by = finished_between
        sample = (float(audio_seconds), float(after), float(by))
        return JobTiming((*self.samples, sample)[-MAX_SAMPLES:])

    def to_json(self) -> str:
        """The Variable's value."""
        return json.dumps({"jobs": [list(sample) for sample in self.samples]})

    @classmethod
    def from_json(cls, text: Any) -> JobTiming:
        """Read a Variable's value; anything unreadable (or written in an older form) is nothing
        learned.

        :param text: the value.
        """
        try:
            jobs = json.loads(text)["jobs"]
            samples = tuple((float(audio), float(after), float(by)) for audio, after, by in jobs)
        except (TypeError, ValueError, KeyError):
            return cls()
        return cls(tuple(sample for sample in samples if sample[0] > 0 and 0 <= sample[1] <= sample[2]))

    @cached_property
    def _speeds(self) -> list[Speed]:
        """The corners of the region of job time models consistent with the samples (widened, or
        the oldest samples dropped, where they disagree); empty when there are none."""
        if not self.samples:
            return []
        kept, widening = self.samples, _least_widening(self.samples)
        while len(kept) > 1:  # forget the oldest job while that halves the disagreement (the API changed)
            without_oldest = _least_widening(kept[1:])
            if widening is not None and (without_oldest is None or without_oldest >= widening / 2):
                break
            kept, widening = kept[1:], without_oldest
        return _consistent_speeds(kept, min(MAX_WIDENING, _WIDENING_FACTOR * (widening or 0.0)))


def with_expected_time(submission: SubmittedJob, conn_id: str, model: str, log: Any) -> SubmittedJob:
    """The submission with its predicted finish (blocking: call it on a worker, never in a trigger).

    :param submission: a new job, with its audio's duration when known.
    :param conn_id: the Airflow connection.
    :param model: the model id.
    :param log: a logger.
    """
    if submission.audio_seconds is None or submission.submitted_at is None:
        return submission
    expected = learned_timing(conn_id, model, log).expected_finish(submission.audio_seconds)
    if expected is None:
        return submission
    earliest, latest = round(expected[0], 3), round(expected[1], 3)
    log.info(
        "generation_id=%s (%.1f s of audio) is expected to finish %.1f to %.1f s after its submission, "
        "from the model's earlier jobs",
        submission.generation_id,
        submission.audio_seconds,
        earliest,
        latest,
    )
    return submission.model_copy(update={"expected_finish": (earliest, latest)})


def _least_widening(samples: tuple[Sample, ...]) -> float | None:
    """The least fraction by which every sample's range must be widened for one job time model to
    fit them all; None when even :data:`MAX_WIDENING` is not enough."""
    if _consistent_speeds(samples, 0.0):
        return 0.0
    if not _consistent_speeds(samples, MAX_WIDENING):
        return None
    low, high = 0.0, MAX_WIDENING
    for _ in range(_WIDENING_STEPS):
        middle = (low + high) / 2
        low, high = (low, middle) if _consistent_speeds(samples, middle) else (middle, high)
    return high


def _consistent_speeds(samples: tuple[Sample, ...], widening: float) -> list[Speed]:
    """The corners of the convex region of ``(fixed, per_second)``, both 0 or more, that put every
    sample's time inside its range widened by ``widening`` (empty when there is no such model)."""
    tops = [(audio, by * (1 + widening)) for audio, _, by in samples]
    most_fixed = min(top for _, top in tops)
    most_per_second = min(top / audio for audio, top in tops)
    region: list[Speed] = [
        (0.0, 0.0),
        (most_fixed, 0.0),
        (most_fixed, most_per_second),
        (0.0, most_per_second),
    ]
    for audio, after, by in samples:
        region = _clip(region, audio, by * (1 + widening), below=True)
        region = _clip(region, audio, after * (1 - widening), below=False)
    return region


def _clip(region: list[Speed], audio: float, bound: float, below: bool) -> list[Speed]:
    """The part of a convex polygon where ``fixed + per_second x audio`` is at most (``below``) or
    at least ``bound`` (one edge of Sutherland-Hodgman clipping)."""
    sign = 1.0 if below else -1.0

    def outside(corner: Speed) -> float:  # > 0: outside the half-plane
        return sign * (corner[0] + corner[1] * audio - bound)

    tolerance = 1e-9 * max(1.0, abs(bound))
    clipped: list[Speed] = []
    for index, corner in enumerate(region):
        previous = region[index - 1]
        here, before = outside(corner), outside(previous)
        if (here > tolerance) != (before > tolerance):  # the edge crosses the boundary
            share = before / (before - here)
            clipped.append(
                (
                    previous[0] + share * (corner[0] - previous[0]),
                    previous[1] + share * (corner[1] - previous[1]),
                )
            )
        if here <= tolerance:
            clipped.append(corner)
    return clipped


def learned_timing(conn_id: str, model: str, log: Any) -> JobTiming:
    """What this deployment learned of ``model`` (blocking: call it on a worker, never in a trigger).

    :param conn_id: the Airflow connection.
    :param model: the model id.
    :param log: a logger, for a Variable that cannot be read.
    """
    from airflow.providers.common.compat.sdk import Variable

    try:
        # the default goes by position: Airflow 2 names it default_var, Airflow 3 default
        value = Variable.get(timing_variable_key(conn_id, model), None)
    except Exception as exc:  # no task context, or the API server is unreachable: predict nothing
        log.debug("Could not read the learned job timing of %s: %s", model, exc)
        return JobTiming()
    return JobTiming() if value is None else JobTiming.from_json(value)


def learn_job(
    conn_id: str, model: str, audio_seconds: float, finished_between: tuple[float, float], log: Any
) -> None:
    """Add one finished job to what was learned of ``model`` (blocking: on a worker).

    :param conn_id: the Airflow connection.
    :param model: the model id.
    :param audio_seconds: the job's audio duration.
    :param finished_between: :func:`~airflow_provider_aimlstt.polling.finish_bracket` of its polls.
    :param log: a logger.
    """
    learn_jobs(conn_id, model, [(audio_seconds, finished_between)], log)


def learn_jobs(conn_id: str, model: str, jobs: Iterable[tuple[float, tuple[float, float]]], log: Any) -> None:
    """Add finished jobs to what was learned of ``model``, in one read and one write of its
    Variable (blocking: on a worker). Learning is an optimisation: a Variable that cannot be
    written is logged, never raised.

    :param conn_id: the Airflow connection.
    :param model: the model id.
    :param jobs: each job's audio duration and
        :func:`~airflow_provider_aimlstt.polling.finish_bracket`, oldest first.
    :param log: a logger.
    """
    from airflow.providers.common.compat.sdk import Variable

    usable = [(audio, bracket) for audio, bracket in jobs if audio > 0 and bracket[1] > 0]
    if not usable:
        return
    key = timing_variable_key(conn_id, model)
    timing = learned_timing(conn_id, model, log)
    for audio_seconds, finished_between in usable:
        timing = timing.with_job(audio_seconds, finished_between)
    try:
        Variable.set(
            key, timing.to_json(), description="Learned by airflow-provider-aimlstt to time its polls"
        )
    except Exception as exc:  # learning is an optimisation: never fail the task for it
        log.warning("Could not store the learned job timing of %s in Variable %s: %s", model, key, exc)
        return
    audio_seconds, (after, by) = usable[-1]
    expected = timing.expected_finish(audio_seconds) or (0.0, 0.0)
    log.info(
        "Learned from %d job(s), the last %.1f s of audio finished %.1f to %.1f s after its "
        "submission: %s now predicts %.1f to %.1f s for such audio",
        len(usable),
        audio_seconds,
        after,
        by,
        model,
        *expected,
    )

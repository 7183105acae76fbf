"""How long a job will take: its audio's duration times what this deployment learned of its model.

The API's processing time grows with the audio's duration, and every finished job tells us by how
much. What was learned is kept in one Airflow Variable per connection and model
(``aimlstt_job_timing.<conn_id>.<model>``), because every worker (which predicts, at submit
time, and learns, when a finished job is delivered) can read and write Variables, and the
triggerer never needs to: the prediction travels to it in the trigger's plain-JSON kwargs. Nothing
here runs in the triggerer, which must not block on the metadata database.

A Variable holds the last :data:`MAX_SAMPLES` jobs of the model as ``[audio seconds, job
seconds]`` pairs. One sample predicts in proportion to the audio; samples of different durations
fit a line (a fixed part, such as queueing, plus a part per audio second). Two workers that learn
at the same moment may lose one sample: it is an estimate, and the next job adds another.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from airflow_provider_aimlstt.models.submission import SubmittedJob
from airflow_provider_aimlstt.polling import finished_after

VARIABLE_PREFIX = "aimlstt_job_timing"
MAX_SAMPLES = 8
_SPREAD_FOR_A_LINE = 1.5
"""Fit a line only when the longest audio sampled is at least this many times the shortest."""


def timing_variable_key(conn_id: str, model: str) -> str:
    """The Variable that holds what was learned of ``model`` through ``conn_id``.

    :param conn_id: the Airflow connection (the emulator and the real API do not mix).
    :param model: the model id.
    """
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{VARIABLE_PREFIX}.{conn_id}.{model}")


@dataclass(frozen=True)
class JobTiming:
    """What was learned of one model: recent jobs as ``(audio seconds, job seconds)``.

    :param samples: oldest first.
    """

    samples: tuple[tuple[float, float], ...] = ()

    def expected_seconds(self, audio_seconds: float | None) -> float | None:
        """The predicted time from submission to completion; None when nothing is known.

        :param audio_seconds: the job's audio duration.
        """
        if audio_seconds is None or audio_seconds <= 0 or not self.samples:
            return None
        durations = [audio for audio, _ in self.samples]
        if len(self.samples) >= 2 and max(durations) >= _SPREAD_FOR_A_LINE * min(durations):
            fixed, per_second = _line(self.samples)
            if fixed >= 0 and per_second >= 0:
                return fixed + per_second * audio_seconds
        ratio = sum(seconds for _, seconds in self.samples) / sum(durations)
        return ratio * audio_seconds

    def with_job(self, audio_seconds: float, job_seconds: float) -> JobTiming:
        """These samples with one more job, keeping the last :data:`MAX_SAMPLES`.

        :param audio_seconds: the job's audio duration.
        :param job_seconds: its time from submission to completion.
        """
        return JobTiming((*self.samples, (float(audio_seconds), float(job_seconds)))[-MAX_SAMPLES:])

    def to_json(self) -> str:
        """The Variable's value."""
        return json.dumps({"samples": [list(sample) for sample in self.samples]})

    @classmethod
    def from_json(cls, text: Any) -> JobTiming:
        """Read a Variable's value; anything unreadable is nothing learned.

        :param text: the value.
        """
        try:
            samples = json.loads(text)["samples"]
            return cls(tuple((float(audio), float(seconds)) for audio, seconds in samples if audio > 0))
        except (TypeError, ValueError, KeyError):
            return cls()


def job_seconds_seen(submitted_at: float, found_at: float, last_pending_at: float | None) -> float:
    """A finished job's time from submission to completion, as near as its polls tell
    (:func:`~airflow_provider_aimlstt.polling.finished_after`).

    :param submitted_at: epoch seconds of the submission.
    :param found_at: epoch seconds of the poll that saw it finished.
    :param last_pending_at: epoch seconds of the last poll that saw it pending, if any.
    """
    pending = None if last_pending_at is None else last_pending_at - submitted_at
    return finished_after(found_at - submitted_at, pending)


def with_expected_time(submission: SubmittedJob, conn_id: str, model: str, log: Any) -> SubmittedJob:
    """The submission with its predicted time (blocking: call it on a worker, never in a trigger).

    :param submission: a new job, with its audio's duration when known.
    :param conn_id: the Airflow connection.
    :param model: the model id.
    :param log: a logger.
    """
    if submission.audio_seconds is None or submission.submitted_at is None:
        return submission
    expected = learned_timing(conn_id, model, log).expected_seconds(submission.audio_seconds)
    if expected is None:
        return submission
    log.info(
        "generation_id=%s (%.1f s of audio) is expected to complete in %.1f s, from the model's earlier jobs",
        submission.generation_id,
        submission.audio_seconds,
        expected,
    )
    return submission.model_copy(update={"expected_seconds": round(expected, 3)})


def _line(samples: tuple[tuple[float, float], ...]) -> tuple[float, float]:
    """Least squares ``seconds = fixed + per_second x audio``."""
    count = len(samples)
    mean_audio = sum(audio for audio, _ in samples) / count
    mean_seconds = sum(seconds for _, seconds in samples) / count
    spread = sum((audio - mean_audio) ** 2 for audio, _ in samples)
    per_second = sum((audio - mean_audio) * (seconds - mean_seconds) for audio, seconds in samples) / spread
    return mean_seconds - per_second * mean_audio, per_second


def learned_timing(conn_id: str, model: str, log: Any) -> JobTiming:
    """What this deployment learned of ``model`` (blocking: call it on a worker, never in a trigger).

    :param conn_id: the Airflow connection.
    :param model: the model id.
    :param log: a logger, for a Variable that cannot be read.
    """
    from airflow.sdk import Variable

    try:
        value = Variable.get(timing_variable_key(conn_id, model), default=None)
    except Exception as exc:  # no task context, or the API server is unreachable: predict nothing
        log.debug("Could not read the learned job timing of %s: %s", model, exc)
        return JobTiming()
    return JobTiming() if value is None else JobTiming.from_json(value)


def learn_job(conn_id: str, model: str, audio_seconds: float, job_seconds: float, log: Any) -> None:
    """Add one finished job to what was learned of ``model`` (blocking: on a worker).

    :param conn_id: the Airflow connection.
    :param model: the model id.
    :param audio_seconds: the job's audio duration.
    :param job_seconds: its time from submission to completion.
    """
    from airflow.sdk import Variable

    if audio_seconds <= 0 or job_seconds <= 0:
        return
    key = timing_variable_key(conn_id, model)
    timing = learned_timing(conn_id, model, log).with_job(audio_seconds, job_seconds)
    try:
        Variable.set(
            key, timing.to_json(), description="Learned by airflow-provider-aimlstt to time its polls"
        )
    except Exception as exc:  # learning is an optimisation: never fail the task for it
        log.warning("Could not store the learned job timing of %s in Variable %s: %s", model, key, exc)
        return
    log.info(
        "Learned from this job (%.1f s of audio in %.1f s): %s now predicts %.1f s for it",
        audio_seconds,
        job_seconds,
        model,
        timing.expected_seconds(audio_seconds) or 0.0,
    )

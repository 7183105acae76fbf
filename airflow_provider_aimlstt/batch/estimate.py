"""What a batch will cost, told before its first create: its files' audio, read from their heads,
at a price per audio second.

Each file's duration comes from its first bytes, as an upload's does
(:func:`~airflow_provider_aimlstt.audio_duration.duration_from_header`): WAV, MP3, FLAC and MP4
whose ``moov`` comes first. What that costs, per file, :data:`MAX_CONCURRENT_READS` files at a
time:

- one ranged read of its first :data:`~airflow_provider_aimlstt.multipart.HEAD_BYTES` (64 KiB):
  a GET with a ``Range`` on an object store, a read on a local disk;
- and only where the duration is counted from the file's size (a WAV or a constant-bit-rate MP3
  longer than its head), one metadata call for the size: a HEAD on a store, a ``stat`` on a disk;
- a URL: nothing (the API downloads it; the worker never does): its duration is unknown.

A file whose duration cannot be read (another format, no access, missing) counts as unknown; the
estimate gives what the unknown files would cost at the known files' mean duration apart, never
mixed into the known figure.

The price per audio second is the one given, or else what this deployment's earlier batches of
the same connection and model were billed per audio second: :func:`learn_cost_rate` keeps it in
an Airflow Variable, ``aimlstt_cost_rate.<conn_id>.<model>`` (beside the model's learned pace,
:mod:`~airflow_provider_aimlstt.job_timing`), over the last :data:`MAX_BATCHES` batches.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from airflow_provider_aimlstt.audio_duration import duration_from_header
from airflow_provider_aimlstt.audio_source import storage_scheme
from airflow_provider_aimlstt.batch.manifest import FileStatus
from airflow_provider_aimlstt.batch.row_fields import status_of, values_of
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.multipart import HEAD_BYTES
from airflow_provider_aimlstt.outputs.storage import conn_id_of, filesystem_of

VARIABLE_PREFIX = "aimlstt_cost_rate"
MAX_BATCHES = 8
"""Batches whose billed cost the learned price per audio second is taken over: the latest ones
(a price that changed is followed within as many batches)."""
MAX_CONCURRENT_READS = 16
"""Files whose heads are read at once, at most."""
MAX_LOGGED_UNREADABLE = 5
"""Files that could not be read named in the log (the count says how many in all)."""
_NO_SIZE = 1 << 62
"""A size no file has: a head read twice, with its own length and with this, tells whether the
duration it gives depends on the file's size."""

RateSource = Literal["given", "learned"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CostEstimate:
    """What a batch's audio adds up to, and what it would cost.

    :param files: the batch's files.
    :param files_with_duration: those whose duration was read from their heads.
    :param audio_seconds_known: the audio of those files, in seconds.
    :param unknown_files: the files whose duration could not be read (of these,
        ``unreadable_files`` could not be read at all).
    :param unreadable_files: files missing, not readable, or on a store that refused the read.
    :param usd_per_audio_second: the price used; None when none was given nor learned.
    :param rate_source: ``"given"``, ``"learned"`` (from this deployment's earlier batches), or None.
    :param estimated_usd: what the known audio costs at that price; None without a price.
    :param unknown_audio_seconds_guess: the unknown files' audio, were each as long as the known
        files' mean; None when no file's duration is known.
    :param unknown_estimated_usd: what that guess costs at the price; None without both.
    :param head_reads: ranged reads of a file's head made.
    :param size_lookups: metadata calls made for a file's size.
    :param read_seconds: how long the reads took, in all.
    :param seconds_by_source: each file's duration (None: unknown); left out of :meth:`summary`.
    """

    files: int
    files_with_duration: int
    audio_seconds_known: float
    unknown_files: int
    unreadable_files: int
    usd_per_audio_second: float | None
    rate_source: RateSource | None
    estimated_usd: float | None
    unknown_audio_seconds_guess: float | None
    unknown_estimated_usd: float | None
    head_reads: int
    size_lookups: int
    read_seconds: float
    seconds_by_source: dict[str, float | None] = field(default_factory=dict, repr=False, compare=False)

    @property
    def total_usd(self) -> float | None:
        """The known audio's cost plus the unknown files' at the known mean; None without a price."""
        if self.estimated_usd is None:
            return None
        return round(self.estimated_usd + (self.unknown_estimated_usd or 0.0), 9)

    def summary(self) -> dict[str, Any]:
        """The estimate as plain JSON, without the files' durations (for XCom and trigger kwargs)."""
        kept = (item.name for item in fields(self) if item.name != "seconds_by_source")
        return {name: getattr(self, name) for name in kept}

    @classmethod
    def from_summary(cls, summary: dict[str, Any]) -> CostEstimate:
        """The estimate :meth:`summary` gave (unknown keys are ignored).

        :param summary: what :meth:`summary` returned.
        """
        names = {item.name for item in fields(cls)} - {"seconds_by_source"}
        return cls(**{key: value for key, value in summary.items() if key in names})

    @property
    def mean_known_seconds(self) -> float | None:
        """The known files' mean duration; None when no file's duration is known."""
        return self.audio_seconds_known / self.files_with_duration if self.files_with_duration else None

    def log_line(self) -> str:
        """The estimate in one line, for the task's log."""
        seconds, hours = self.audio_seconds_known, self.audio_seconds_known / 3600
        audio = (
            f"{seconds:,.1f} s ({hours:.2f} h) of audio in {self.files_with_duration} of {self.files} file(s)"
        )
        if self.usd_per_audio_second is None or self.estimated_usd is None:
            cost = "no price per audio second given or learned yet: cost unknown"
        else:
            where = "given" if self.rate_source == "given" else "billed in this deployment's earlier batches"
            cost = f"${self.estimated_usd:.4f} at ${self.usd_per_audio_second:.8f} per audio second ({where})"
        line = f"Cost estimate: {audio}: {cost}"
        if self.unknown_files:
            line += f"; {self.unknown_files} file(s) of unknown duration"
            if self.unreadable_files:
                line += f" ({self.unreadable_files} unreadable)"
            if self.unknown_audio_seconds_guess is not None:
                line += f", about {self.unknown_audio_seconds_guess / 3600:.2f} h more at the known mean"
                if self.unknown_estimated_usd is not None:
                    line += f", ${self.unknown_estimated_usd:.4f} more"
        return (
            f"{line}. Read {self.head_reads} head(s) of up to {HEAD_BYTES // 1024} KiB and "
            f"{self.size_lookups} size(s) in {self.read_seconds:.2f} s"
        )


@dataclass(frozen=True)
class _HeadRead:
    """One file's duration, and what reading it took."""

    seconds: float | None = None
    head_read: bool = False
    size_lookup: bool = False
    error: str | None = None


def estimate_batch_cost(
    sources: Sequence[str],
    *,
    usd_per_audio_second: float | None = None,
    conn_id: str | None = None,
    model: str | None = None,
    input_conn_id: str | None = None,
    log: Any = None,
) -> CostEstimate:
    """The audio of ``sources`` and what it would cost, from a bounded head of each file.

    :param sources: the batch's files: paths or URIs, as the batch submits them.
    :param usd_per_audio_second: the price to use; None: what ``conn_id`` and ``model`` were billed
        in earlier batches (:func:`learned_cost_rate`), if anything.
    :param conn_id: the ``aimlstt`` connection (for the learned price).
    :param model: the model id (for the learned price).
    :param input_conn_id: the Airflow connection of the store of a URI that names none.
    :param log: a logger (this module's by default).
    :raises AimlSttValidationError: naming ``usd_per_audio_second`` when it is not a price.
    """
    log = log or _log
    rate: float | None = None
    rate_source: RateSource | None = None
    if usd_per_audio_second is not None:
        rate, rate_source = _price(usd_per_audio_second), "given"
    elif conn_id is not None and model is not None:
        rate = learned_cost_rate(conn_id, model, log)
        rate_source = None if rate is None else "learned"

    started = time.monotonic()
    if sources:
        with ThreadPoolExecutor(min(MAX_CONCURRENT_READS, len(sources))) as pool:
            reads = list(pool.map(lambda source: _read_duration(source, input_conn_id), sources))
    else:
        reads = []
    read_seconds = time.monotonic() - started

    durations = [read.seconds for read in reads if read.seconds is not None]
    unreadable = [(source, read.error) for source, read in zip(sources, reads, strict=True) if read.error]
    for source, error in unreadable[:MAX_LOGGED_UNREADABLE]:
        log.warning("Cost estimate: could not read the head of %s: %s", source, error)
    known = math.fsum(durations)
    unknown = len(sources) - len(durations)
    guess = None  # the unknown files' audio, were each as long as the known files' mean
    if durations:
        guess = known / len(durations) * unknown
    return CostEstimate(
        files=len(sources),
        files_with_duration=len(durations),
        audio_seconds_known=round(known, 3),
        unknown_files=unknown,
        unreadable_files=len(unreadable),
        usd_per_audio_second=rate,
        rate_source=rate_source,
        estimated_usd=None if rate is None else round(known * rate, 9),
        unknown_audio_seconds_guess=None if guess is None else round(guess, 3),
        unknown_estimated_usd=None if rate is None or guess is None else round(guess * rate, 9),
        head_reads=sum(read.head_read for read in reads),
        size_lookups=sum(read.size_lookup for read in reads),
        read_seconds=round(read_seconds, 3),
        seconds_by_source={source: read.seconds for source, read in zip(sources, reads, strict=True)},
    )


def combined_estimate(
    estimates: Sequence[CostEstimate],
    *,
    usd_per_audio_second: float | None,
    rate_source: RateSource | None,
) -> CostEstimate:
    """The estimate of several batches' files together (a night's chunks, each estimated at the same
    price): their sums, the unknown files' audio guessed at the mean of every known file.

    :param estimates: each batch's estimate, from :func:`estimate_batch_cost`.
    :param usd_per_audio_second: the price they were made at; None when there was none.
    :param rate_source: where that price came from.
    """
    known = math.fsum(estimate.audio_seconds_known for estimate in estimates)
    with_duration = sum(estimate.files_with_duration for estimate in estimates)
    unknown = sum(estimate.unknown_files for estimate in estimates)
    guess = known / with_duration * unknown if with_duration else None
    rate = usd_per_audio_second
    return CostEstimate(
        files=sum(estimate.files for estimate in estimates),
        files_with_duration=with_duration,
        audio_seconds_known=round(known, 3),
        unknown_files=unknown,
        unreadable_files=sum(estimate.unreadable_files for estimate in estimates),
        usd_per_audio_second=rate,
        rate_source=rate_source if rate is not None else None,
        estimated_usd=None if rate is None else round(known * rate, 9),
        unknown_audio_seconds_guess=None if guess is None else round(guess, 3),
        unknown_estimated_usd=None if rate is None or guess is None else round(guess * rate, 9),
        head_reads=sum(estimate.head_reads for estimate in estimates),
        size_lookups=sum(estimate.size_lookups for estimate in estimates),
        read_seconds=round(math.fsum(estimate.read_seconds for estimate in estimates), 3),
        seconds_by_source={
            source: seconds
            for estimate in estimates
            for source, seconds in estimate.seconds_by_source.items()
        },
    )


def _price(value: Any) -> float:
    """A price per audio second: a finite number, 0 or more.

    :raises AimlSttValidationError: naming ``usd_per_audio_second``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise AimlSttValidationError(
            f"usd_per_audio_second: must be a price in USD, 0 or more, got {value!r}"
        )
    return float(value)


def _read_duration(source: str, input_conn_id: str | None) -> _HeadRead:
    """One file's duration from its head: one ranged read, and its size only where the duration
    is counted from it (see the module's docstring)."""
    if source.startswith(("http://", "https://")):
        return _HeadRead()  # the API downloads it: never read here
    try:
        path = _path_of(source, input_conn_id)
        fs = filesystem_of(path)
        head = bytes(fs.cat_file(path.path, start=0, end=HEAD_BYTES))
        if len(head) < HEAD_BYTES:  # the head is the whole file
            return _HeadRead(duration_from_header(head, len(head)), head_read=True)
        shortest = duration_from_header(head, len(head))
        if shortest == duration_from_header(head, _NO_SIZE):  # the size does not matter
            return _HeadRead(shortest, head_read=True)
        size = int(fs.size(path.path))
        return _HeadRead(duration_from_header(head, size), head_read=True, size_lookup=True)
    except Exception as exc:  # a missing file, no access, the store's own errors: unknown, named
        return _HeadRead(error=f"{type(exc).__name__}: {exc}")


def _path_of(source: str, input_conn_id: str | None) -> Any:
    """The ``ObjectStoragePath`` of a source: a local path as ``file://``; a URI with its own
    connection, else ``input_conn_id``."""
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    if storage_scheme(source) is None:
        return ObjectStoragePath(os.path.abspath(source.removeprefix("file://")), protocol="file")
    path = ObjectStoragePath(source)
    if conn_id_of(path) is None and input_conn_id:
        path = ObjectStoragePath(source, conn_id=input_conn_id)
    return path


# -- the price learned from earlier batches --------------------------------------------------------


def cost_rate_variable_key(conn_id: str, model: str) -> str:
    """The Variable that holds what ``model`` was billed per audio second through ``conn_id``.

    :param conn_id: the ``aimlstt`` connection (the emulator and the real API do not mix).
    :param model: the model id.
    """
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{VARIABLE_PREFIX}.{conn_id}.{model}")


def billed_audio(rows: Iterable[Any]) -> tuple[float, float]:
    """USD billed and audio seconds of the rows that say both (transcribed files with a cost).

    :param rows: manifest rows (:class:`~airflow_provider_aimlstt.batch.manifest.ManifestRow`, or
        their dicts).
    """
    usd = seconds = 0.0
    for row in map(values_of, rows):
        cost, audio = row.get("cost_usd"), row.get("audio_seconds")
        if (
            status_of(row) == FileStatus.TRANSCRIBED.value
            and cost is not None
            and audio
            and audio > 0
            and cost >= 0
        ):
            usd += float(cost)
            seconds += float(audio)
    return usd, seconds


def _rate_of(text: Any) -> float | None:
    """The price a Variable's value gives; None for nothing learned (or unreadable)."""
    batches = _batches_of(text)
    usd, seconds = math.fsum(b[0] for b in batches), math.fsum(b[1] for b in batches)
    return usd / seconds if seconds > 0 else None


def _batches_of(text: Any) -> list[tuple[float, float]]:
    try:
        batches = [(float(usd), float(seconds)) for usd, seconds in json.loads(text)["batches"]]
    except (TypeError, ValueError, KeyError):
        return []
    return [(usd, seconds) for usd, seconds in batches if usd >= 0 and seconds > 0]


def learned_cost_rate(conn_id: str, model: str, log: Any = None) -> float | None:
    """What ``model`` was billed per audio second in this deployment's latest batches (blocking:
    on a worker); None when nothing was learned, or the Variable cannot be read.

    :param conn_id: the ``aimlstt`` connection.
    :param model: the model id.
    :param log: a logger.
    """
    from airflow.providers.common.compat.sdk import Variable

    try:
        # the default goes by position: Airflow 2 names it default_var, Airflow 3 default
        value = Variable.get(cost_rate_variable_key(conn_id, model), None)
    except Exception as exc:  # no task context, or the API server is unreachable: nothing learned
        (log or _log).debug("Could not read the learned cost of %s: %s", model, exc)
        return None
    return None if value is None else _rate_of(value)


def learn_cost_rate(conn_id: str, model: str, rows: Iterable[Any], log: Any = None) -> float | None:
    """Add a finished batch's billed cost per audio second to what was learned of ``model``, in
    one read and one write of its Variable (blocking: on a worker); the price now learned, or
    None when the batch billed nothing to learn from. Learning never fails the task: a Variable
    that cannot be written is logged.

    :param conn_id: the ``aimlstt`` connection.
    :param model: the model id.
    :param rows: the batch's manifest rows (objects or dicts): its transcribed files with both a
        cost and an audio duration count.
    :param log: a logger.
    """
    from airflow.providers.common.compat.sdk import Variable

    log = log or _log
    usd, seconds = billed_audio(rows)
    if seconds <= 0:
        return None
    key = cost_rate_variable_key(conn_id, model)
    try:
        earlier = _batches_of(Variable.get(key, None))  # the default by position, as above
    except Exception as exc:
        log.debug("Could not read the learned cost of %s: %s", model, exc)
        earlier = []
    batches = [*earlier, (round(usd, 9), round(seconds, 3))][-MAX_BATCHES:]
    value = json.dumps({"batches": [list(batch) for batch in batches]})
    try:
        Variable.set(key, value, description="Learned by airflow-provider-aimlstt to estimate batch costs")
    except Exception as exc:  # learning is an optimisation: never fail the task for it
        log.warning("Could not store the learned cost of %s in Variable %s: %s", model, key, exc)
        return None
    rate = _rate_of(value)
    log.info(
        "Learned the cost of %s: this batch billed $%.6f for %.1f s of audio; $%.8f per audio "
        "second over the last %d batch(es)",
        model,
        usd,
        seconds,
        rate,
        len(batches),
    )
    return rate

"""List a folder's (or a glob's) audio files that are new or changed since their transcripts, as
chunk lists for mapped batch tasks, with the night's cost estimate and each chunk's share of its cap."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_aimlstt.batch.inputs import DEFAULT_AUDIO_SUFFIXES
from airflow_provider_aimlstt.defaults import DEFAULT_CONN_ID
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.outputs.settings import DEFAULT_FORMATS, OutputSettings

if TYPE_CHECKING:  # imported when the task runs: parsing a DAG needs none of it
    from airflow_provider_aimlstt.batch.estimate import CostEstimate
    from airflow_provider_aimlstt.batch.inputs import AudioFile

NIGHT_XCOM_KEY = "night"
"""The XCom key under which the listing pushes what it found: files, chunks, estimate, cap."""
CHUNKS_FOLDER = "_chunks"
"""The output folder's sub-folder of chunk lists: ``_chunks/<dag>__<run>__<task>/chunk-00000.json``."""
TEMPLATE_NEEDS_INTERVAL = ("data_interval_start", "data_interval_end", "logical_date", "ds")
"""Context names a run triggered without a logical date does not have."""


class AimlSttListNewAudioOperator(BaseOperator):
    """List the audio files of ``input_path`` that are new or changed since their transcripts in
    ``output_path`` were written, and write them as JSON lists of ``chunk_size`` files on the
    output store: one batch task's worth each.

    The input folder (with its sub-folders) or glob is listed with one call and the output folder
    with one more (:func:`~airflow_provider_aimlstt.batch.inputs.list_audio`,
    :func:`~airflow_provider_aimlstt.batch.receipts.written_transcripts`); each file's output name
    is decided once for the whole listing and written into its chunk, so files that would write
    the same name get distinct ones in whatever chunk they land. The lists go to
    ``<output_path>/_chunks/<dag>__<run>__<task>/``.

    Then it estimates the night: each chunk's audio is read from a 64 KiB head of each file
    (:func:`~airflow_provider_aimlstt.batch.estimate.estimate_batch_cost`) and priced at
    ``usd_per_audio_second``, or else at what this deployment's earlier batches of ``model`` were
    billed. The estimate is logged, and pushed to XCom under :data:`NIGHT_XCOM_KEY` with the
    counts, for the run's summary and report.

    ``max_cost_usd`` is the cap of the whole run. It is shared among the chunks in proportion to
    their audio (a file of unknown duration counts as the night's mean): each chunk's batch task
    gets the cap times its share of the estimated cost as its own ``max_cost_usd``, and stops
    submitting before it would pass it. The shares add up to the cap, so the run's bill stays
    within it but for what the last files in flight cost beyond their estimate. Budget a chunk
    leaves unspent goes to no other chunk: the batch tasks run at the same time. The split needs
    no price (it follows the audio); the batch tasks' stops do.

    Returns one dict per chunk, for ``expand_kwargs`` of a batch operator:
    ``{"audio_list_path": <the list's URI>, "max_cost_usd": <its share, or None>}``. With
    ``estimate_only`` (a dry run) it logs the estimate, then writes no list and returns none:
    nothing is submitted downstream. Fails (without retrying) when there are more chunks than
    ``[core] max_map_length`` allows to map.

    :param input_path: the folder (listed with its sub-folders) or glob pattern
        (``s3://calls/2026/12/06/**/*.mp3``) of the audio. Templated.
    :param output_path: the transcripts' folder (sub-folders mirrored): where the batch tasks write,
        and where the chunk lists go. Templated.
    :param formats: the formats the batch tasks write: a file counts as transcribed when every
        one is there with a receipt of its current content.
    :param chunk_size: files per list (per batch task). Templated.
    :param model: the model id, for the price learned from earlier batches. Templated.
    :param audio_suffixes: the suffixes a folder's files must have (a glob takes what it matches).
    :param input_conn_id: the Airflow connection of the input store, when its URI names none.
    :param output_conn_id: the Airflow connection of the output store, when its URI names none.
    :param aimlstt_conn_id: the ``aimlstt`` connection, for the price learned from earlier batches.
    :param usd_per_audio_second: the price for the estimate; None: the learned one, if any.
    :param max_cost_usd: the run's cap in USD, shared among the chunks; None: no cap. Templated.
    :param estimate_only: a dry run: log the estimate, write and return no chunk. Templated.
    """

    template_fields: Sequence[str] = (
        "input_path",
        "output_path",
        "chunk_size",
        "model",
        "max_cost_usd",
        "estimate_only",
    )
    ui_color = "#c9e7df"

    def __init__(
        self,
        *,
        input_path: Any,
        output_path: Any,
        formats: Sequence[str] = DEFAULT_FORMATS,
        chunk_size: int | str = 500,
        model: str | None = None,
        audio_suffixes: Sequence[str] = DEFAULT_AUDIO_SUFFIXES,
        input_conn_id: str | None = None,
        output_conn_id: str | None = None,
        aimlstt_conn_id: str = DEFAULT_CONN_ID,
        usd_per_audio_second: float | None = None,
        max_cost_usd: float | str | None = None,
        estimate_only: bool | str = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        checked = OutputSettings(output_path, tuple(formats), None, output_conn_id)  # bad formats fail here
        if not is_template(chunk_size):  # a template is checked once rendered
            chunk_size = whole_number("chunk_size", chunk_size, 1)
        if not is_template(max_cost_usd):
            max_cost_usd = usd_amount("max_cost_usd", max_cost_usd)
        if not is_template(estimate_only):
            estimate_only = flag("estimate_only", estimate_only)
        if usd_per_audio_second is not None:
            usd_per_audio_second = usd_amount("usd_per_audio_second", usd_per_audio_second)
        self.input_path = input_path
        self.output_path = output_path
        self.formats = checked.formats
        self.chunk_size = chunk_size
        self.model = model
        self.audio_suffixes = tuple(audio_suffixes)
        self.input_conn_id = input_conn_id
        self.output_conn_id = output_conn_id
        self.aimlstt_conn_id = aimlstt_conn_id
        self.usd_per_audio_second = usd_per_audio_second
        self.max_cost_usd = max_cost_usd
        self.estimate_only = estimate_only

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Render the templated arguments; a template naming the run's data interval in a run that
        has none fails saying so (:func:`render_naming_the_interval`).

        :param context: the task's context.
        :param jinja_env: the Jinja environment.
        """
        render_naming_the_interval(super().render_template_fields, context, jinja_env)

    def execute(self, context: Any) -> list[dict[str, Any]]:
        """List, estimate, and write the chunk lists; return one ``expand_kwargs`` dict per chunk."""
        from airflow.providers.common.compat.sdk import AirflowFailException, conf

        from airflow_provider_aimlstt.batch.inputs import list_audio, write_audio_lists
        from airflow_provider_aimlstt.batch.manifest import safe_name
        from airflow_provider_aimlstt.batch.receipts import written_transcripts
        from airflow_provider_aimlstt.outputs.storage import resolve_folder, uri_of

        chunk_size = whole_number("chunk_size", self.chunk_size, 1)
        max_cost_usd = usd_amount("max_cost_usd", self.max_cost_usd)
        dry_run = flag("estimate_only", self.estimate_only)
        files = list_audio(self.input_path, self.audio_suffixes, self.input_conn_id)  # named once, for all
        written = written_transcripts(self.output_path, self.formats, self.output_conn_id)
        new = [file for file in files if not written.unchanged(file.name, file.fingerprint)]
        where = self.input_path if isinstance(self.input_path, str) else uri_of(self.input_path)
        self.log.info(
            "%d new or changed of %d audio file(s) in %s (%d already transcribed)",
            len(new),
            len(files),
            where,
            len(files) - len(new),
        )
        chunks = [new[start : start + chunk_size] for start in range(0, len(new), chunk_size)]
        limit = conf.getint("core", "max_map_length")
        if len(chunks) > limit and not dry_run:
            raise AirflowFailException(
                f"{len(new)} new audio files in {where} make {len(chunks)} chunks of {chunk_size}, more "
                f"than [core] max_map_length ({limit}) batch tasks: raise chunk_size, or raise [core] "
                "max_map_length (AIRFLOW__CORE__MAX_MAP_LENGTH)"
            )
        night, estimates = self._estimate(chunks)
        self.log.info("The night: %s", night.log_line())
        shares = cap_shares(max_cost_usd, chunk_weights(estimates, night))
        if max_cost_usd is not None:
            self._log_cap(max_cost_usd, night, shares)
        ti = context["ti"]
        ti.xcom_push(
            key=NIGHT_XCOM_KEY,
            value={
                "listed": len(files),
                "new": len(new),
                "chunks": 0 if dry_run else len(chunks),
                "chunk_sizes": [] if dry_run else [len(chunk) for chunk in chunks],
                "max_cost_usd": max_cost_usd,
                "dry_run": dry_run,
                "estimate": night.summary(),
            },
        )
        if dry_run:
            self.log.info("Dry run: nothing written, nothing submitted (%d file(s) would be)", len(new))
            return []
        if not new:
            self.log.info("Nothing new to transcribe")
            return []
        task_instance = (ti.dag_id, ti.run_id, ti.task_id)
        folder = resolve_folder(self.output_path, self.output_conn_id) / CHUNKS_FOLDER
        folder = folder / "__".join(safe_name(str(part)) for part in task_instance)
        lists = write_audio_lists(new, chunk_size, folder, self.output_conn_id)
        self.log.info(
            "Wrote %d chunk list(s) of up to %d file(s) to %s", len(lists), chunk_size, uri_of(folder)
        )
        return [
            {"audio_list_path": location, "max_cost_usd": share}
            for location, share in zip(lists, shares, strict=True)
        ]

    def _estimate(self, chunks: list[list[AudioFile]]) -> tuple[CostEstimate, list[CostEstimate]]:
        """The night's estimate and each chunk's, all at one price (the given one, else the learned one).

        :param chunks: the files of each chunk.
        """
        from airflow_provider_aimlstt.batch.estimate import (
            combined_estimate,
            estimate_batch_cost,
            learned_cost_rate,
        )

        rate = self.usd_per_audio_second
        source: Any = "given" if rate is not None else None
        if rate is None and self.model:
            rate = learned_cost_rate(self.aimlstt_conn_id, self.model, self.log)
            source = None if rate is None else "learned"
        estimates = [
            estimate_batch_cost(
                [file.source for file in chunk],
                usd_per_audio_second=rate,
                input_conn_id=self.input_conn_id,
                log=self.log,
            )
            for chunk in chunks
        ]
        return combined_estimate(estimates, usd_per_audio_second=rate, rate_source=source), estimates

    def _log_cap(self, max_cost_usd: float, night: CostEstimate, shares: list[float | None]) -> None:
        """Say how the cap is shared, and whether the night's estimate passes it.

        :param max_cost_usd: the run's cap.
        :param night: the night's estimate.
        :param shares: each chunk's share of the cap.
        """
        spread = f"{len(shares)} chunk(s)"
        if shares:
            spread += f", ${min(s or 0.0 for s in shares):.6f} to ${max(s or 0.0 for s in shares):.6f} each"
        self.log.info(
            "Cost cap $%.6f for the run, shared in proportion to audio among %s", max_cost_usd, spread
        )
        expected = night.total_usd
        if expected is None:
            self.log.warning(
                "No price per audio second was given or learned: the night's cost is unknown, and each "
                "batch task stops at its share by the price it has"
            )
        elif expected > max_cost_usd:
            self.log.warning(
                "The night's estimate, $%.6f, passes the cap of $%.6f: each batch task will stop at its "
                "share, leaving about %.0f%% of the files for a later run",
                expected,
                max_cost_usd,
                100 * (1 - max_cost_usd / expected),
            )


def render_naming_the_interval(render: Any, context: Any, jinja_env: Any) -> None:
    """``render(context, jinja_env)`` (an operator's ``render_template_fields``); a template that
    names the run's data interval or logical date in a run that has none (triggered without a
    logical date) raises a message that says so instead of Jinja's ``'data_interval_end' is undefined``.

    :param render: the operator's own rendering.
    :param context: the task's context.
    :param jinja_env: the Jinja environment.
    :raises AimlSttValidationError: when the run has no data interval for a template that needs one.
    """
    import jinja2

    try:
        render(context, jinja_env)
    except jinja2.UndefinedError as error:
        if not any(f"'{name}'" in str(error) for name in TEMPLATE_NEEDS_INTERVAL):
            raise
        raise AimlSttValidationError(
            f"{error}: this run has no data interval (it was triggered without a logical date), so "
            "its templates cannot name its day; trigger it with a logical date"
        ) from None


def chunk_weights(estimates: Sequence[CostEstimate], night: CostEstimate) -> list[float]:
    """Each chunk's weight in the cap: its audio seconds, a file of unknown duration counted at the
    night's mean; each file counts 1 when no file's duration is known.

    :param estimates: each chunk's estimate.
    :param night: the night's (for the mean duration).
    """
    mean = night.mean_known_seconds
    if mean is None:
        return [float(estimate.files) for estimate in estimates]
    return [estimate.audio_seconds_known + estimate.unknown_files * mean for estimate in estimates]


def cap_shares(max_cost_usd: float | None, weights: Sequence[float]) -> list[float | None]:
    """The cap shared in proportion to ``weights``, in whole nano-dollars rounded down (their sum
    never passes the cap); None for each when there is no cap.

    :param max_cost_usd: the run's cap.
    :param weights: each chunk's weight (:func:`chunk_weights`).
    """
    if max_cost_usd is None:
        return [None] * len(weights)
    total = math.fsum(weights)
    if total <= 0:  # every file is silent: shared by count
        weights, total = [1.0] * len(weights), float(len(weights))
    nanos = round(max_cost_usd * 1e9)
    return [math.floor(nanos * weight / total) / 1e9 for weight in weights]


def is_template(value: Any) -> bool:
    """Whether an argument is a Jinja template, checked only once rendered.

    :param value: the argument as given.
    """
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def whole_number(name: str, value: Any, least: int) -> int:
    """``value`` as a whole number of at least ``least`` (a rendered template's text is read too).

    :param name: the argument, for the message.
    :param value: its value.
    :param least: the smallest allowed.
    :raises AimlSttValidationError: naming the argument.
    """
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise AimlSttValidationError(f"{name}: must be a whole number, {least} or more, got {value!r}")
    return value


def usd_amount(name: str, value: Any) -> float | None:
    """``value`` as an amount in USD, 0 or more, or None (a rendered template's text is read too:
    ``""`` and ``"None"`` are None).

    :param name: the argument, for the message.
    :param value: its value.
    :raises AimlSttValidationError: naming the argument.
    """
    if value is None or (isinstance(value, str) and value.strip() in ("", "None", "none", "null")):
        return None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise AimlSttValidationError(f"{name}: must be an amount in USD, 0 or more, or None; got {value!r}")
    return float(value)


def flag(name: str, value: Any) -> bool:
    """``value`` as a bool (a rendered template's ``"True"``/``"False"`` too).

    :param name: the argument, for the message.
    :param value: its value.
    :raises AimlSttValidationError: naming the argument.
    """
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if not isinstance(value, bool):
        raise AimlSttValidationError(f"{name}: must be True or False, got {value!r}")
    return value

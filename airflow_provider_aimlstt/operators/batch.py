"""Transcribe thousands of recordings in one task: bounded jobs in flight, one deferred wait, a manifest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import Asset, BaseOperator, conf

from airflow_provider_aimlstt.batch.inputs import DEFAULT_AUDIO_SUFFIXES, BatchInputs
from airflow_provider_aimlstt.defaults import DEFAULT_CONN_ID
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.links import REPORT_URL_XCOM_KEY, AimlSttBatchReportLink
from airflow_provider_aimlstt.operators.listing import usd_amount, whole_number
from airflow_provider_aimlstt.outputs.settings import DEFAULT_FORMATS, OutputSettings

if TYPE_CHECKING:  # the run's module is imported when the task runs: parsing a DAG needs none of it
    from airflow_provider_aimlstt.batch.run import BatchRun


class AimlSttBatchTranscribeOperator(BaseOperator):
    """Transcribe many audio files in one task, writing each one's transcripts to ``output_path``.

    Files are submitted concurrently, at most ``max_in_flight`` jobs at a time (a 429 halves that
    for a while). The wait for the jobs runs in ONE trigger per task; the task resumes when it
    has work to do (enough jobs finished to refill the window, a result nearing its one-hour
    retention, or all done), writes what finished, submits the next files and defers again.
    With ``deferrable=False`` (a deployment without a triggerer) the same wait runs on the
    worker, which the task then holds until the batch ends.

    A manifest (JSON Lines, one row per file) is kept on the output store and rewritten as the
    batch goes, at ``<output_path>/_manifests/<dag>__<run>__<task>__<map index>.jsonl``: a retry or
    a re-run of the task reads it and adopts its jobs, so no file is submitted twice. One bad file
    never fails the batch: it is recorded with its cause (a create refused for a passing reason,
    or whose answer was lost and the usage log shows no job for, is sent again, up to 3 creates a
    file). The task fails at the end only when more than ``max_failed_files`` files failed,
    naming them. It returns counts and the manifest's location, never transcripts.

    What no file can get past stops the batch instead. A create the API refuses with 401 or 403
    (a wrong key, no credits left) fails the task at once and without retries, naming the cause:
    the files not submitted stay pending, and the jobs accepted before stay submitted, in the
    manifest, so that clearing the task once the connection works goes on where it stopped. A
    create that could not connect is sent again after the connection's retry backoff, one wait
    for all of them, before any file fails.

    Before the first create, the task reads the head of each file to submit and logs what the batch
    will cost (:mod:`~airflow_provider_aimlstt.batch.estimate`): at ``usd_per_audio_second``, or at
    what this deployment was billed per audio second before. ``estimate_only`` (a dry run) stops
    there and returns the estimate, submitting nothing. With ``max_cost_usd``, no create is sent
    that would take what the batch's jobs cost (billed, or estimated while in flight) past it: the
    task finishes and writes what is in flight, then fails without retries, saying how many files
    were left. When the batch ends, its report (HTML: counts, cost against the estimate and the cap,
    pace, slowest files, every failure) is written to ``<output_path>/_reports/`` and linked from
    the task in the UI ("Batch report"), and its counts go to Airflow's metrics
    (:mod:`~airflow_provider_aimlstt.batch.metrics`).

    Polls and fetches are retried as the ``aimlstt`` connection says; its trigger polls on the
    provider's schedule (10 s, growing to 60 s, or when a job is predicted to finish).

    :param audio_paths: the files: paths or URIs (``s3://...``, ``file://...``, ``https://...``).
        Templated; may come from XCom.
    :param input_path: instead of ``audio_paths``, a folder whose audio files are taken, its
        sub-folders too, or a glob pattern (``s3://calls/2026/12/06/**/*.mp3``): one listing
        call; output names mirror the files' paths under it
        (:func:`~airflow_provider_aimlstt.batch.inputs.output_names`). Templated.
    :param audio_list_path: instead of either, the URI of a JSON file holding the list of files
        (what a listing task writes for each chunk, so that XCom carries a path, not the list).
        Templated.
    :param audio_suffixes: the suffixes ``input_path``'s files must have.
    :param input_conn_id: the Airflow connection of the input store, when its URI names none.
    :param model: the model id. Templated.
    :param options: the model's options. Templated.
    :param output_path: the folder of the transcripts (and of ``_manifests/``). Templated.
    :param formats: the formats to write for each file.
    :param output_conn_id: the Airflow connection of the output store.
    :param aimlstt_conn_id: the Airflow connection of type ``aimlstt``.
    :param allow_unknown_model: accept a model id the provider does not list.
    :param max_in_flight: jobs submitted and not finished, at most. Templated.
    :param max_failed_files: failed files the task tolerates before it fails. Templated.
    :param timeout: the longest the whole batch may take (default 12 hours).
    :param deferrable: wait for the jobs in the triggerer; False: on the worker. None reads
        ``[operators] default_deferrable``.
    :param max_cost_usd: the most the batch may cost, in USD. Templated.
    :param usd_per_audio_second: the price to estimate with; None: what was billed before.
    :param estimate_only: a dry run: log and return the estimate; submit and write nothing.
    """

    template_fields: Sequence[str] = (
        "audio_paths",
        "input_path",
        "audio_list_path",
        "model",
        "options",
        "output_path",
        "max_in_flight",
        "max_failed_files",
        "max_cost_usd",
    )
    operator_extra_links = (AimlSttBatchReportLink(),)
    ui_color = "#8fd3bf"

    def __init__(
        self,
        *,
        model: str,
        output_path: Any,
        audio_paths: Sequence[str] | None = None,
        input_path: Any = None,
        audio_list_path: str | None = None,
        audio_suffixes: Sequence[str] = DEFAULT_AUDIO_SUFFIXES,
        input_conn_id: str | None = None,
        options: dict[str, Any] | None = None,
        formats: Sequence[str] = DEFAULT_FORMATS,
        output_conn_id: str | None = None,
        aimlstt_conn_id: str = DEFAULT_CONN_ID,
        allow_unknown_model: bool = False,
        max_in_flight: int | str = 32,
        max_failed_files: int | str = 0,
        timeout: float | timedelta = timedelta(hours=12),
        deferrable: bool | None = None,
        max_cost_usd: float | str | None = None,
        usd_per_audio_second: float | None = None,
        estimate_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if [audio_paths, input_path, audio_list_path].count(None) != 2:
            raise AimlSttValidationError(
                "audio_paths / input_path / audio_list_path: give exactly one of them"
            )
        if not isinstance(max_in_flight, str):  # a template is checked once rendered
            max_in_flight = whole_number("max_in_flight", max_in_flight, 1)
        if not isinstance(max_failed_files, str):
            max_failed_files = whole_number("max_failed_files", max_failed_files, 0)
        checked = OutputSettings(output_path, tuple(formats), None, output_conn_id)  # bad formats fail here
        self.audio_paths = audio_paths
        self.input_path = input_path
        self.audio_list_path = audio_list_path
        self.audio_suffixes = tuple(audio_suffixes)
        self.input_conn_id = input_conn_id
        self.model = model
        self.options = options
        self.output_path = output_path
        self.formats = checked.formats
        self.output_conn_id = output_conn_id
        self.aimlstt_conn_id = aimlstt_conn_id
        self.allow_unknown_model = allow_unknown_model
        self.max_in_flight = max_in_flight
        self.max_failed_files = max_failed_files
        self.timeout_seconds = _seconds("timeout", timeout)
        if deferrable is None:
            deferrable = conf.getboolean("operators", "default_deferrable", fallback=False)
        self.deferrable = deferrable
        if not isinstance(max_cost_usd, str):  # a template is checked once rendered
            max_cost_usd = usd_amount("max_cost_usd", max_cost_usd)
        self.max_cost_usd = max_cost_usd
        self.usd_per_audio_second = usd_amount("usd_per_audio_second", usd_per_audio_second)
        self.estimate_only = estimate_only

    def execute(self, context: Any) -> dict[str, Any]:
        """Plan the batch (adopting an earlier try's manifest), submit what fits, then wait or finish."""
        run = self._open_run(context)
        run.plan(dry_run=self.estimate_only)
        estimate = run.estimate()
        if self.estimate_only:
            return {"dry_run": True, **run.manifest.counts(), "estimate": estimate.summary()}
        # The report's link, before any deferral: Airflow reads the links at the end of each try.
        context["ti"].xcom_push(key=REPORT_URL_XCOM_KEY, value=run.settings.report_location)
        return self._submit_then_wait_or_finish(run, context)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write what finished, submit the next files, then wait again or finish.

        :param event: the trigger's event (a
            :class:`~airflow_provider_aimlstt.triggers.batch.BatchWaitEvent`'s payload).
        """
        run = self._open_run(context)
        run.apply(event)
        return self._submit_then_wait_or_finish(run, context)

    def _submit_then_wait_or_finish(self, run: BatchRun, context: Any) -> dict[str, Any]:
        """Submit what fits; wait while jobs are in flight (deferring, or here on the worker, then
        on as :meth:`execute_complete` goes); then return the counts, or fail when too many files
        failed.

        :param run: the batch's run.
        :param context: the task's context.
        """
        while True:
            run.submit_what_fits()
            trigger = run.wait_for_in_flight()
            if trigger is None:
                break
            if self.deferrable:  # the trigger keeps the batch's deadline itself
                self.defer(trigger=trigger, method_name="execute_complete", timeout=None)
            run.apply(trigger.wait_here())
        counts = run.finish()
        self._announce(context, counts)
        run.check_failed_files()
        return counts

    def _open_run(self, context: Any) -> BatchRun:
        """The batch's run, from the rendered arguments and its manifest as stored.

        :param context: the task's context.
        """
        from airflow_provider_aimlstt.batch.run import BatchRun, BatchSettings

        ti = context["ti"]
        settings = BatchSettings(
            inputs=BatchInputs(
                audio_paths=None if self.audio_paths is None else tuple(map(str, self.audio_paths)),
                input_path=self.input_path,
                audio_list_path=self.audio_list_path,
                audio_suffixes=self.audio_suffixes,
                input_conn_id=self.input_conn_id,
            ),
            model=self.model,
            options=dict(self.options or {}),
            allow_unknown_model=self.allow_unknown_model,
            output=OutputSettings(self.output_path, self.formats, None, self.output_conn_id),
            aimlstt_conn_id=self.aimlstt_conn_id,
            max_in_flight=whole_number("max_in_flight", self.max_in_flight, 1),
            max_failed_files=whole_number("max_failed_files", self.max_failed_files, 0),
            timeout_seconds=self.timeout_seconds,
            max_cost_usd=usd_amount("max_cost_usd", self.max_cost_usd),
            usd_per_audio_second=self.usd_per_audio_second,
            task_instance=(ti.dag_id, ti.run_id, ti.task_id, getattr(ti, "map_index", -1)),
        )
        return BatchRun.open(settings, self.log)

    def _announce(self, context: Any, counts: dict[str, Any]) -> None:
        """Put the counts into the ``extra`` of each ``Asset`` outlet's event.

        :param context: the task's context.
        :param counts: the batch's counts.
        """
        events = context.get("outlet_events") if hasattr(context, "get") else None
        if events is None:
            return
        for outlet in self.outlets:
            if isinstance(outlet, Asset):
                events[outlet].extra.update(counts)


def _seconds(name: str, value: Any) -> float:
    """``value`` (seconds or a ``timedelta``) as seconds above 0.

    :param name: the argument, for the message.
    :param value: its value.
    :raises AimlSttValidationError: naming the argument.
    """
    if isinstance(value, timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise AimlSttValidationError(f"{name}: must be seconds (or a timedelta) above 0, got {value!r}")
    return float(value)

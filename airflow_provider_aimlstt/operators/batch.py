"""Transcribe thousands of recordings in one task: bounded jobs in flight, one deferred wait, a manifest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_aimlstt.batch.inputs import DEFAULT_AUDIO_SUFFIXES
from airflow_provider_aimlstt.defaults import DEFAULT_CONN_ID
from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.outputs.settings import DEFAULT_FORMATS, OutputSettings


class AimlSttBatchTranscribeOperator(BaseOperator):
    """Transcribe many audio files in one task, writing each one's transcripts to ``output_path``.

    Files are submitted concurrently, at most ``max_in_flight`` jobs at a time (a 429 halves that
    for a while). The wait for the jobs runs in ONE trigger per task; the task resumes when it
    has work to do (enough jobs finished to refill the window, a result nearing its one-hour
    retention, or all done), writes what finished, submits the next files and defers again.

    A manifest (JSON Lines, one row per file) is kept on the output store and rewritten as the
    batch goes: a retry or a re-run of the task reads it and adopts its jobs, so no file is
    submitted twice. One bad file never fails the batch: it is recorded with its cause. The task
    fails at the end only when more than ``max_failed_files`` files failed, naming them. It
    returns counts and the manifest's location, never transcripts.

    :param audio_paths: the files: paths or URIs (``s3://...``, ``file://...``, ``https://...``).
        Templated; may come from XCom.
    :param input_path: instead of ``audio_paths``, a folder or prefix whose audio files are taken
        (one listing call). Templated.
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
    :param api_retries: retries of each poll and fetch; None reads the connection. Creates are
        not retried by the hook: a refused one is sent again by the batch, at the window's pace.
    :param allow_unknown_model: accept a model id the provider does not list.
    :param max_in_flight: jobs submitted and not finished, at most.
    :param max_failed_files: failed files the task tolerates before it fails.
    :param max_attempts: creates per file when creates keep failing transiently.
    :param resubmit_if_not_logged: submit again a file whose create's answer was lost and that the
        usage log shows no job for (default: the file fails, and a task retry submits it).
    :param poke_interval: seconds before the second round of polls.
    :param max_poke_interval: the longest wait between two rounds.
    :param max_concurrent_polls: polls in progress at once, in the trigger.
    :param min_defer_seconds: the shortest a deferral lasts (jobs that finish meanwhile join the
        resume). Airflow 3.3.2 can fail a task that resumes within seconds of deferring, when the
        scheduler reads the deferring process's exit after the resume began (apache/airflow#72716);
        the default, 6 s, covers the worker's 5 s ``[workers] min_heartbeat_interval`` (how late
        the exit can be reported) and a scheduler loop. 0: none.
    :param timeout: the longest the whole batch may take (default 12 hours).
    :param manifest_path: the manifest's URI; default
        ``<output_path>/_manifests/<dag>__<run>__<task>__<map index>.jsonl``.
    """

    template_fields: Sequence[str] = (
        "audio_paths",
        "input_path",
        "audio_list_path",
        "model",
        "options",
        "output_path",
        "manifest_path",
        "max_in_flight",
        "max_failed_files",
    )
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
        api_retries: int | None = None,
        allow_unknown_model: bool = False,
        max_in_flight: int | str = 32,
        max_failed_files: int | str = 0,
        max_attempts: int = 3,
        resubmit_if_not_logged: bool = False,
        poke_interval: float = 10.0,
        max_poke_interval: float = 60.0,
        max_concurrent_polls: int = 16,
        min_defer_seconds: float = 6.0,
        timeout: float | timedelta = timedelta(hours=12),
        manifest_path: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if [audio_paths, input_path, audio_list_path].count(None) != 2:
            raise AimlSttValidationError(
                "audio_paths / input_path / audio_list_path: give exactly one of them"
            )
        if not isinstance(max_in_flight, str):  # a template is checked once rendered
            max_in_flight = _whole("max_in_flight", max_in_flight, 1)
        if not isinstance(max_failed_files, str):
            max_failed_files = _whole("max_failed_files", max_failed_files, 0)
        max_attempts = _whole("max_attempts", max_attempts, 1)
        self.output_settings = OutputSettings(output_path, tuple(formats), None, output_conn_id)
        self.audio_paths = audio_paths
        self.input_path = input_path
        self.audio_list_path = audio_list_path
        self.audio_suffixes = tuple(audio_suffixes)
        self.input_conn_id = input_conn_id
        self.model = model
        self.options = options
        self.output_path = output_path
        self.formats = self.output_settings.formats
        self.output_conn_id = output_conn_id
        self.aimlstt_conn_id = aimlstt_conn_id
        self.api_retries = api_retries
        self.allow_unknown_model = allow_unknown_model
        self.max_in_flight = max_in_flight
        self.max_failed_files = max_failed_files
        self.max_attempts = max_attempts
        self.resubmit_if_not_logged = resubmit_if_not_logged
        self.poke_interval = poke_interval
        self.max_poke_interval = max_poke_interval
        self.max_concurrent_polls = max_concurrent_polls
        if isinstance(min_defer_seconds, bool) or not isinstance(min_defer_seconds, (int, float)):
            raise AimlSttValidationError(f"min_defer_seconds: must be seconds, got {min_defer_seconds!r}")
        if min_defer_seconds < 0:
            raise AimlSttValidationError(f"min_defer_seconds: must be 0 or more, got {min_defer_seconds!r}")
        self.min_defer_seconds = float(min_defer_seconds)
        self.timeout_seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
        self.manifest_path = manifest_path

    def execute(self, context: Any) -> dict[str, Any]:
        """Plan the batch (adopting an earlier try's manifest), submit the first files, and wait."""
        from airflow_provider_aimlstt.batch.run import start

        return start(self, context)

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write what finished, submit the next files, and wait again or finish.

        :param event: the trigger's event: ``{status, finished: {id: status}, messages, progress}``.
        """
        from airflow_provider_aimlstt.batch.run import resume

        return resume(self, context, event)

    @property
    def in_flight_limit(self) -> int:
        """``max_in_flight``, rendered and checked."""
        return _whole("max_in_flight", self.max_in_flight, 1)

    @property
    def failed_files_limit(self) -> int:
        """``max_failed_files``, rendered and checked."""
        return _whole("max_failed_files", self.max_failed_files, 0)


def _whole(name: str, value: Any, least: int) -> int:
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

"""The end of a run of mapped batch tasks: one summary over every chunk's manifest, the run's
report, and one asset event for what the run transcribed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import Asset, BaseOperator

from airflow_provider_aimlstt.links import REPORT_URL_XCOM_KEY, AimlSttBatchReportLink
from airflow_provider_aimlstt.operators.listing import NIGHT_XCOM_KEY, render_naming_the_interval

if TYPE_CHECKING:
    from airflow_provider_aimlstt.batch.results import FileResult

TABLE_ROWS = 200
"""Up to this many files, the summary logs every file; beyond, the files not transcribed and the totals."""
NAMED_FILES = 20
"""Files not transcribed that the failure's message names (the log names them all)."""


class AimlSttBatchSummaryOperator(BaseOperator):
    """Read every chunk's manifest of this run, log the files not transcribed with their causes and
    the totals, write the run's report, and fail unless every file was transcribed (or skipped).

    It runs once the listing and every batch task are done, whatever their states
    (``trigger_rule="all_done"``), and reads what they left on the store, never their return values
    (a failed batch task has none): the listing's chunks and night (from its XCom), then each
    chunk's manifest at
    :func:`~airflow_provider_aimlstt.batch.manifest.manifest_location`. The report,
    :func:`~airflow_provider_aimlstt.batch.report.write_report` over all the run's rows with the
    night's estimate and cap, goes to ``<output_path>/_reports/<dag>__<run>__<task>__-1.html``; its
    URI is the task's "Batch report" link.

    It fails naming what went wrong: the listing that did not succeed (nothing was transcribed),
    each batch task that failed before it wrote its manifest, and the files failed or left
    unfinished (a batch stopped by its cost cap leaves its files unsubmitted), with their causes.
    A dry run's listing wrote no chunk: the summary logs its estimate and succeeds.

    Returns the totals: ``files``, ``transcribed``, ``skipped``, ``failed``, ``unfinished``,
    ``audio_seconds``, ``cost_usd`` (of the transcribed files), ``estimated_usd``, ``max_cost_usd``,
    ``dry_run`` and ``report`` (its URI).

    :param output_path: the batch tasks' output folder (where their manifests are). Templated.
    :param listing_task_id: the task that listed the files and wrote the chunks
        (:class:`~airflow_provider_aimlstt.operators.listing.AimlSttListNewAudioOperator`).
    :param batch_task_id: the mapped batch task, one instance per chunk.
    :param output_conn_id: the Airflow connection of the output store, when its URI names none.
    :param model: the model, for the report. Templated.
    """

    template_fields: Sequence[str] = ("output_path", "model")
    operator_extra_links = (AimlSttBatchReportLink(),)
    ui_color = "#c9e7df"

    def __init__(
        self,
        *,
        output_path: Any,
        listing_task_id: str,
        batch_task_id: str,
        output_conn_id: str | None = None,
        model: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("trigger_rule", "all_done")
        super().__init__(**kwargs)
        self.output_path = output_path
        self.listing_task_id = listing_task_id
        self.batch_task_id = batch_task_id
        self.output_conn_id = output_conn_id
        self.model = model

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Render the templated arguments (a run without a data interval for them fails saying so).

        :param context: the task's context.
        :param jinja_env: the Jinja environment.
        """
        render_naming_the_interval(super().render_template_fields, context, jinja_env)

    def execute(self, context: Any) -> dict[str, Any]:
        """Summarize the run; fail naming what was not transcribed."""
        from airflow.providers.common.compat.sdk import AirflowFailException

        from airflow_provider_aimlstt.batch.estimate import CostEstimate
        from airflow_provider_aimlstt.batch.manifest import FileStatus
        from airflow_provider_aimlstt.batch.report import write_report

        ti = context["ti"]
        night = ti.xcom_pull(task_ids=self.listing_task_id, key=NIGHT_XCOM_KEY) or {}
        batches = read_chunk_manifests(
            ti, self.output_path, self.output_conn_id, self.listing_task_id, self.batch_task_id
        )
        if batches is None:
            raise AirflowFailException(
                f"{self.listing_task_id} did not succeed, so this run transcribed nothing: see its log"
            )
        rows = [row for batch in batches for row in batch.rows or []]
        sizes = night.get("chunk_sizes") or []
        unread = [batch for batch in batches if batch.rows is None]
        unread_files = sum(sizes[batch.index] for batch in unread if batch.index < len(sizes))
        problems = [
            f"{self.batch_task_id}[{batch.index}] ({batch.audio_list_path}"
            f"{f', {sizes[batch.index]} file(s)' if batch.index < len(sizes) else ''}) failed before it "
            "wrote its manifest: see its log"
            for batch in unread
        ]
        not_done = [row for row in rows if row.status not in (FileStatus.TRANSCRIBED, FileStatus.SKIPPED)]
        for row in rows if len(rows) <= TABLE_ROWS else not_done:
            self.log.info("%s", _line(row))
        summary = night.get("estimate")
        estimate = CostEstimate.from_summary(summary) if isinstance(summary, dict) else None
        max_cost_usd = night.get("max_cost_usd")
        done = [row for row in rows if row.status is FileStatus.TRANSCRIBED]
        costs = [row.cost_usd for row in done if row.cost_usd is not None]
        report = write_report(
            rows,
            self.output_path,
            self.output_conn_id,
            (ti.dag_id, ti.run_id, ti.task_id, -1),
            model=self.model,
            estimate=estimate,
            max_cost_usd=max_cost_usd,
        )
        ti.xcom_push(key=REPORT_URL_XCOM_KEY, value=report)
        totals = {
            "files": len(rows),
            "transcribed": len(done),
            "skipped": sum(row.status is FileStatus.SKIPPED for row in rows),
            "failed": sum(row.status is FileStatus.FAILED for row in rows),
            "unfinished": sum(not row.status.is_final for row in rows),
            "audio_seconds": round(sum(row.audio_seconds or 0.0 for row in done), 3),
            "cost_usd": round(sum(costs), 9),
            "estimated_usd": None if estimate is None else estimate.total_usd,
            "max_cost_usd": max_cost_usd,
            "dry_run": bool(night.get("dry_run")),
            "report": report,
        }
        self.log.info("Total: %s", totals)
        if estimate is not None:
            self.log.info("Estimated before the run: %s", estimate.log_line())
        if totals["dry_run"]:
            self.log.info("Dry run: nothing was submitted. The report: %s", report)
            return totals
        self.log.info("The run's report: %s", report)
        if not_done or problems:
            named = [f"{row.source}: {row.error or row.status.value}" for row in not_done[:NAMED_FILES]]
            more = (
                f" and {len(not_done) - NAMED_FILES} more (see the log)"
                if len(not_done) > NAMED_FILES
                else ""
            )
            raise AirflowFailException(
                f"Not every file was transcribed: {len(not_done) + unread_files} of "
                f"{len(rows) + unread_files} file(s) not transcribed{more}: {problems + named}"
            )
        return totals


class AimlSttAnnounceBatchesOperator(BaseOperator):
    """Update the ``Asset`` outlets once for a run of mapped batch tasks, naming in the event's
    ``extra`` the manifest of each batch that transcribed anything (``{"manifests": [...]}``, read
    downstream with :func:`~airflow_provider_aimlstt.batch.results.read_batches`); skipped when none
    did. It reads the manifests, not the batch tasks' return values: a batch task that failed (one
    bad file too many, its share of the cap spent) has none, yet what it wrote is announced. Runs
    whatever the batch tasks' states (``trigger_rule="all_done"``).

    :param output_path: the batch tasks' output folder (where their manifests are). Templated.
    :param listing_task_id: the task that wrote the chunks the batch tasks are mapped over.
    :param batch_task_id: the mapped batch task.
    :param output_conn_id: the Airflow connection of the output store, when its URI names none.
    :param outlets: the assets to update.
    """

    template_fields: Sequence[str] = ("output_path",)
    ui_color = "#c9e7df"

    def __init__(
        self,
        *,
        output_path: Any,
        listing_task_id: str,
        batch_task_id: str,
        output_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("trigger_rule", "all_done")
        super().__init__(**kwargs)
        self.output_path = output_path
        self.listing_task_id = listing_task_id
        self.batch_task_id = batch_task_id
        self.output_conn_id = output_conn_id

    def render_template_fields(self, context: Any, jinja_env: Any = None) -> None:
        """Render the templated arguments (a run without a data interval for them fails saying so).

        :param context: the task's context.
        :param jinja_env: the Jinja environment.
        """
        render_naming_the_interval(super().render_template_fields, context, jinja_env)

    def execute(self, context: Any) -> int:
        """Announce the manifests of the batches that transcribed anything; their files transcribed."""
        from airflow.providers.common.compat.sdk import AirflowSkipException

        from airflow_provider_aimlstt.batch.manifest import FileStatus

        batches = read_chunk_manifests(
            context["ti"], self.output_path, self.output_conn_id, self.listing_task_id, self.batch_task_id
        )
        transcribed = {
            batch.location: sum(row.status is FileStatus.TRANSCRIBED for row in batch.rows or [])
            for batch in batches or []
        }
        manifests = [location for location, count in transcribed.items() if count]
        if not manifests:
            raise AirflowSkipException("No new transcripts")
        events = context["outlet_events"]
        for outlet in self.outlets:
            if isinstance(outlet, Asset):
                events[outlet].extra = {"manifests": manifests}
        total = sum(transcribed.values())
        self.log.info("Announced %d new transcript(s) in %d batch(es)", total, len(manifests))
        return total


@dataclass(frozen=True)
class ChunkManifest:
    """One chunk of a run and what its batch task left.

    :param index: the chunk's (and its batch task's) map index.
    :param audio_list_path: the chunk's list.
    :param location: its batch task's manifest's URI.
    :param rows: the manifest's rows; None when there is no manifest (the task failed before it
        wrote one, or never ran).
    """

    index: int
    audio_list_path: str
    location: str
    rows: list[FileResult] | None


def read_chunk_manifests(
    ti: Any, output_path: Any, output_conn_id: str | None, listing_task_id: str, batch_task_id: str
) -> list[ChunkManifest] | None:
    """Each chunk the listing wrote in this run, with its batch task's manifest read; None when the
    listing has no return value (it did not succeed).

    :param ti: the running task instance (its DAG id and run id name the manifests).
    :param output_path: the batch tasks' output folder.
    :param output_conn_id: the Airflow connection of the output store.
    :param listing_task_id: the listing task.
    :param batch_task_id: the mapped batch task.
    """
    from airflow_provider_aimlstt.batch.manifest import manifest_location
    from airflow_provider_aimlstt.batch.results import read_batch

    chunks = ti.xcom_pull(task_ids=listing_task_id)
    if chunks is None:
        return None
    found = []
    for index, chunk in enumerate(chunks):
        location = manifest_location(output_path, output_conn_id, ti.dag_id, ti.run_id, batch_task_id, index)
        try:
            rows: list[FileResult] | None = read_batch(location, output_conn_id)
        except FileNotFoundError:
            rows = None
        where = chunk.get("audio_list_path") if isinstance(chunk, dict) else chunk
        found.append(ChunkManifest(index, str(where), location, rows))
    return found


def _line(row: FileResult) -> str:
    """One file of the summary's table."""
    duration = "-" if row.audio_seconds is None else f"{row.audio_seconds:.1f} s"
    cost = "-" if row.cost_usd is None else f"${row.cost_usd:.6f}"
    detail = f": {row.error}" if row.error and row.status.value != "transcribed" else ""
    words = "-" if row.words is None else str(row.words)
    return f"{row.name}  {duration}  {words} words  {cost}  {row.status.value}{detail}"

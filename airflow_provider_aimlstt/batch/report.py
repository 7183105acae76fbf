"""A batch's night on one HTML page: what it did, what it cost against its estimate and its cap,
how fast it went, its slowest files and every failure with its cause.

The page is self-contained (its style inline, its charts inline SVG, no script, nothing fetched),
so it opens from any store's console or a downloaded copy alike. It is rendered from plain values:
the manifest's rows (objects or dicts), and optionally the estimate made before the first create
(:class:`~airflow_provider_aimlstt.batch.estimate.CostEstimate`), the cap, and the billed total.
Every text from a row (sources, errors, ids) is escaped.

Each figure is an element with ``data-figure="<name>"`` and ``data-value="<number>"`` (the number
unrounded), so a reader or a test finds it without scraping the words around it.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from airflow_provider_aimlstt.batch.manifest import FileStatus, safe_name
from airflow_provider_aimlstt.batch.row_fields import finished_at, job_seconds, status_of, values_of
from airflow_provider_aimlstt.outputs.storage import (
    LOCAL_PROTOCOLS,
    address_of,
    conn_id_of,
    filesystem_of,
    put_file,
    resolve_folder,
    with_conn_id,
)

if TYPE_CHECKING:
    from airflow_provider_aimlstt.batch.estimate import CostEstimate

STATUSES = tuple(status.value for status in FileStatus)
TRANSCRIBED, FAILED = FileStatus.TRANSCRIBED.value, FileStatus.FAILED.value
SLOWEST_SHOWN = 10
"""Files in the table of the slowest jobs."""
MAX_BUCKETS = 48
"""The throughput chart's bars, at most."""
BUCKET_SECONDS = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
"""The widths a throughput bar may have: the narrowest that keeps to :data:`MAX_BUCKETS` is used."""
REPORTS_FOLDER = "_reports"

_STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1d2733;max-width:1100px}
h1{font-size:1.4em;margin-bottom:.2em}h2{font-size:1.1em;margin-top:1.8em;border-bottom:1px solid #d5dbe1}
.meta{color:#5a6773}table{border-collapse:collapse;margin:.5em 0}
th,td{padding:.25em .7em;border-bottom:1px solid #e6eaee;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.figures{display:flex;flex-wrap:wrap;gap:.6em}
.figure{border:1px solid #d5dbe1;border-radius:6px;padding:.5em .8em;min-width:8em}
.figure .label{color:#5a6773;font-size:.85em}.figure .value{font-size:1.3em;font-weight:600}
.over{color:#b3261e}.error{font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-word}
svg text{font:11px system-ui,sans-serif;fill:#5a6773}
"""


def render_report(
    rows: Iterable[Any],
    *,
    task_instance: Sequence[object] = (),
    model: str | None = None,
    estimate: CostEstimate | None = None,
    max_cost_usd: float | None = None,
    billed_usd: float | None = None,
    generated_at: float | None = None,
) -> str:
    """The batch's report as one HTML page.

    :param rows: the manifest's rows (:class:`~airflow_provider_aimlstt.batch.manifest.ManifestRow`
        objects or their dicts).
    :param task_instance: DAG id, run id, task id and map index, for the title.
    :param model: the batch's model (a row's own ``model``, where it has one, wins).
    :param estimate: the estimate made before the first create.
    :param max_cost_usd: the batch's cap, in USD.
    :param billed_usd: what the batch was billed; None: the sum of the rows' costs.
    :param generated_at: epoch seconds the page says it was made at (now by default).
    """
    rows = [values_of(row) for row in rows]
    costs = [float(cost) for row in rows if (cost := row.get("cost_usd")) is not None]
    billed = billed_usd if billed_usd is not None else (math.fsum(costs) if costs else None)
    title = " / ".join(str(part) for part in task_instance) or "batch"
    made = _utc(generated_at if generated_at is not None else time.time())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Batch report: {escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Batch report: {escape(title)}</h1>",
        f'<p class="meta">Model {escape(model or "(not given)")}; {len(rows)} file(s); made {made}.</p>',
        _summary(rows, billed, estimate, max_cost_usd),
        _by_model(rows, model),
        _throughput(rows),
        _slowest(rows),
        _failures(rows),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(
    rows: Iterable[Any],
    output_path: Any,
    output_conn_id: str | None,
    task_instance: Sequence[object],
    *,
    model: str | None = None,
    estimate: CostEstimate | None = None,
    max_cost_usd: float | None = None,
    billed_usd: float | None = None,
) -> str:
    """Render the batch's report and write it whole to
    ``<output_path>/_reports/<dag>__<run>__<task>__<map index>.html``; its URI, with the store's
    connection id in it (``s3://conn@bucket/...``), as the manifest's.

    :param rows: the manifest's rows (objects or dicts).
    :param output_path: the batch's output folder.
    :param output_conn_id: the Airflow connection of the store.
    :param task_instance: DAG id, run id, task id and map index.
    :param model: the batch's model.
    :param estimate: the estimate made before the first create.
    :param max_cost_usd: the batch's cap, in USD.
    :param billed_usd: what the batch was billed; None: the sum of the rows' costs.
    """
    page = render_report(
        rows,
        task_instance=task_instance,
        model=model,
        estimate=estimate,
        max_cost_usd=max_cost_usd,
        billed_usd=billed_usd,
    )
    folder = resolve_folder(output_path, output_conn_id) / REPORTS_FOLDER
    fs = filesystem_of(folder)
    if folder.protocol in LOCAL_PROTOCOLS:
        fs.makedirs(folder.path, exist_ok=True)
    return with_conn_id(
        put_file(fs, folder, _report_name(task_instance), page.encode("utf-8")), conn_id_of(folder)
    )


def report_location(output_path: Any, output_conn_id: str | None, task_instance: Sequence[object]) -> str:
    """Where :func:`write_report` writes a task instance's report (known before it is written), as
    a URI with the store's connection id.

    :param output_path: the batch's output folder.
    :param output_conn_id: the Airflow connection of the store.
    :param task_instance: DAG id, run id, task id and map index.
    """
    folder = resolve_folder(output_path, output_conn_id) / REPORTS_FOLDER
    return with_conn_id(address_of(folder / _report_name(task_instance)), conn_id_of(folder))


def _report_name(task_instance: Sequence[object]) -> str:
    return "__".join(safe_name(str(part)) for part in task_instance) + ".html"


# -- the sections ----------------------------------------------------------------------------------


def _summary(
    rows: list[Mapping[str, Any]], billed: float | None, estimate: CostEstimate | None, cap: float | None
) -> str:
    tally = Counter(status_of(row) for row in rows)
    done = [row for row in rows if status_of(row) == TRANSCRIBED]
    audio = math.fsum(float(row.get("audio_seconds") or 0.0) for row in done)
    words = sum(int(row.get("words") or 0) for row in done)
    figures = [_figure("files", "files", len(rows))]
    figures += [_figure(status, status, tally[status]) for status in STATUSES]
    figures += [
        _figure("audio_hours", "audio transcribed", audio / 3600, f"{audio / 3600:,.2f} h"),
        _figure("audio_seconds", "audio seconds", audio, f"{audio:,.1f} s"),
        _figure("words", "words", words),
    ]
    cost_figures, bars = _cost(billed, estimate, cap)
    return (
        "<h2>Summary</h2>\n"
        f'<div class="figures">{"".join(figures + cost_figures + _pace(rows))}</div>\n'
        f"{_cost_chart(bars)}"
    )


def _cost(
    billed: float | None, estimate: CostEstimate | None, cap: float | None
) -> tuple[list[str], list[tuple[str, float | None]]]:
    """The cost's figures, and the bars of its chart: billed, against the estimate and the cap."""
    figures = [_figure("billed_usd", "billed", billed, _usd(billed))]
    bars: list[tuple[str, float | None]] = [("billed", billed)]
    if estimate is not None:
        known, unknown = estimate.estimated_usd, estimate.unknown_estimated_usd
        hours = estimate.audio_seconds_known / 3600
        figures += [
            _figure("estimated_usd", "estimated (audio of known length)", known, _usd(known)),
            _figure("estimated_audio_hours", "audio estimated", hours, f"{hours:,.2f} h"),
            _figure(
                "unknown_estimated_usd",
                f"and for {estimate.unknown_files} file(s) of unknown length, at the known mean",
                unknown,
                _usd(unknown),
            ),
        ]
        bars.append(("estimated", known))
        if unknown:
            bars.append(("estimated, with the unknown files", (known or 0.0) + unknown))
        if billed is not None and known:
            figures.append(
                _figure(
                    "billed_share_of_estimate", "billed / estimated", billed / known, f"{billed / known:.0%}"
                )
            )
    if cap is not None:
        figures.append(_figure("max_cost_usd", "cap", cap, _usd(cap)))
        bars.append(("cap", cap))
        if billed is not None and cap > 0:
            over = ' class="over"' if billed > cap else ""
            shown = f"<span{over}>{billed / cap:.0%}</span>"
            figures.append(_figure("billed_share_of_cap", "billed / cap", billed / cap, shown))
    return figures, bars


def _pace(rows: list[Mapping[str, Any]]) -> list[str]:
    """When the first create was sent, when the last job finished, and the jobs finished per hour."""
    finishes = [when for row in rows if (when := finished_at(row)) is not None]
    starts = [float(when) for row in rows if (when := row.get("submitted_at")) is not None]
    if not finishes or not starts:
        return []
    first, last = min(starts), max(finishes)
    figures = [
        _figure("first_create", "first create", first, _utc(first)),
        _figure("last_finish", "last finish", last, _utc(last)),
    ]
    if last > first:
        rate = len(finishes) / (last - first) * 3600
        figures.append(_figure("jobs_per_hour", "jobs finished per hour", rate, f"{rate:,.1f}"))
    return figures


def _figure(name: str, label: str, value: float | None, shown: str | None = None) -> str:
    """One figure: its label, its value as shown, and the value itself in ``data-value``."""
    raw = "" if value is None else repr(float(value)) if isinstance(value, float) else str(value)
    text = shown if shown is not None else ("—" if value is None else f"{value:,}")
    return (
        f'<div class="figure" data-figure="{name}" data-value="{raw}">'
        f'<div class="label">{escape(label)}</div><div class="value">{text}</div></div>'
    )


def _cost_chart(bars: list[tuple[str, float | None]]) -> str:
    """Horizontal bars of the billed cost against the estimate and the cap."""
    known = [(label, value) for label, value in bars if value is not None]
    top = max((value for _, value in known), default=0.0)
    if len(known) < 2 or top <= 0:
        return ""
    width, label_width, height = 640, 220, 22
    parts = [f'<svg role="img" aria-label="cost" width="{width}" height="{height * len(known) + 4}">']
    for index, (label, value) in enumerate(known):
        y = index * height + 2
        length = max(1.0, (width - label_width - 90) * value / top)
        color = "#2f6fb0" if label == "billed" else "#b3261e" if label == "cap" else "#9db8d3"
        parts.append(
            f'<text x="0" y="{y + 15}">{escape(label)}</text>'
            f'<rect data-cost="{escape(label)}" x="{label_width}" y="{y + 3}" width="{length:.1f}" '
            f'height="{height - 6}" fill="{color}"><title>{escape(label)}: {_usd(value)}</title></rect>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}">{_usd(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _by_model(rows: list[Mapping[str, Any]], model: str | None) -> str:
    tallies: dict[str, Counter[str]] = defaultdict(Counter)
    audio: dict[str, float] = defaultdict(float)
    cost: dict[str, float] = defaultdict(float)
    for row in rows:
        name = str(row.get("model") or model or "(not given)")
        status = status_of(row)
        tallies[name][status] += 1
        if status == TRANSCRIBED:
            audio[name] += float(row.get("audio_seconds") or 0.0)
        cost[name] += float(row.get("cost_usd") or 0.0)
    head = "".join(f'<th class="n">{status}</th>' for status in STATUSES)
    lines = [
        "<h2>By model</h2>",
        f'<table><tr><th>model</th>{head}<th class="n">audio</th><th class="n">billed</th></tr>',
    ]
    for name in sorted(tallies):
        cells = "".join(
            f'<td class="n" data-status="{status}">{tallies[name][status]}</td>' for status in STATUSES
        )
        lines.append(
            f'<tr data-model="{escape(name)}"><td>{escape(name)}</td>{cells}'
            f'<td class="n">{audio[name] / 3600:,.2f} h</td><td class="n">{_usd(cost[name])}</td></tr>'
        )
    lines.append("</table>")
    return "\n".join(lines)


def _throughput(rows: list[Mapping[str, Any]]) -> str:
    """Jobs finished per time bucket (each at the middle of what its polls proved of its finish)."""
    finishes = sorted(when for row in rows if (when := finished_at(row)) is not None)
    if not finishes:
        return "<h2>Throughput</h2>\n<p>No job finished.</p>"
    first, last = finishes[0], finishes[-1]
    width = next(
        (seconds for seconds in BUCKET_SECONDS if (last - first) / seconds < MAX_BUCKETS), BUCKET_SECONDS[-1]
    )
    start = math.floor(first / width) * width
    counts = Counter(int((when - start) // width) for when in finishes)
    buckets = max(counts) + 1
    top = max(counts.values())
    chart_width, chart_height, left, bottom = 760, 180, 40, 24
    bar = (chart_width - left) / buckets
    parts = [
        f"<h2>Throughput</h2>\n<p>Jobs finished per {_span(width)} (UTC).</p>",
        f'<svg role="img" aria-label="jobs finished over time" width="{chart_width}" '
        f'height="{chart_height + bottom}">',
        f'<text x="0" y="12">{top}</text><text x="0" y="{chart_height}">0</text>',
        f'<line x1="{left}" y1="{chart_height}" x2="{chart_width}" y2="{chart_height}" stroke="#aab4be"/>',
    ]
    for index in range(buckets):
        count = counts.get(index, 0)
        if not count:
            continue
        bucket_start = start + index * width
        height = (chart_height - 16) * count / top
        parts.append(
            f'<rect data-bucket-start="{bucket_start:.0f}" data-files="{count}" x="{left + index * bar:.1f}" '
            f'y="{chart_height - height:.1f}" width="{max(1.0, bar - 2):.1f}" height="{height:.1f}" '
            f'fill="#2f6fb0"><title>{_utc(bucket_start)}: {count} job(s)</title></rect>'
        )
    end = start + buckets * width
    parts.append(
        f'<text x="{left}" y="{chart_height + 16}">{_utc(start)}</text>'
        f'<text x="{chart_width}" y="{chart_height + 16}" text-anchor="end">{_utc(end)}</text></svg>'
    )
    return "".join(parts)


def _slowest(rows: list[Mapping[str, Any]]) -> str:
    timed = sorted(
        ((seconds, row) for row in rows if (seconds := job_seconds(row)) is not None),
        key=lambda pair: pair[0],
        reverse=True,
    )[:SLOWEST_SHOWN]
    if not timed:
        return ""
    lines = [
        "<h2>Slowest jobs</h2>\n<table><tr><th>file</th><th>status</th>"
        '<th class="n">create to finish</th><th class="n">audio</th><th>job</th></tr>'
    ]
    for seconds, row in timed:
        audio = row.get("audio_seconds")
        lines.append(
            f'<tr data-slow="{seconds!r}"><td>{escape(str(row.get("source")))}</td>'
            f"<td>{escape(status_of(row))}</td>"
            f'<td class="n">{seconds:,.1f} s</td>'
            f'<td class="n">{"—" if audio is None else f"{float(audio):,.1f} s"}</td>'
            f"<td>{escape(str(row.get('generation_id') or ''))}</td></tr>"
        )
    lines.append("</table>")
    return "\n".join(lines)


def _failures(rows: list[Mapping[str, Any]]) -> str:
    failed = [row for row in rows if status_of(row) == FAILED]
    if not failed:
        return "<h2>Failures</h2>\n<p>No file failed.</p>"
    lines = [
        f"<h2>Failures ({len(failed)})</h2>\n<table><tr><th>file</th><th>cause</th>"
        '<th class="n">creates</th><th>retried by a later try</th></tr>'
    ]
    for row in failed:
        lines.append(
            f'<tr data-failure=""><td>{escape(str(row.get("source")))}</td>'
            f'<td class="error">{escape(str(row.get("error") or "(no cause recorded)"))}</td>'
            f'<td class="n">{int(row.get("attempts") or 0)}</td>'
            f"<td>{'yes' if row.get('retryable') else 'no'}</td></tr>"
        )
    lines.append("</table>")
    return "\n".join(lines)


# -- formats ---------------------------------------------------------------------------------------


def _usd(value: float | None) -> str:
    if value is None:
        return "—"
    return f"${value:,.2f}" if value == 0 or abs(value) >= 0.01 else f"${value:.2g}"


def _utc(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


def _span(seconds: int) -> str:
    if seconds % 3600 == 0:
        return "hour" if seconds == 3600 else f"{seconds // 3600} hours"
    return "minute" if seconds == 60 else f"{seconds // 60} minutes"

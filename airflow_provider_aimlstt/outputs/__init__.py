"""Transcript files in object storage: settings, writing, and what a finished task returns.

- :mod:`.settings`: :class:`OutputSettings`, checked when a task is created (light to import).
- :mod:`.writer`: :func:`write_transcript_files`, :func:`transcripts_exist`, :func:`transcript_summary`.
- :mod:`.storage`: one file put whole on each kind of store.
- :mod:`.delivery`: a finished job's result or files, and the task's asset events.

The names below are imported on first use (:mod:`airflow_provider_aimlstt._lazy`), so that
building a DAG imports only the settings.
"""

from __future__ import annotations

from airflow_provider_aimlstt._lazy import lazy_exports

_HOMES = {
    "DEFAULT_FORMATS": "settings",
    "OutputSettings": "settings",
    "check_formats": "settings",
    "check_output_name": "settings",
    "write_transcript_files": "writer",
    "transcripts_exist": "writer",
    "transcript_summary": "writer",
    "deliver": "delivery",
    "completed_result": "delivery",
}

__all__ = sorted(_HOMES)


__getattr__, __dir__ = lazy_exports(__name__, _HOMES)

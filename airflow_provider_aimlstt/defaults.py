"""Defaults the hook and the tasks share, in a module light enough for a DAG file to import."""

from __future__ import annotations

DEFAULT_CONN_ID = "aimlstt_default"
"""The Airflow connection (type ``aimlstt``) a hook or task uses when none is named."""

"""Defaults the hook and the tasks share, in a module light enough for a DAG file to import.

Each default has its home here and nowhere else: a signature, a trigger or a docstring that needs
one of these values imports it.
"""

from __future__ import annotations

DEFAULT_CONN_ID = "aimlstt_default"
"""The Airflow connection (type ``aimlstt``) a hook or task uses when none is named."""

RESULT_RETENTION_SECONDS = 3600.0
"""How long the API keeps a job's result after it finished: one hour."""

FIRST_POLL_SECONDS = 10.0
"""Seconds before the second poll of a job whose length cannot be predicted."""

MAX_POLL_SECONDS = 60.0
"""The longest wait between two polls of a job."""

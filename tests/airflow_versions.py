"""The Airflow the tests run on, and which of the provider's behaviours depend on its version."""

from __future__ import annotations

from airflow import __version__ as airflow_version
from packaging.version import Version

AIRFLOW_VERSION = Version(Version(airflow_version).base_version)
# Airflow 3.3 gave tasks a state store that every try of a task instance reads.
HAS_TASK_STATE_STORE = Version("3.3") <= AIRFLOW_VERSION

"""Fixtures of the end-to-end tests.

The Airflow environment (home, database, dags folder) and the ``airflow_db`` and ``emulator``
fixtures come from ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from tests.e2e.support import EXAMPLE_DAGS

if TYPE_CHECKING:
    from airflow.sdk import DAG


@pytest.fixture(scope="session")
def load_example_dag() -> Callable[[str], DAG]:
    """A function that parses ``example_dags`` (once) and returns the DAG with the given id."""
    from airflow.dag_processing.dagbag import DagBag

    dag_bag = DagBag(dag_folder=str(EXAMPLE_DAGS))
    assert not dag_bag.import_errors, dag_bag.import_errors

    def load(dag_id: str) -> DAG:
        dag = dag_bag.dags.get(dag_id)
        assert dag is not None, f"{dag_id} not found in {EXAMPLE_DAGS}: {sorted(dag_bag.dag_ids)}"
        return dag

    return load

"""What the UI shows of the example DAGs: their documentation, and a params form in words."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from airflow_provider_aimlstt.models.families import KNOWN_MODELS
from tests.e2e.support import EXAMPLE_DAGS


@pytest.fixture(scope="module")
def example_dags() -> dict:
    from tests.airflow_compat import dag_bag

    bag = dag_bag(str(EXAMPLE_DAGS))
    assert not bag.import_errors, bag.import_errors
    return bag.dags


def test_every_example_dag_is_documented_on_its_page(example_dags: dict) -> None:
    assert len(example_dags) == 6
    for dag_id, dag in example_dags.items():
        assert dag.description and len(dag.description) <= 100, dag_id
        docstring = ast.get_docstring(ast.parse(Path(dag.fileloc).read_text(encoding="utf-8")))
        assert docstring and dag.doc_md.strip() == docstring.strip(), dag_id  # the module's docstring


def test_params_have_titles_and_the_model_is_chosen_from_the_known_ids(example_dags: dict) -> None:
    forms = [dag for dag in example_dags.values() if "model" in dag.params]
    assert {dag.dag_id for dag in forms} == {
        "example_aimlstt_nightly",
        "example_aimlstt_per_file",
        "example_aimlstt_to_sql",
    }
    for dag in forms:
        for name in dag.params:
            schema = dag.params.get_param(name).schema
            assert schema.get("title"), (dag.dag_id, name)
        model = dag.params.get_param("model")
        assert model.schema["enum"] == sorted(KNOWN_MODELS)
        assert model.value in KNOWN_MODELS

"""The supported versions page says what CI runs: its matrix table is the version matrix's cells."""

from __future__ import annotations

import re

from tests.conftest import REPO
from tests.helpers import load_script

PAGE = REPO / "docs" / "versions.md"
PINNED_AIRFLOW = re.compile(r"^apache-airflow==(\S+)$", re.MULTILINE)


def matrix_rows() -> list[tuple[str, str, str]]:
    """The (cell, Airflow version, suite) of each row of the page's matrix table."""
    page = PAGE.read_text(encoding="utf-8")
    table = page.split("<!-- matrix:begin -->", 1)[1].split("<!-- matrix:end -->", 1)[0]
    rows = [line.strip("|").split("|") for line in table.strip().splitlines()[2:]]
    return [(cell.strip(), airflow.strip(), suite.strip()) for cell, airflow, suite, *_ in rows]


def test_the_matrix_table_is_the_cells_ci_runs_with_their_pinned_airflow() -> None:
    matrix = load_script("version_matrix")
    expected = [
        (cell.name, PINNED_AIRFLOW.findall(cell.constraints.read_text(encoding="utf-8"))[0], cell.suite)
        for cell in matrix.CELLS
    ]
    assert matrix_rows() == expected

"""Sphinx configuration of the documentation site (``make docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the package, as autodoc imports it (also installed, editable)

project = "airflow-provider-aimlstt"
author = "the airflow-provider-aimlstt authors"
extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_raw", "quickstart/*.py", "snippets"]
root_doc = "index"
html_theme = "alabaster"
html_title = project
# Links to a heading of a page (`reliability.md#how-a-wait-polls`), as GitHub renders them.
myst_heading_anchors = 3
# Autodoc: members in source order; the classes' own docstrings, with their __init__'s parameters.
autodoc_member_order = "bysource"
autoclass_content = "both"
autodoc_typehints = "description"

GENERATED_OPTIONS = "airflow_provider_aimlstt.models.options"


def _drop_generated_module_docstring(app, what, name, obj, options, lines):  # type: ignore[no-untyped-def]
    """The generated options module's docstring speaks to its editors (and its globs are not rst):
    the API page says what the module is instead."""
    if what == "module" and name == GENERATED_OPTIONS:
        lines.clear()


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("autodoc-process-docstring", _drop_generated_module_docstring)

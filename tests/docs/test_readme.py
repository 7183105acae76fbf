"""The README's quick start: its DAG is the file the site and the quick start test use, and every
code block of the README and the site is included from a file or run by a test."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import REPO

QUICKSTART_DAG = REPO / "docs" / "quickstart" / "my_first_transcript.py"
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def quickstart_blocks() -> list[tuple[str, str]]:
    """The (language, text) of each code block of the README's quick start, in order."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- quickstart:begin -->", 1)[1].split("<!-- quickstart:end -->", 1)[0]
    return FENCE.findall(section)


def test_the_readme_quickstart_dag_is_the_file_in_the_repository() -> None:
    python = [text for language, text in quickstart_blocks() if language == "python"]
    assert python == [QUICKSTART_DAG.read_text(encoding="utf-8")]


def test_every_literal_code_block_is_one_a_test_runs() -> None:
    """A literal block (not a directive such as ``{literalinclude}``) is allowed only where a test
    runs it: the quick start's (tests/docs/test_quickstart.py) and the two commands (CI's
    ``make test``)."""
    run_by_tests = {text for _, text in quickstart_blocks()}
    two_commands = FENCE.findall((REPO / "README.md").read_text(encoding="utf-8"))[0][1]
    assert two_commands.startswith("make demo")
    pages = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]
    literal = []
    for page in pages:
        if "_build" in page.parts:
            continue
        for language, text in FENCE.findall(page.read_text(encoding="utf-8")):
            if not language.startswith("{") and text not in run_by_tests | {two_commands}:
                literal.append(f"{page.relative_to(REPO)}: {text[:60]!r}")
    assert literal == []


def test_the_site_includes_the_readme_quickstart_rather_than_a_copy() -> None:
    page = (REPO / "docs" / "quickstart.md").read_text(encoding="utf-8")
    assert "```{include} ../README.md" in page and "<!-- quickstart:begin -->" in page
    assert Path(REPO / "docs" / "quickstart.md").read_text(encoding="utf-8").count("```bash") == 0

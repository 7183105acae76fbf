"""The performance goals' verdicts: one row per goal, printed together by ``benchmarks/run.py``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GoalResult:
    """What one goal measured in one run, beside its anchors.

    :param goal: the goal's short name and threshold, e.g. ``"P1 parse-time import <= 50 ms"``.
    :param anchors: the anchors' figures measured in the same run, in words.
    :param ours: the provider's figures, in words.
    :param passed: whether the provider met the goal in this run.
    """

    goal: str
    anchors: str
    ours: str
    passed: bool


def print_table(results: list[GoalResult]) -> None:
    """Print the goals as a Markdown table, the form docs/performance.md shows.

    :param results: the rows, in goal order.
    """
    print("| goal | anchors, same run | ours | verdict |")
    print("|---|---|---|---|")
    for result in results:
        verdict = "pass" if result.passed else "fail"
        print(f"| {result.goal} | {result.anchors} | {result.ours} | {verdict} |")

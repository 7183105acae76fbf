"""One home for each piece of knowledge: statuses, schedules, formats, families, names."""

from __future__ import annotations

import ast
import warnings
from pathlib import Path

import pytest

from airflow_provider_aimlstt import exceptions as exc
from airflow_provider_aimlstt.models import FetchResponse, ModelFamily, SttStatus
from airflow_provider_aimlstt.outputs.settings import OutputSettings
from airflow_provider_aimlstt.polling import PollSchedule
from airflow_provider_aimlstt.transcripts import to_transcript

PACKAGE = Path(__file__).resolve().parents[1] / "airflow_provider_aimlstt"


def test_finished_is_completed_or_error_and_nothing_else() -> None:
    assert {status for status in SttStatus if status.is_finished} == {SttStatus.COMPLETED, SttStatus.ERROR}
    assert FetchResponse(status="completed").is_finished and FetchResponse(status="error").is_finished
    assert not FetchResponse(status="generating").is_finished
    assert not FetchResponse(status="paused").is_finished  # undocumented: pending, not finished


def test_the_poll_schedule_grows_by_half_up_to_its_cap() -> None:
    waits = PollSchedule(2, 5).intervals()
    assert [next(waits) for _ in range(5)] == [2.0, 3.0, 4.5, 5.0, 5.0]
    assert PollSchedule(10, 3).max_poke_interval == 10.0  # a cap under the first wait is raised to it
    with pytest.raises(exc.AimlSttValidationError, match=r"^poke_interval: must be seconds above 0"):
        PollSchedule(0, 5)


def test_word_timings_are_a_property_of_the_family() -> None:
    assert {family for family in ModelFamily if not family.gives_word_timings} == {
        ModelFamily.OPENAI,
        ModelFamily.MICROSOFT,
    }
    with pytest.raises(exc.AimlSttValidationError, match=r"^formats: srt, vtt need word timings"):
        OutputSettings("/tmp/out", ("txt", "srt", "vtt")).check_timings_available(False, "openai/x")
    OutputSettings("/tmp/out", ("txt", "srt")).check_timings_available(True, "nova-3")


def test_output_settings_name_the_argument_the_user_passed() -> None:
    with pytest.raises(exc.AimlSttValidationError, match=r"^output_name: must be a non-empty file name"):
        OutputSettings("/tmp/out", ("txt",), "..")
    with pytest.raises(exc.AimlSttValidationError, match=r"^output_name: must be a file name without '/'"):
        OutputSettings("/tmp/out", ("txt",)).name_or("a/b")
    with pytest.raises(exc.AimlSttValidationError, match=r"^output_path: must name a folder"):
        OutputSettings("  ", ("txt",))
    assert OutputSettings("/o", [".SRT", "Json"]).formats == ("srt", "json")  # type: ignore[arg-type]


def test_an_openai_result_with_words_reads_the_same_with_and_without_the_model() -> None:
    """Before one reader, a summary read this as AssemblyAI: no duration and 1 word."""
    result = {
        "text": "one two three",
        "words": [
            {"word": "one", "start": 0.0, "end": 0.5},
            {"word": "two", "start": 0.6, "end": 1.1},
            {"word": "three", "start": 1.2, "end": 2.0},
        ],
        "usage": {"type": "duration", "seconds": 3},
    }
    for model in (None, "openai/gpt-4o-transcribe"):
        transcript = to_transcript(result, model=model)
        assert transcript.family is ModelFamily.OPENAI, model
        assert (transcript.duration_seconds, transcript.word_count) == (3.0, 3), model
        assert not transcript.has_word_timings


def test_an_assemblyai_result_without_a_model_is_read_in_milliseconds() -> None:
    result = {"text": "hi there", "words": [{"text": "hi", "start": 0, "end": 400}], "audio_duration": 1}
    transcript = to_transcript(result)
    assert transcript.family is ModelFamily.ASSEMBLYAI
    assert transcript.words[0].end == 0.4


def test_a_403_is_forbidden_not_only_out_of_credits_and_the_old_name_is_gone() -> None:
    error = exc.AimlSttForbiddenError(403, "You've run out of credits")
    assert "out of credits" in str(error) and "plan" in str(error)
    with pytest.raises(AttributeError, match="AimlSttOutOfCreditsError"):
        exc.AimlSttOutOfCreditsError  # type: ignore[attr-defined]  # noqa: B018  # removed before release


def test_a_404_hint_depends_on_whether_a_generation_was_asked_for() -> None:
    assert "kept for one hour" in str(exc.AimlSttNotFoundError(404, generation_id="abc"))
    assert "base URL" in str(exc.AimlSttNotFoundError(404))


def test_no_module_of_the_package_writes_out_what_the_status_enum_knows() -> None:
    """'finished' is spelled once: no ``is_completed or is_failed`` anywhere in the package."""
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.BoolOp):
                names = {getattr(value, "attr", None) for value in node.values}
                assert not {"is_completed", "is_failed"} <= names, f"{path}:{node.lineno}"


def test_get_provider_info_lists_every_module_that_defines_an_operator_sensor_hook_or_trigger() -> None:
    from airflow_provider_aimlstt.get_provider_info import get_provider_info

    info = get_provider_info()
    listed = {
        module
        for key in ("operators", "sensors", "hooks", "triggers")
        for entry in info[key]
        for module in entry["python-modules"]
    }
    bases = {"BaseOperator", "BaseSensorOperator", "BaseHook", "BaseTrigger", "AimlSttSubmitOperator"}
    defining = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            is_class = isinstance(node, ast.ClassDef) and not node.name.endswith("Mixin")
            if is_class and {getattr(base, "id", None) for base in node.bases} & bases:  # type: ignore[attr-defined]
                relative = path.relative_to(PACKAGE.parent).with_suffix("")
                defining.add(".".join(relative.parts))
    assert "airflow_provider_aimlstt.operators.transcribe" in defining
    assert defining <= listed, defining - listed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert info["connection-types"][0]["conn-fields"]["read_timeout"]["label"].startswith("Read timeout")


def test_one_lazy_import_mechanism_and_no_module_swaps_its_class() -> None:
    """Packages that export names on first use all do it through ``_lazy``; none defines its own
    ``__getattr__`` or replaces its module's class (the transcripts' ``render`` is the function:
    its module is ``rendering``)."""
    import importlib

    own_ways = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.parse(path.read_text()).body:
            defines = isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
            swaps = isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Attribute) and target.attr == "__class__" for target in node.targets
            )
            if defines or swaps:
                own_ways.append(path.relative_to(PACKAGE).as_posix())
    assert own_ways == []
    for name in ("models", "outputs", "transcripts"):
        package = importlib.import_module(f"airflow_provider_aimlstt.{name}")
        assert package.__getattr__.__module__ == "airflow_provider_aimlstt._lazy", name
        assert set(package.__all__) <= set(dir(package)), name
    transcripts = importlib.import_module("airflow_provider_aimlstt.transcripts")
    importlib.import_module("airflow_provider_aimlstt.transcripts.rendering")
    assert callable(transcripts.render) and transcripts.render.__module__.endswith(".rendering")


def test_a_400_about_the_audio_points_at_the_file_not_at_the_model_or_options() -> None:
    from airflow_provider_aimlstt.exceptions import AimlSttBadRequestError

    audio = AimlSttBadRequestError(400, "failed to process audio: corrupt or unsupported data")
    option = AimlSttBadRequestError(400, "unknown option 'smart_formatting'")

    assert "Check that the file is audio" in str(audio) and "model id" not in str(audio)
    assert "Check the model id and the options" in str(option)

"""OpenLineage lineage of a transcription: dataset naming, the mixin's facets, the events Airflow emits."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_aimlstt.lineage import TranscriptionLineageMixin, dataset_for
from tests.airflow_compat import task_listener_manager


@pytest.mark.parametrize(
    ("location", "namespace", "name"),
    [
        ("/data/calls/a.wav", "file", "/data/calls/a.wav"),
        ("/data/calls/../calls/a.wav", "file", "/data/calls/a.wav"),
        ("file:///data/calls/a.wav", "file", "/data/calls/a.wav"),
        ("file:/data/calls/a.wav", "file", "/data/calls/a.wav"),
        ("file://localhost/data/calls/a.wav", "file", "/data/calls/a.wav"),
        ("file:///data/my%20calls/a.wav", "file", "/data/my calls/a.wav"),
        ("file://nas01/share/a.wav", "file://nas01", "/share/a.wav"),
        ("s3://audio-bucket/2025/01/a.wav", "s3://audio-bucket", "2025/01/a.wav"),
        ("s3a://audio-bucket/a.wav", "s3://audio-bucket", "a.wav"),
        ("s3://audio-bucket", "s3://audio-bucket", "/"),
        ("gs://audio-bucket/calls/a.wav", "gs://audio-bucket", "calls/a.wav"),
        ("gcs://audio-bucket/calls/a.wav", "gs://audio-bucket", "calls/a.wav"),
        ("https://cdn.example.com/calls/a.wav", "https://cdn.example.com", "/calls/a.wav"),
        ("https://CDN.example.com:443/a.wav?X-Amz-Signature=secret#t=5", "https://cdn.example.com", "/a.wav"),
        ("https://user:password@cdn.example.com/a.wav", "https://cdn.example.com", "/a.wav"),
        ("http://127.0.0.1:8080/a.wav?token=secret", "http://127.0.0.1:8080", "/a.wav"),
        ("http://cdn.example.com:80", "http://cdn.example.com", "/"),
        ("https://[::1]:8443/a.wav", "https://[::1]:8443", "/a.wav"),
        ("hdfs://namenode:8020/audio/a.wav", "hdfs://namenode:8020", "/audio/a.wav"),
    ],
)
def test_dataset_naming(location: str, namespace: str, name: str) -> None:
    dataset = dataset_for(location)

    assert (dataset.namespace, dataset.name) == (namespace, name)


def test_a_relative_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    dataset = dataset_for("audio/a:b.wav")  # a colon in a file name is no URI scheme

    assert (dataset.namespace, dataset.name) == ("file", f"{tmp_path}/audio/a:b.wav")


@pytest.mark.parametrize("location", ["", "  ", "s3:///key.wav", "gs://", "https:///a.wav?sig=x"])
def test_a_location_without_a_bucket_or_host_is_refused(location: str) -> None:
    with pytest.raises(ValueError, match=r"empty|no bucket|no host"):
        dataset_for(location)


class Transcriber(TranscriptionLineageMixin, BaseOperator):
    """A bare operator with the mixin, its audio in a templated field."""

    template_fields = ("audio_url",)
    lineage_audio_fields = ("audio_url",)

    def __init__(self, *, audio_url: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.audio_url = audio_url


def _pairs(datasets: list[Any]) -> list[tuple[str, str]]:
    return [(dataset.namespace, dataset.name) for dataset in datasets]


def test_on_complete_reports_the_audio_and_each_written_transcript_once() -> None:
    op = Transcriber(task_id="t", audio_url="s3://calls/2025/a.wav")
    op.lineage_outputs.append("file:///out/a.txt")
    op.lineage_outputs.append("/out/a.txt")  # the same file, spelled as a path
    op.lineage_outputs.append("gs://transcripts/a.srt")

    lineage = op.get_openlineage_facets_on_complete(task_instance=None)

    assert lineage is not None
    assert _pairs(lineage.inputs) == [("s3://calls", "2025/a.wav")]
    assert _pairs(lineage.outputs) == [("file", "/out/a.txt"), ("gs://transcripts", "a.srt")]


def test_on_start_reports_the_audio_only() -> None:
    op = Transcriber(task_id="t", audio_url="https://cdn.example.com/a.wav?sig=secret")
    op.lineage_outputs = ["/out/a.txt"]

    lineage = op.get_openlineage_facets_on_start()

    assert lineage is not None
    assert _pairs(lineage.inputs) == [("https://cdn.example.com", "/a.wav")]
    assert lineage.outputs == []


def test_a_path_object_in_the_field_is_read_and_nothing_known_is_an_empty_lineage() -> None:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    op = Transcriber(task_id="t", audio_url=ObjectStoragePath("file:///data/b.wav"))  # type: ignore[arg-type]
    assert _pairs(op.get_openlineage_facets_on_start().inputs) == [("file", "/data/b.wav")]  # type: ignore[union-attr]

    empty = Transcriber(task_id="u").get_openlineage_facets_on_complete(task_instance=None)
    assert empty is not None  # an empty lineage, not None, which the provider would log as invalid
    assert (empty.inputs, empty.outputs) == ([], [])


def test_each_instance_has_its_own_outputs() -> None:
    first, second = Transcriber(task_id="a"), Transcriber(task_id="b")

    first.lineage_outputs.append("/out/a.txt")

    assert second.lineage_outputs == []
    assert Transcriber(task_id="c").lineage_outputs == []


def test_an_unnameable_location_is_left_out_without_failing(caplog: pytest.LogCaptureFixture) -> None:
    op = Transcriber(task_id="t", audio_url="https:///a.wav?sig=secret")
    op.lineage_outputs = ["s3:///no-bucket.txt", "/out/a.txt"]

    lineage = op.get_openlineage_facets_on_complete(task_instance=None)

    assert lineage is not None
    assert (lineage.inputs, _pairs(lineage.outputs)) == ([], [("file", "/out/a.txt")])
    assert "No OpenLineage dataset for 's3:///no-bucket.txt'" in caplog.text
    assert "secret" not in caplog.text


_OPENLINEAGE_MODULES = (
    "openlineage",
    "openlineage.client",
    "openlineage.client.naming",
    "openlineage.client.naming.dataset",
    "airflow.providers.openlineage",
    "airflow.providers.openlineage.extractors",
    # imported fresh while the client is missing, this module would keep no-op stand-ins for the
    # facet classes for the rest of the session: blocked here too, so the patch restores it
    "airflow.providers.common.compat.openlineage.facet",
)


def test_without_the_openlineage_provider_the_methods_return_none(monkeypatch: pytest.MonkeyPatch) -> None:
    for module in _OPENLINEAGE_MODULES:
        monkeypatch.setitem(sys.modules, module, None)  # None in sys.modules makes the import fail
    op = Transcriber(task_id="t", audio_url="https://cdn.example.com/a.wav")
    op.lineage_outputs = ["/out/a.txt"]

    assert op.get_openlineage_facets_on_start() is None
    assert op.get_openlineage_facets_on_complete(task_instance=None) is None
    with pytest.raises(ImportError):
        dataset_for("/out/a.txt")

    monkeypatch.undo()  # the library is back: the session's later lineage tests see the real classes
    assert (dataset_for("/out/a.txt").namespace, dataset_for("/out/a.txt").name) == ("file", "/out/a.txt")


def test_importing_the_lineage_module_imports_no_openlineage() -> None:
    code = (
        "import sys, airflow_provider_aimlstt.lineage\nprint([m for m in sys.modules if 'openlineage' in m])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert out.strip() == "[]"


@pytest.fixture
def openlineage_events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """OpenLineage on for this test, its events written as JSON lines to the returned file.

    Airflow's listener managers integrate the plugins once per process; they are made here before
    OpenLineage is configured, so the provider's plugin stays off for every other test, and a
    listener of this test's own is registered with the task runner's manager, and removed after.
    """
    from airflow.providers.openlineage import conf as ol_conf
    from airflow.providers.openlineage.plugins.listener import OpenLineageListener

    manager = task_listener_manager()
    events = tmp_path / "openlineage.jsonl"
    transport = {"type": "file", "log_file_path": str(events), "append": True}
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__TRANSPORT", json.dumps(transport))
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__NAMESPACE", "aimlstt-tests")
    monkeypatch.setenv("AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD", "True")  # no fork inside pytest
    _clear_config_caches(ol_conf)
    listener = OpenLineageListener()
    manager.add_listener(listener)
    try:
        yield events
    finally:
        manager.pm.unregister(listener)
        monkeypatch.undo()
        _clear_config_caches(ol_conf)


def _clear_config_caches(module: Any) -> None:
    for value in vars(module).values():
        if callable(getattr(value, "cache_clear", None)):
            value.cache_clear()


@pytest.mark.usefixtures("airflow_db")
def test_a_dag_run_emits_the_datasets_to_openlineage(
    load_dag: Any, openlineage_events: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "transcripts"
    out_dir.mkdir()

    dag_run = load_dag("aimlstt_test_lineage").test(run_conf={"out_dir": str(out_dir)})

    assert dag_run.state == "success"
    text = openlineage_events.read_text()
    assert "secret-token" not in text
    events = [json.loads(line) for line in text.splitlines()]
    by_type = {e["eventType"]: e for e in events if e["job"]["name"] == "aimlstt_test_lineage.transcribe"}
    assert set(by_type) == {"START", "COMPLETE"}, [(e["eventType"], e["job"]["name"]) for e in events]
    audio = [{"namespace": "https://media.example.com", "name": "/calls/meeting_note.wav"}]
    assert _named(by_type["START"]["inputs"]) == audio
    assert _named(by_type["START"]["outputs"]) == []
    assert _named(by_type["COMPLETE"]["inputs"]) == audio
    assert _named(by_type["COMPLETE"]["outputs"]) == [
        {"namespace": "file", "name": str(out_dir / f"meeting_note.{fmt}")} for fmt in ("txt", "srt", "vtt")
    ]
    assert all((out_dir / f"meeting_note.{fmt}").is_file() for fmt in ("txt", "srt", "vtt"))


def _named(datasets: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"namespace": d["namespace"], "name": d["name"]} for d in datasets]

"""A test-only DAG: the combined operator for each model family, writing every format it can.

``output_dir`` (a param) is where all tasks write; ``deferrable`` waits in the triggerer for half
of them and on the worker for the others, so both paths run. The tests that run it make the polls'
defaults short (``airflow_provider_aimlstt.defaults``); the sensor sets its own ``poke_interval``.
"""

from __future__ import annotations

from pathlib import Path

import pendulum
from airflow.providers.common.compat.sdk import AssetAlias, Param, dag

from airflow_provider_aimlstt.assets import named_asset
from airflow_provider_aimlstt.operators.transcribe import AimlSttTranscribeOperator
from airflow_provider_aimlstt.sensors.job import AimlSttSensor

AUDIO = Path(__file__).resolve().parents[2] / "example_dags" / "audio"
ALL_FORMATS = ("txt", "json", "srt", "vtt")
ALIAS = AssetAlias(name="aimlstt_test_transcripts")
NAMED = named_asset("aimlstt_test_named", "memory://aimlstt-test-named")


@dag(
    dag_id="aimlstt_test_transcribe",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    params={"output_dir": Param("memory://aimlstt-test", type="string")},
    tags=["aimlstt", "test"],
)
def aimlstt_test_transcribe() -> None:
    output = "{{ params.output_dir }}"
    AimlSttTranscribeOperator(
        task_id="deepgram_diarized",
        model="#g1_nova-2-general",
        audio_path=str(AUDIO / "support_call.wav"),
        options={"diarize": True, "utterances": True},
        output_path=output,
        formats=ALL_FORMATS,
        deferrable=True,
        outlets=[ALIAS, NAMED],
    )
    AimlSttTranscribeOperator(
        task_id="deepgram_multichannel",
        model="nova-3",
        audio_path=(AUDIO / "stereo" / "conversation.wav").as_uri(),
        options={"multichannel": True},
        output_path=output,
        formats=ALL_FORMATS,
        deferrable=False,
        outlets=[ALIAS],
    )
    AimlSttTranscribeOperator(
        task_id="assemblyai_speakers",
        model="aai/universal",
        audio_path=str(AUDIO / "meeting_note.wav"),
        options={"speaker_labels": True},
        output_path=output,
        formats=ALL_FORMATS,
        deferrable=True,
        outlets=[ALIAS],
    )
    openai = AimlSttTranscribeOperator(
        task_id="openai_text_only",
        model="openai/gpt-4o-transcribe",
        audio_path=str(AUDIO / "product_note.wav"),
        output_path=output,
        formats=("txt", "json"),
        deferrable=False,
        outlets=[ALIAS],
    )
    AimlSttSensor(
        task_id="sensor_writes_too",
        generation_id="{{ ti.xcom_pull(task_ids='openai_text_only', key='generation_id') }}",
        output_path=output,
        output_name="from_sensor",
        formats=("json", "txt"),
        poke_interval=0.2,
        deferrable=True,
        outlets=[ALIAS],
    ).set_upstream(openai)


aimlstt_test_transcribe()

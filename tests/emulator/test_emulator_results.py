"""Result shapes of every model family, checked on the wire and read back with the provider's reader."""

from __future__ import annotations

import re

import pytest

from airflow_provider_aimlstt.models import CreateResponse, FetchResponse, ModelFamily
from airflow_provider_aimlstt.transcripts import to_transcript

NEWER_ID = re.compile(r"^[A-Za-z0-9_-]{21}$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.mark.parametrize(
    ("model", "status_code", "id_pattern", "create_status"),
    [
        ("#g1_nova-2-general", 201, UUID, None),
        ("nova-3", 201, UUID, None),
        ("aai/universal", 200, NEWER_ID, "queued"),
        ("openai/gpt-4o-transcribe", 200, NEWER_ID, "queued"),
        ("microsoft/mai-transcribe-1.5", 200, NEWER_ID, "queued"),
    ],
)
def test_create_answer_by_family(client, make_wav, model, status_code, id_pattern, create_status) -> None:
    response = client.create_upload(model, make_wav(1.0), filename="hello.wav")
    assert response.status_code == status_code
    body = response.json()
    assert id_pattern.fullmatch(body["generation_id"])
    assert body.get("status") == create_status
    assert set(body) == ({"generation_id"} if create_status is None else {"generation_id", "status"})
    CreateResponse.model_validate(body)


def test_deepgram_result_shape(client, make_wav, sidecar_text) -> None:
    created = client.create_upload("#g1_nova-2-general", make_wav(3.0), filename="hello.wav")
    body = client.result_of(created)
    fetched = FetchResponse.model_validate(body)
    assert fetched.is_completed and set(body) == {"generation_id", "status", "result"}
    assert body["generation_id"] == created.json()["generation_id"]
    result = body["result"]
    metadata = result["metadata"]
    assert metadata["transaction_key"] == "deprecated" and metadata["duration"] == 3.0
    assert metadata["channels"] == 1
    assert metadata["models"] and set(metadata["model_info"]) == set(metadata["models"])
    assert metadata["model_info"][metadata["models"][0]]["arch"] == "nova-2"
    assert metadata["request_id"] == created.json()["generation_id"]  # as in the documentation's example
    emulator = metadata["emulator"]
    assert emulator["transcript_source"] == "sidecar" and emulator["audio_source"] == "upload"
    assert isinstance(result["results"]["channels"], list)
    alternative = result["results"]["channels"][0]["alternatives"][0]
    assert alternative["transcript"] == sidecar_text
    words = alternative["words"]
    assert [word["punctuated_word"] for word in words] == sidecar_text.split()
    assert all(word["word"] == word["word"].lower() and "speaker" not in word for word in words)
    starts = [word["start"] for word in words]
    assert starts == sorted(starts) and starts[0] == 0.0
    assert all(word["start"] < word["end"] <= 3.0 for word in words)
    assert words[-1]["end"] > 2.5
    transcript = to_transcript(result, model="#g1_nova-2-general")
    assert transcript.family is ModelFamily.DEEPGRAM and transcript.text == sidecar_text
    assert transcript.duration_seconds == 3.0 and transcript.word_count == len(sidecar_text.split())


def test_deepgram_diarize_gives_integer_speakers_per_sentence(client, make_wav) -> None:
    response = client.create_json(
        {"model": "nova-3", "url": "https://example.com/hello.mp3", "diarize": True}
    )
    words = client.result_of(response)["result"]["results"]["channels"][0]["alternatives"][0]["words"]
    speakers = [word["speaker"] for word in words]
    assert all(isinstance(speaker, int) for speaker in speakers)
    # "Hello there." "How are you today?" "I am fine, thanks." "See you soon."
    assert speakers == [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1]


def test_deepgram_multi_channel_wav_gives_one_channel_entry_per_channel(
    client, make_wav, sidecar_text
) -> None:
    audio = make_wav(2.0, channels=2)
    response = client.create_upload(
        "#g1_nova-2-phonecall", audio, filename="hello.wav", data={"multi_channel": "true"}
    )
    result = client.result_of(response)["result"]
    channels = result["results"]["channels"]
    assert len(channels) == 2 and result["metadata"]["channels"] == 2
    texts = [channel["alternatives"][0]["transcript"] for channel in channels]
    assert texts == ["Hello there. I am fine, thanks.", "How are you today? See you soon."]
    single = client.result_of(client.create_upload("#g1_nova-2-phonecall", audio, filename="hello.wav"))
    assert len(single["result"]["results"]["channels"]) == 1
    assert single["result"]["metadata"]["emulator"]["audio_channels"] == 2


def test_deepgram_paragraphs_and_utterances(client, make_wav) -> None:
    options = {"paragraphs": "true", "utterances": "true", "diarize": "true"}
    response = client.create_upload("#g1_nova-2-meeting", make_wav(4.0), filename="hello.wav", data=options)
    result = client.result_of(response)["result"]
    alternative = result["results"]["channels"][0]["alternatives"][0]
    paragraphs = alternative["paragraphs"]
    assert paragraphs["transcript"].startswith("\nSpeaker 0: Hello there.")
    assert [paragraph["speaker"] for paragraph in paragraphs["paragraphs"]] == [0, 1, 0, 1]
    first = paragraphs["paragraphs"][0]
    assert first["num_words"] == 2 and first["sentences"][0]["text"] == "Hello there."
    utterances = result["results"]["utterances"]
    assert [utterance["transcript"] for utterance in utterances][1] == "How are you today?"
    assert [utterance["speaker"] for utterance in utterances] == [0, 1, 0, 1]
    assert all(utterance["channel"] == 0 and utterance["words"] for utterance in utterances)


def test_assemblyai_result_has_millisecond_times_and_letter_speakers(client, make_wav, sidecar_text) -> None:
    response = client.create_upload(
        "aai/slam-1", make_wav(5.0), filename="hello.wav", data={"speaker_labels": "true"}
    )
    result = client.result_of(response)["result"]
    assert result["text"] == sidecar_text and result["status"] == "completed"
    assert result["audio_duration"] == 5 and result["language_code"] == "en_us"
    words = result["words"]
    assert all(isinstance(word["start"], int) and isinstance(word["end"], int) for word in words)
    assert words[-1]["end"] > 4000 and words[-1]["end"] <= 5000
    assert {word["speaker"] for word in words} == {"A", "B"}
    assert [utterance["speaker"] for utterance in result["utterances"]] == ["A", "B", "A", "B"]
    assert result["utterances"][1]["text"] == "How are you today?"
    assert result["speech_model"] == "slam-1"
    transcript = to_transcript(result, model="aai/slam-1")
    assert transcript.family is ModelFamily.ASSEMBLYAI and transcript.text == sidecar_text
    assert transcript.duration_seconds == 5 and transcript.word_count == len(words)
    assert transcript.words[-1].end == words[-1]["end"] / 1000  # read back in seconds


def test_assemblyai_without_speaker_labels_has_null_speakers(client, make_wav) -> None:
    body = client.result_of(
        client.create_json({"model": "aai/universal", "url": "https://example.com/hello.mp3"})
    )
    assert body["result"]["utterances"] is None
    assert all(word["speaker"] is None for word in body["result"]["words"])


def test_openai_result_is_text_and_token_usage(client, make_wav, sidecar_text) -> None:
    response = client.create_upload("openai/gpt-4o-mini-transcribe", make_wav(2.0), filename="hello.wav")
    result = client.result_of(response)["result"]
    assert set(result) == {"text", "usage", "emulator"} and result["text"] == sidecar_text
    transcript = to_transcript(result, model="openai/gpt-4o-mini-transcribe")
    assert transcript.family is ModelFamily.OPENAI and transcript.text == sidecar_text
    assert transcript.word_count == len(sidecar_text.split()) and transcript.words == ()
    usage = result["usage"]
    assert usage["type"] == "tokens"
    details = usage["input_token_details"]
    assert usage["input_tokens"] == details["text_tokens"] + details["audio_tokens"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert details["audio_tokens"] > 0 and usage["output_tokens"] > 0
    assert result["emulator"]["transcript_source"] == "sidecar"


def test_microsoft_result_is_text_and_seconds_usage(client, make_wav, sidecar_text) -> None:
    response = client.create_upload("microsoft/mai-transcribe-1.5", make_wav(11.0), filename="hello.wav")
    result = client.result_of(response)["result"]
    assert result["usage"] == {"seconds": 11, "cost": 0.0011}
    transcript = to_transcript(result, model="microsoft/mai-transcribe-1.5")
    assert transcript.family is ModelFamily.MICROSOFT and transcript.text == sidecar_text
    assert transcript.duration_seconds == 11


def test_placeholder_text_is_deterministic_and_says_so(client, make_wav) -> None:
    audio = make_wav(4.0)
    first = client.result_of(client.create_upload("aai/universal", audio, filename="unknown.wav"))["result"]
    second = client.result_of(client.create_upload("aai/universal", audio, filename="other.wav"))["result"]
    assert first["text"] == second["text"] and len(first["text"].split()) >= 3
    assert first["emulator"]["transcript_source"] == "placeholder"
    assert "placeholder" in first["emulator"]["note"]
    different = client.result_of(client.create_upload("aai/universal", make_wav(4.5), filename="x.wav"))[
        "result"
    ]
    assert different["text"] != first["text"]


def test_form_options_are_coerced_and_repeated_fields_become_lists(client, make_wav) -> None:
    form = [("utt_split", "1.5"), ("tag", "a"), ("tag", "b"), ("custom_topic", "x"), ("detect_language", "1")]
    response = client.create_upload("#g1_nova-2-general", make_wav(1.0), data=form)
    assert response.status_code == 201, response.text
    channel = client.result_of(response)["result"]["results"]["channels"][0]
    assert channel["detected_language"] == "en"
    single_tag = client.create_upload("#g1_nova-2-general", make_wav(1.0), data={"tag": "only"})
    assert single_tag.status_code == 201, single_tag.text

"""The results of the text-only models: ``{text, usage}``, with no word timings.

OpenAI (``openai/*``) counts tokens; Microsoft (``microsoft/*``) reports the seconds and the cost
its create was billed (:mod:`aimlstt_emulator.billing`).
"""

from __future__ import annotations

import math
from typing import Any

from aimlstt_emulator.results.facts import JobFacts, emulator_notes

_OPENAI_AUDIO_TOKENS_PER_SECOND = 10
_TOKENS_PER_WORD = 1.3


def build_openai_result(facts: JobFacts) -> dict[str, Any]:
    """OpenAI: the text and a token usage record.

    :param facts: what the job knows.
    """
    prompt = facts.options.get("prompt") or ""
    audio_tokens = math.ceil(facts.audio.duration_seconds * _OPENAI_AUDIO_TOKENS_PER_SECOND)
    text_tokens = math.ceil(len(prompt.split()) * _TOKENS_PER_WORD)
    output_tokens = math.ceil(len(facts.emulated_text.words) * _TOKENS_PER_WORD)
    usage = {
        "type": "tokens",
        "input_tokens": audio_tokens + text_tokens,
        "input_token_details": {"text_tokens": text_tokens, "audio_tokens": audio_tokens},
        "output_tokens": output_tokens,
        "total_tokens": audio_tokens + text_tokens + output_tokens,
    }
    return {"text": facts.emulated_text.text, "usage": usage, "emulator": emulator_notes(facts)}


def build_microsoft_result(facts: JobFacts) -> dict[str, Any]:
    """Microsoft: the text and a per-second usage record, ``{seconds, cost}``, of what was billed.

    :param facts: what the job knows.
    """
    usage = {"seconds": facts.bill.seconds, "cost": float(facts.bill.usd)}
    return {"text": facts.emulated_text.text, "usage": usage, "emulator": emulator_notes(facts)}

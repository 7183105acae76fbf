#!/bin/sh
# Regenerates the speech samples with espeak-ng and sox: 16 kHz, 16-bit, mono (stereo/ has one
# 2-channel file). Each <stem>.txt holds exactly the sentence spoken in <stem>.wav.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

speak() { # speak VOICE TEXT OUT.wav: synthesize, trim leading/trailing silence, resample
    espeak-ng -v "$1" -s 175 -w "$tmp/raw.wav" "$2"
    sox "$tmp/raw.wav" -r 16000 -c 1 -b 16 "$3" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse pad 0.15 0.15
}

sample() { # sample STEM VOICE TEXT
    speak "$2" "$3" "$1.wav"
    printf '%s' "$3" > "$1.txt"
}

sample meeting_note en-us "The weekly planning meeting moves to Thursday at ten."
sample support_call en-gb "Thanks for calling support, your ticket is now resolved."
sample weather_report en-us+f3 "Tomorrow will be cloudy, with light rain in the evening."
sample product_note en-gb+m3 "Version two adds faster uploads and a new export button."

# Two speakers, one per channel: the left channel is the agent, the right one the customer.
agent="Hello, this is Dana from support."
customer="Hi, my upload keeps failing."
speak en-gb "$agent" "$tmp/left.wav"
speak en-us+f3 "$customer" "$tmp/right.wav"
sox -M "$tmp/left.wav" "$tmp/right.wav" stereo/conversation.wav
printf '%s\n%s' "$agent" "$customer" > stereo/conversation.txt

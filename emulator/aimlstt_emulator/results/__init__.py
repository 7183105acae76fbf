"""Result bodies of completed jobs, one builder per model family, as plain JSON-ready dicts.

The shapes follow the API's fetch schemas: Deepgram-style ``{metadata, results}`` (:mod:`.deepgram`),
AssemblyAI's transcript object (:mod:`.assemblyai`) and the text-with-usage of the OpenAI and
Microsoft models (:mod:`.text_usage`). Each is made from a job's :class:`~.facts.JobFacts`, whose
text comes from :mod:`.emulated_text`. Every result says that the emulator made it: an ``emulator``
object (inside ``metadata`` for Deepgram-style results) names where the text and the audio came from.
"""

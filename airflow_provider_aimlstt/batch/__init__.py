"""Many recordings in one task: the inputs (:mod:`.inputs`), the manifest (:mod:`.manifest`), the
in-flight window (:mod:`.window`), the worker's calls (:mod:`.work`, internal) and the run that
holds them together (:mod:`.run`, imported when the task runs). Downstream tasks read what a batch
did with :mod:`.results`, the manifest's public reader.

The operator that drives a run is
:class:`~airflow_provider_aimlstt.operators.batch.AimlSttBatchTranscribeOperator`; the run waits
with :class:`~airflow_provider_aimlstt.triggers.batch.AimlSttBatchTrigger`, whose module this
package imports and which imports nothing of it.
"""

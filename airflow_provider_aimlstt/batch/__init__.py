"""Many recordings in one task: the manifest, the inputs, the in-flight window, the progress line,
and the steps of the operator's ``execute`` (:mod:`.run`, imported when the task runs).

The operator that uses them is
:class:`~airflow_provider_aimlstt.operators.batch.AimlSttBatchTranscribeOperator`; its trigger is
:class:`~airflow_provider_aimlstt.triggers.batch.AimlSttBatchTrigger`.
"""

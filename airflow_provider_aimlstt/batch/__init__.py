"""Many recordings in one task: the manifest, the inputs, the in-flight window and the progress line.

The operator that uses them is
:class:`~airflow_provider_aimlstt.operators.batch.AimlSttBatchTranscribeOperator`; its trigger is
:class:`~airflow_provider_aimlstt.triggers.batch.AimlSttBatchTrigger`.
"""

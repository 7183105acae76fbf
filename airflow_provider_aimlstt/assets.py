"""Assets on every supported Airflow: Airflow 3's ``Asset`` has a name and a URI; Airflow 2's
``Dataset`` (what ``Asset`` stands for there) has only a URI, which then names it."""

from __future__ import annotations

from airflow.providers.common.compat.sdk import Asset

from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_0_PLUS


def named_asset(name: str, uri: str) -> Asset:
    """An asset called ``name`` at ``uri``; on Airflow 2 a ``Dataset`` of ``uri`` (Datasets have no
    name: DAGs scheduled on it match it by the URI).

    :param name: the asset's name, as Airflow 3 shows it and matches it.
    :param uri: where the asset is, e.g. ``aimlstt://nightly/transcripts``.
    """
    if AIRFLOW_V_3_0_PLUS:
        return Asset(name=name, uri=uri)
    return Asset(uri=uri)

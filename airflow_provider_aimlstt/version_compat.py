"""Which Airflow this process runs: the flags the package reads where behaviour differs by version.

Names that only moved between versions are imported from ``airflow.providers.common.compat.sdk``;
these flags are for what a version has or lacks.
"""

from __future__ import annotations

from airflow import __version__ as _airflow_version
from packaging.version import Version


def _release(version: str) -> tuple[int, int]:
    """The (major, minor) of an Airflow version string, pre-release and local parts ignored.

    :param version: ``airflow.__version__``, e.g. ``"3.2.1"`` or ``"3.3.0rc1"``.
    """
    parsed = Version(version)
    return parsed.major, parsed.minor


AIRFLOW_RELEASE = _release(_airflow_version)
AIRFLOW_V_3_0_PLUS = AIRFLOW_RELEASE >= (3, 0)
AIRFLOW_V_3_1_PLUS = AIRFLOW_RELEASE >= (3, 1)
AIRFLOW_V_3_2_PLUS = AIRFLOW_RELEASE >= (3, 2)
AIRFLOW_V_3_3_PLUS = AIRFLOW_RELEASE >= (3, 3)

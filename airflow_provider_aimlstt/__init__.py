"""Apache Airflow provider for the AI/ML API speech-to-text service."""

__version__ = "0.1.0"

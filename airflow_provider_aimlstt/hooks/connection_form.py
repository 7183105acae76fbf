"""The ``aimlstt`` connection form: its extra fields, labels, defaults and placeholders, in one place.

Airflow reads a connection form in one of two ways, and both are built from :data:`EXTRA_FIELDS`
and :data:`FIELD_BEHAVIOUR` here:

- Airflow 3.2+ reads the provider info's ``conn-fields`` and ``ui-field-behaviour``
  (:func:`provider_info_form`), without importing the hook;
- Airflow 2.11, 3.0 and 3.1 call the hook's ``get_connection_form_widgets`` and
  ``get_ui_field_behaviour`` (:func:`form_widgets`, :func:`hook_field_behaviour`). The widgets are
  WTForms fields, imported only when Airflow asks for them (the webserver of 2.x has WTForms and
  Flask-AppBuilder; a 3.0/3.1 API server converts them to its own form).

Either way a field's value is stored in the connection's extra under its plain name (or
``extra__aimlstt__<name>``), which :func:`~airflow_provider_aimlstt.hooks.connection.settings_from_connection`
reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from airflow_provider_aimlstt.defaults import (
    API_RETRIES,
    API_RETRY_BACKOFF_SECONDS,
    API_RETRY_MAX_BACKOFF_SECONDS,
    CONNECT_TIMEOUT_SECONDS,
    DEFAULT_BASE_URL,
    READ_TIMEOUT_SECONDS,
    USAGE_LOG_WAIT_SECONDS,
)

CONN_TYPE = "aimlstt"
PORT_LABEL = "Port (0: the Base URL's own; the Test button needs it)"
"""The port field's label: 0 means the Base URL's own port, and lets the Test button of Airflow 3.3
through (it fails for a connection stored without a port)."""

FieldKind = Literal["seconds", "count", "flag"]


@dataclass(frozen=True)
class ExtraField:
    """One field of the form, stored in the connection's extra.

    :param name: the extra's key.
    :param label: what the form shows.
    :param kind: ``seconds`` (a number), ``count`` (a whole number, 0 or more) or ``flag`` (true/false).
    :param default: the value when the field is left empty.
    :param description: a line of help under the field.
    :param zero_allowed: for ``seconds``: whether 0 is accepted (else the value must be above 0).
    """

    name: str
    label: str
    kind: FieldKind
    default: float | int | bool
    description: str | None = None
    zero_allowed: bool = True


EXTRA_FIELDS: tuple[ExtraField, ...] = (
    ExtraField(
        "read_timeout",
        "Read timeout (seconds)",
        "seconds",
        READ_TIMEOUT_SECONDS,
        "Seconds to wait between bytes of an answer.",
        zero_allowed=False,
    ),
    ExtraField(
        "connect_timeout", "Connect timeout (seconds)", "seconds", CONNECT_TIMEOUT_SECONDS, zero_allowed=False
    ),
    ExtraField(
        "allow_insecure_http",
        "Allow plain http to a remote host",
        "flag",
        False,
        "Plain http is accepted for loopback hosts only, unless this is set.",
    ),
    ExtraField(
        "api_retries",
        "Retries of a failed API call",
        "count",
        API_RETRIES,
        "429, 5xx, network errors and read timeouts; 0 turns retrying off.",
    ),
    ExtraField(
        "api_retry_backoff",
        "First retry wait, at most (seconds)",
        "seconds",
        API_RETRY_BACKOFF_SECONDS,
        "The random wait between retries doubles its bound each time.",
        zero_allowed=False,
    ),
    ExtraField(
        "api_retry_max_backoff",
        "Longest retry wait (seconds)",
        "seconds",
        API_RETRY_MAX_BACKOFF_SECONDS,
        zero_allowed=False,
    ),
    ExtraField(
        "usage_log_wait",
        "Look for a lost submission in the usage log for (seconds)",
        "seconds",
        USAGE_LOG_WAIT_SECONDS,
        "When a submission's answer is lost, find its job in /v2/logs instead of failing; 0 turns this off.",
    ),
)
"""The extra fields, in the form's order."""

FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden_fields": ["schema", "login", "extra"],
    "relabeling": {"password": "API key", "host": "Base URL", "port": PORT_LABEL},
    "placeholders": {"host": DEFAULT_BASE_URL, "password": "your AI/ML API key", "port": "0"},
}
"""The standard fields: which are hidden, how the others are labelled, what they show when empty.
The port stays: Airflow 3.3's Test button needs one stored (0 will do)."""


def _json_schema(field: ExtraField) -> dict[str, Any]:
    if field.kind == "flag":
        return {"type": ["boolean", "null"], "default": field.default}
    if field.kind == "count":
        return {"type": ["integer", "null"], "minimum": 0, "default": field.default}
    bound = {"minimum": 0} if field.zero_allowed else {"exclusiveMinimum": 0}
    return {"type": ["number", "null"], **bound, "default": field.default}


def provider_info_form() -> dict[str, Any]:
    """The form as Airflow 3.2+ reads it from the provider info: ``conn-fields`` (a JSON schema per
    field) and ``ui-field-behaviour``."""
    conn_fields = {}
    for field in EXTRA_FIELDS:
        entry: dict[str, Any] = {"label": field.label, "schema": _json_schema(field)}
        if field.description:
            entry["description"] = field.description
        conn_fields[field.name] = entry
    behaviour = {key.replace("_", "-"): value for key, value in FIELD_BEHAVIOUR.items()}
    return {"conn-fields": conn_fields, "ui-field-behaviour": behaviour}


def form_widgets() -> dict[str, Any]:
    """The form's extra fields as WTForms fields, as Airflow 2.11 to 3.1 read them from the hook's
    ``get_connection_form_widgets``.

    Seconds are text fields (Airflow accepts integer, string, boolean and password fields only),
    checked when the connection is used.
    """
    from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, IntegerField, StringField
    from wtforms.validators import NumberRange, Optional

    widgets: dict[str, Any] = {}
    for field in EXTRA_FIELDS:
        label = lazy_gettext(field.label)
        if field.kind == "flag":
            widgets[field.name] = BooleanField(label, description=field.description, default=field.default)
        elif field.kind == "count":
            widgets[field.name] = IntegerField(
                label,
                widget=BS3TextFieldWidget(),
                validators=[Optional(), NumberRange(min=0)],
                description=field.description,
                default=field.default,
            )
        else:
            widgets[field.name] = StringField(
                label,
                widget=BS3TextFieldWidget(),
                validators=[Optional()],
                description=field.description,
                default=str(field.default),
            )
    return widgets


def hook_field_behaviour() -> dict[str, Any]:
    """The standard fields' behaviour as Airflow 2.11 to 3.1 read it from the hook's
    ``get_ui_field_behaviour``."""
    return {key: value.copy() for key, value in FIELD_BEHAVIOUR.items()}

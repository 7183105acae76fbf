"""The base of every generated options class: how strictly a model's create options are checked."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApiOptions(BaseModel):
    """Create options of one model, checked before any request is sent.

    Strict: no type coercion (``"true"`` is not a boolean, ``2.0`` is not an integer), no name the
    model's schema lacks, no NaN or infinity (JSON has neither). Every option may be left out or
    given as None: None is never sent, so a schema's ``nullable`` changes nothing here.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        allow_inf_nan=False,
        protected_namespaces=(),
        defer_build=True,
    )

"""The response check of the ``HttpEventTrigger`` anchor in ``trigger_waits.py``.

A module of its own: ``HttpEventTrigger`` re-imports (reloads) its check's module on every poll,
so it is kept as small as a user's would be.
"""

from typing import Any


async def job_completed(response: Any) -> bool:
    """Whether the emulator's fetch answer says the job finished.

    :param response: the ``requests.Response`` the trigger made of the answer.
    """
    return response.json().get("status") in ("completed", "error")

"""One ``httpx.AsyncClient`` per event loop and connection settings, shared by every wait.

A triggerer runs up to a thousand waits in one event loop. A client each costs memory and, since
each poll comes more than httpx's default 5 s keep-alive after the last, a new TCP connection per
poll. One shared client keeps a pool of warm connections instead.

- Keyed by the running loop (a client's connections belong to the loop that opened them; a test
  or an ``asyncio.run`` per call makes a new loop) and by what changes the client: base URL and
  timeouts. The API key is not part of the client (each request sends its own header).
- Made lazily, inside the running loop; never closed by a wait that ends (others use it). Clients
  of loops that closed are dropped, with their loop, when next looked up.
- Limits sized for thousands of waits: up to :data:`MAX_CONNECTIONS` connections, each kept
  alive :data:`KEEPALIVE_EXPIRY_SECONDS` (longer than any backoff interval, so a wait's next
  poll finds its connection still open); requests beyond them queue for a connection.
"""

from __future__ import annotations

import asyncio
import weakref

import httpx

from airflow_provider_aimlstt.hooks.connection import ConnectionSettings
from airflow_provider_aimlstt.hooks.transport import shared_ssl_context

MAX_CONNECTIONS = 512
KEEPALIVE_EXPIRY_SECONDS = 120.0
POOL_TIMEOUT_SECONDS = 300.0
"""How long a request may queue for a free connection before it fails (and is retried)."""

_ClientKey = tuple[str, float, float]
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_ClientKey, httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def client_key(settings: ConnectionSettings) -> _ClientKey:
    """What makes two connections' clients different (never the key).

    :param settings: a connection's settings.
    """
    return (settings.base_url, settings.connect_timeout, settings.read_timeout)


def shared_client(settings: ConnectionSettings) -> httpx.AsyncClient:
    """The running loop's client for these settings, made on first use.

    :param settings: the connection's settings.
    :raises RuntimeError: when no event loop is running.
    """
    loop = asyncio.get_running_loop()
    for other in [other for other in _clients if other.is_closed()]:
        _clients.pop(other, None)
    clients = _clients.setdefault(loop, {})
    key = client_key(settings)
    client = clients.get(key)
    if client is None or client.is_closed:
        client = clients[key] = httpx.AsyncClient(
            verify=shared_ssl_context(),
            timeout=httpx.Timeout(
                settings.read_timeout, connect=settings.connect_timeout, pool=POOL_TIMEOUT_SECONDS
            ),
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=MAX_CONNECTIONS,
                keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
            ),
        )
    return client


async def aclose_shared_clients() -> None:
    """Close the running loop's clients (for a process or test that is done with its loop)."""
    clients = _clients.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.aclose()

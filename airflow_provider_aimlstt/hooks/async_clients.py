"""Shared ``httpx.AsyncClient``s per event loop and connection settings, for every wait.

A triggerer runs up to a thousand waits in one event loop. A client each costs memory and, since
each poll comes more than httpx's default 5 s keep-alive after the last, a new TCP connection per
poll. Shared clients keep pools of warm connections instead.

Not one client but :data:`SHARDS` of them, each with a small pool, a wait always using the same
one (by its job id): httpcore 1.0's pool does work in the square of its connections on every
request (each idle connection counts all the others), so one pool of 500 connections spent most
of a loop's CPU on bookkeeping. 128 pools of up to 4 (a few waits each, which rarely poll at the
same moment) keep that cost and the memory of idle connections small.

- Keyed by the running loop (a client's connections belong to the loop that opened them; a test
  or an ``asyncio.run`` per call makes a new loop) and by what changes the client: base URL and
  timeouts. The API key is not part of the client (each request sends its own header).
- Made lazily, inside the running loop; never closed by a wait that ends (others use it). Clients
  of loops that closed are dropped, with their loop, when next looked up.
- Limits sized for thousands of waits: up to :data:`SHARDS` x :data:`CONNECTIONS_PER_SHARD`
  connections, each kept alive :data:`KEEPALIVE_EXPIRY_SECONDS` (longer than any backoff
  interval, so a wait's next poll finds a connection still open); requests beyond them queue.
"""

from __future__ import annotations

import asyncio
import weakref
import zlib

import httpx

from airflow_provider_aimlstt.hooks.connection import ConnectionSettings
from airflow_provider_aimlstt.hooks.transport import shared_ssl_context

SHARDS = 128
CONNECTIONS_PER_SHARD = 4
KEEPALIVE_EXPIRY_SECONDS = 120.0
POOL_TIMEOUT_SECONDS = 300.0
"""How long a request may queue for a free connection before it fails (and is retried)."""

_ClientKey = tuple[str, float, float, int]
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[_ClientKey, httpx.AsyncClient]] = (
    weakref.WeakKeyDictionary()
)


def client_key(settings: ConnectionSettings, affinity: str = "") -> _ClientKey:
    """What makes two clients different (never the API key): the settings, and the shard.

    :param settings: a connection's settings.
    :param affinity: what picks the shard (a job id); the same one always gets the same shard.
    """
    shard = zlib.crc32(affinity.encode()) % SHARDS
    return (settings.base_url, settings.connect_timeout, settings.read_timeout, shard)


def shared_client(settings: ConnectionSettings, affinity: str = "") -> httpx.AsyncClient:
    """The running loop's client for these settings and this affinity, made on first use.

    :param settings: the connection's settings.
    :param affinity: what picks the shard (a job id).
    :raises RuntimeError: when no event loop is running.
    """
    loop = asyncio.get_running_loop()
    for other in [other for other in _clients if other.is_closed()]:
        _clients.pop(other, None)
    clients = _clients.setdefault(loop, {})
    key = client_key(settings, affinity)
    client = clients.get(key)
    if client is None or client.is_closed:
        client = clients[key] = httpx.AsyncClient(
            verify=shared_ssl_context(),
            timeout=httpx.Timeout(
                settings.read_timeout, connect=settings.connect_timeout, pool=POOL_TIMEOUT_SECONDS
            ),
            limits=httpx.Limits(
                max_connections=CONNECTIONS_PER_SHARD,
                max_keepalive_connections=CONNECTIONS_PER_SHARD,
                keepalive_expiry=KEEPALIVE_EXPIRY_SECONDS,
            ),
        )
    return client


async def aclose_shared_clients() -> None:
    """Close the running loop's clients (for a process or test that is done with its loop)."""
    clients = _clients.pop(asyncio.get_running_loop(), {})
    for client in clients.values():
        await client.aclose()

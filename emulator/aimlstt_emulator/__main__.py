"""Command line: ``aimlstt-emulator`` or ``python -m aimlstt_emulator``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from decimal import Decimal
from pathlib import Path
from types import FrameType

from aimlstt_emulator.billing import DEFAULT_PRICES
from aimlstt_emulator.config import (
    API_KEY_ENV_VAR,
    DEFAULT_API_KEY,
    FETCH_STYLES,
    EmulatorConfig,
)
from aimlstt_emulator.faults.config import FaultConfig, cli_settings
from aimlstt_emulator.server import EmulatorServer
from aimlstt_emulator.sources import is_loopback_host

READY_LINE = "aimlstt emulator listening on {base_url}"


def build_parser() -> argparse.ArgumentParser:
    """The command line options, which mirror :class:`EmulatorConfig`."""
    defaults = EmulatorConfig()
    parser = argparse.ArgumentParser(
        prog="aimlstt-emulator",
        description="Serve a local emulator of the AI/ML API speech-to-text endpoints "
        "(POST /v1/stt/create, GET /v1/stt/{generation_id}) and of its usage logs (GET /v2/logs), "
        "with the request tracing and cost headers.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to bind; 0 picks a free one (default: %(default)s)"
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV_VAR, DEFAULT_API_KEY),
        help=f"the accepted API key (default: ${API_KEY_ENV_VAR}, else {DEFAULT_API_KEY})",
    )
    parser.add_argument(
        "--transcripts-dir", type=Path, help="folder of <audio stem>.txt transcripts and audio files"
    )
    parser.add_argument(
        "--queued-seconds",
        type=float,
        default=defaults.queued_seconds,
        help="time a new job stays waiting/queued (default: %(default)s)",
    )
    parser.add_argument(
        "--processing-seconds",
        type=float,
        default=defaults.processing_seconds,
        help="time a job then stays active/generating, plus the per-audio-second time below "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--processing-seconds-per-audio-second",
        type=float,
        default=defaults.processing_seconds_per_audio_second,
        metavar="FACTOR",
        help="extra active/generating time per second of a job's audio, so long files take longer "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--processing-spread",
        type=float,
        default=defaults.processing_spread,
        metavar="FRACTION",
        help="scale each job's active/generating time by a factor fixed by its id, spread evenly "
        "from 1 - FRACTION to 1 + FRACTION, as a busy API's jobs vary (default: %(default)s)",
    )
    parser.add_argument(
        "--max-concurrent-jobs",
        type=int,
        default=defaults.max_concurrent_jobs,
        metavar="N",
        help="unfinished (pending or running) jobs the API key may have at once; a create beyond "
        "it is refused, before any job is made, with 429 Too Many Requests and Retry-After: the "
        "seconds until the earliest of them finishes (default: no limit)",
    )
    parser.add_argument(
        "--retention-seconds",
        type=float,
        default=defaults.retention_seconds,
        help="time a job can be fetched after creation; 404 afterwards (default: %(default)s)",
    )
    parser.add_argument(
        "--fetch-style",
        choices=FETCH_STYLES,
        default=defaults.fetch_style,
        help="legacy: {generation_id, status, result}; universal: {id, status, output, error} "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--usage-log-delay-seconds",
        type=float,
        default=defaults.usage_log_delay_seconds,
        metavar="SECONDS",
        help="time before a request's row shows in GET /v2/logs; 0 for at once (default: %(default)s)",
    )
    prices = ", ".join(f"{family.value} {Decimal(repr(price)):f}" for family, price in DEFAULT_PRICES.items())
    parser.add_argument(
        "--price",
        type=price_setting,
        action="append",
        default=[],
        metavar="MODEL_OR_FAMILY=USD",
        help="USD per second of audio that a create of a model id or family is billed; repeat it "
        f"for several (defaults: {prices})",
    )
    parser.add_argument("--port-file", type=Path, help="write the bound port to this file once listening")
    parser.add_argument("--allow-remote", action="store_true", help="permit binding a non-loopback address")
    _add_fault_arguments(parser)
    return parser


def price_setting(text: str) -> tuple[str, float]:
    """``MODEL_OR_FAMILY=USD`` (the last ``=`` splits, so model ids may hold one) as a pair.

    :param text: the flag's value, for example ``nova-3=0.0001``.
    :raises argparse.ArgumentTypeError: when it is not a name, ``=`` and a number.
    """
    name, equals, price = text.rpartition("=")
    try:
        value = float(price)
    except ValueError:
        value = None
    if not equals or not name or value is None:
        raise argparse.ArgumentTypeError(f"expected MODEL_OR_FAMILY=USD_PER_SECOND, got {text!r}")
    return name, value


def _add_fault_arguments(parser: argparse.ArgumentParser) -> None:
    """One ``--fault-<field>`` flag per :class:`FaultConfig` field (all off by default)."""
    group = parser.add_argument_group(
        "fault injection", "Faults to inject from the start; change them later at /_emulator/faults."
    )
    defaults = FaultConfig().to_dict()
    for name, help, metavar, parse in cli_settings():
        default = defaults[name]
        shown = ",".join(map(str, default)) if isinstance(default, list) else default
        group.add_argument(
            f"--fault-{name.replace('_', '-')}",
            dest=f"fault_{name}",
            type=parse,
            metavar=metavar,
            help=f"{help} (default: {shown})" if default is not None else help,
        )


def _fault_config(args: argparse.Namespace, parser: argparse.ArgumentParser) -> FaultConfig:
    """The faults the ``--fault-*`` flags ask for; exits with the flag's name when one is bad."""
    given = {name: getattr(args, f"fault_{name}") for name, *_ in cli_settings()}
    try:
        return FaultConfig.from_dict({name: value for name, value in given.items() if value is not None})
    except ValueError as exc:
        name, _, problem = str(exc).partition(":")
        parser.error(f"--fault-{name.replace('_', '-')}:{problem}")


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until SIGINT or SIGTERM.

    :param argv: the arguments (default: ``sys.argv[1:]``).
    :return: the exit status.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.allow_remote and not is_loopback_host(args.host.strip("[]")):
        parser.error(f"refusing to bind {args.host!r}, which is not a loopback address; pass --allow-remote")
    if args.transcripts_dir is not None and not args.transcripts_dir.is_dir():
        parser.error(f"--transcripts-dir: not a directory: {args.transcripts_dir}")
    try:
        config = EmulatorConfig(
            api_key=args.api_key,
            transcripts_dir=args.transcripts_dir,
            queued_seconds=args.queued_seconds,
            processing_seconds=args.processing_seconds,
            processing_seconds_per_audio_second=args.processing_seconds_per_audio_second,
            processing_spread=args.processing_spread,
            max_concurrent_jobs=args.max_concurrent_jobs,
            retention_seconds=args.retention_seconds,
            fetch_style=args.fetch_style,
            usage_log_delay_seconds=args.usage_log_delay_seconds,
            prices_per_second=dict(args.price),
        )
    except ValueError as exc:
        parser.error(str(exc))
    faults = _fault_config(args, parser)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
    if faults.active:
        logging.getLogger("aimlstt_emulator").info("faults: %s", json.dumps(faults.to_dict()))
    server = EmulatorServer(config, args.host, args.port, allow_remote=args.allow_remote, faults=faults)
    try:
        server.start()
    except OSError as exc:
        print(f"aimlstt emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        if args.port_file is not None:
            _write_port_file(args.port_file, server.port)
        print(READY_LINE.format(base_url=server.base_url), flush=True)
        while not stop_requested.wait(0.2):
            pass
    finally:
        server.stop()
        if args.port_file is not None:
            args.port_file.unlink(missing_ok=True)
    logging.getLogger("aimlstt_emulator").info("aimlstt emulator stopped")
    return 0


def _write_port_file(path: Path, port: int) -> None:
    """Write the port so that a reader never sees a half-written file."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(f"{port}\n", encoding="utf-8")
    os.replace(partial, path)


if __name__ == "__main__":
    sys.exit(main())

"""Serve ``KiroProvider`` over gRPC: what the engine starts through PulumiPlugin.yaml."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

import grpc.aio  # type: ignore[import-untyped]
from pulumi.runtime.proto import provider_pb2_grpc

from kiro_provider.plugin.provider import KiroProvider
from kiro_provider.plugin.schema import version

#: Room for the largest messages the engine sends (a Check of a group with thousands of
#: members); gRPC's default is 4 MiB. The engine's own limit is the same.
_MAX_MESSAGE_BYTES = 400 * 1024 * 1024
SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", _MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", _MAX_MESSAGE_BYTES),
]


async def serve(schema_path: Path) -> None:
    """Listen on a free local port, print it (the engine reads it from the first stdout line)
    and serve until the engine ends the process."""
    server = grpc.aio.server(options=SERVER_OPTIONS)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(
        KiroProvider(schema_path, version()), server
    )
    port = server.add_insecure_port(address="127.0.0.1:0")
    await server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    await server.wait_for_termination()


def main(schema_path: Path, argv: Sequence[str] | None = None) -> None:
    """The plugin's entry point: the engine passes its address and logging flags; this
    provider calls nothing back on the engine, so it only checks that they are there."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description="The kiro Pulumi provider plugin")
    parser.add_argument("engine", help="the Pulumi engine's address")
    parser.parse_known_args(args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(schema_path))

"""Serve ``KiroProvider`` over gRPC: what the engine starts through PulumiPlugin.yaml."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import grpc.aio  # type: ignore[import-untyped]
from pulumi.provider.experimental.server import ProviderServicer
from pulumi.runtime._grpc_settings import _GRPC_CHANNEL_OPTIONS
from pulumi.runtime.proto import provider_pb2_grpc

from kiro_provider.plugin.provider import KiroProvider
from kiro_provider.plugin.schema import version
from kiro_provider.resources.base import ProviderError

Handler = Callable[[Any, Any], Awaitable[Any]]


async def _plainly(call: Awaitable[Any], context: grpc.aio.ServicerContext) -> Any:
    """Report a control-plane refusal with its own message only. The SDK's servicer appends a
    Python stack trace to every error it passes on, raising its own error while handling ours:
    the refusal is that error's ``__context__``."""
    try:
        return await call
    except Exception as exc:
        cause = exc.__context__
        if isinstance(cause, ProviderError):
            await context.abort(grpc.StatusCode.UNKNOWN, str(cause))
        raise


class KiroServicer(ProviderServicer):
    """The SDK's servicer, with refusals from create/read/update/delete shown plainly."""

    async def Create(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _plainly(super().Create(request, context), context)

    async def Read(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _plainly(super().Read(request, context), context)

    async def Update(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _plainly(super().Update(request, context), context)

    async def Delete(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        return await _plainly(super().Delete(request, context), context)


async def serve(schema_path: Path, engine_address: str, args: Sequence[str]) -> None:
    """Listen on a free local port, print it (the engine reads it from the first stdout line)
    and serve until the engine ends the process."""
    server = grpc.aio.server(options=_GRPC_CHANNEL_OPTIONS)
    servicer = KiroServicer(list(args), version(), KiroProvider(schema_path), engine_address)
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(servicer, server)
    port = server.add_insecure_port(address="127.0.0.1:0")
    await server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    await server.wait_for_termination()


def main(schema_path: Path, argv: Sequence[str] | None = None) -> None:
    """The plugin's entry point: ``ENGINE_ADDRESS`` and logging flags, as the engine passes."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description="The kiro Pulumi provider plugin")
    parser.add_argument("engine", help="the Pulumi engine's address")
    known, _ = parser.parse_known_args(args)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(schema_path, known.engine, args))

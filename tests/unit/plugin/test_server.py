"""The gRPC server, started as the engine starts it: it prints its port first, then answers
the protocol on it, with room for messages larger than gRPC's default 4 MiB."""

from __future__ import annotations

import subprocess
import sys

import grpc  # type: ignore[import-untyped]
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from kiro_provider.plugin.schema import version
from tests.e2e.harness import REPO


def test_the_plugin_serves_the_protocol_on_the_port_it_prints() -> None:
    plugin = subprocess.Popen(
        [sys.executable, str(REPO / "__main__.py"), "127.0.0.1:1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert plugin.stdout is not None
        port = int(plugin.stdout.readline())
        big = 16 * 1024 * 1024
        options = [
            ("grpc.max_send_message_length", big + 1024),
            ("grpc.max_receive_message_length", big + 1024),
        ]
        with grpc.insecure_channel(f"127.0.0.1:{port}", options=options) as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            assert stub.GetPluginInfo(empty_pb2.Empty(), timeout=30).version == version()
            schema = stub.GetSchema(provider_pb2.GetSchemaRequest(), timeout=30).schema
            assert schema == (REPO / "schema.json").read_text()
            news = provider_pb2.CheckRequest()
            news.news.update({"padding": "x" * big})
            checked = stub.CheckConfig(news, timeout=30)
            assert len(checked.inputs["padding"]) == big
    finally:
        plugin.kill()
        plugin.wait()

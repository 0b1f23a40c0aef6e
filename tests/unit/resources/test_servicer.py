"""The providers behind the dynamic provider's own gRPC server, called as the engine calls them.

The server (``python -m pulumi.dynamic``) runs in its own process, as under `pulumi up`: this
proves the providers unpickle by reference there, receive their configuration, and that check
failures travel as check failures rather than errors.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from pulumi.dynamic import dynamic
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from kiro_provider.resources import SubscriptionProvider
from tests.unit.resources.conftest import World

URN = "urn:pulumi:s::p::pulumi-python:dynamic/kiro:Subscription::x"


def _struct(props: dict[str, Any]) -> Any:
    return asyncio.run(rpc.serialize_properties(props, {}))


def _props(**values: Any) -> dict[str, Any]:
    return {dynamic.PROVIDER_KEY: dynamic.serialize_provider(SubscriptionProvider()), **values}


@pytest.fixture
def stub(world: World) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.dynamic"],  # -u: the port line, as the engine runs it
        stdout=subprocess.PIPE,
        env={**os.environ, "PULUMI_PROJECT": "p"},
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield provider_pb2_grpc.ResourceProviderStub(channel)
    finally:
        server.kill()
        server.wait()


def test_check_failure_travels_as_a_check_failure(
    stub: provider_pb2_grpc.ResourceProviderStub,
) -> None:
    news = _props(user="alice", tier="Gold", owner="p/s/x")
    response = stub.Check(proto.CheckRequest(urn=URN, olds=_struct({}), news=_struct(news)))
    assert [f.property for f in response.failures] == ["tier"]
    assert "'Gold'" in response.failures[0].reason


def test_stack_config_reaches_the_provider(
    stub: provider_pb2_grpc.ResourceProviderStub,
) -> None:
    stub.Configure(proto.ConfigureRequest(args=_struct({"kiro:profile": "elsewhere"})))
    news = _props(user="alice", tier="Pro", owner="p/s/x")
    response = stub.Check(proto.CheckRequest(urn=URN, olds=_struct({}), news=_struct(news)))
    assert [f.property for f in response.failures] == ["profile"]
    assert "'elsewhere'" in response.failures[0].reason


def test_create_then_read_round_trip(stub: provider_pb2_grpc.ResourceProviderStub) -> None:
    news = _props(user="bob", tier="pro+", owner="p/s/x")
    checked = stub.Check(proto.CheckRequest(urn=URN, olds=_struct({}), news=_struct(news)))
    assert list(checked.failures) == []
    created = stub.Create(proto.CreateRequest(urn=URN, properties=checked.inputs))
    outs = rpc.deserialize_properties(created.properties)
    assert (outs["status"], outs["effective_tier"], outs["user_name"]) == ("Pending", "Pro+", "bob")
    read = stub.Read(proto.ReadRequest(id=created.id, urn=URN, properties=created.properties))
    assert rpc.deserialize_properties(read.properties) == outs

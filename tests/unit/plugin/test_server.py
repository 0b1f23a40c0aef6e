"""The gRPC servicer: a control-plane refusal reaches the engine as its message alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pulumi.runtime import proto

from kiro_provider.plugin import provider as plugin_provider
from kiro_provider.plugin.provider import KiroProvider
from kiro_provider.plugin.server import KiroServicer
from kiro_provider.resources.base import ProviderError
from tests.e2e.harness import REPO

URN = "urn:pulumi:dev::proj::kiro:index:Subscription::alice"


class Aborted(Exception):
    pass


class Context:
    """The part of grpc.aio.ServicerContext the servicer uses on an error."""

    def __init__(self) -> None:
        self.aborted: tuple[Any, str] | None = None

    async def abort(self, code: Any, details: str) -> None:
        self.aborted = (code, details)
        raise Aborted(details)


def servicer() -> KiroServicer:
    return KiroServicer([], "0.0.0", KiroProvider(REPO / "schema.json"), "127.0.0.1:1")


def test_a_refusal_is_reported_without_a_stack_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_id: str, _props: dict[str, Any]) -> None:
        raise ProviderError("Conflict: user: 'alice' is managed by p/s/other")

    monkeypatch.setattr(plugin_provider.PROVIDERS["kiro:index:Subscription"], "delete", refuse)
    context = Context()
    with pytest.raises(Aborted):
        asyncio.run(servicer().Delete(proto.DeleteRequest(urn=URN, id="x"), context))
    assert context.aborted is not None
    assert context.aborted[1] == "Conflict: user: 'alice' is managed by p/s/other"


def test_a_bug_keeps_its_stack_trace(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_id: str, _props: dict[str, Any]) -> None:
        raise KeyError("profile")

    monkeypatch.setattr(plugin_provider.PROVIDERS["kiro:index:Subscription"], "delete", broken)
    context = Context()
    with pytest.raises(Exception, match=r"File ") as raised:
        asyncio.run(servicer().Delete(proto.DeleteRequest(urn=URN, id="x"), context))
    assert context.aborted is None
    assert "profile" in str(raised.value)

"""A dynamic resource whose provider keeps nothing: it echoes its input."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ResourceProvider, UpdateResult


class EchoProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"echo-{props['message']}", {"message": props["message"]})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = olds.get("message") != news.get("message")
        return DiffResult(changes=changed, replaces=[], delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({"message": news["message"]})


class Echo(pulumi.dynamic.Resource):
    message: pulumi.Output[str]

    def __init__(self, name: str, message: str) -> None:
        super().__init__(EchoProvider(), name, {"message": message})

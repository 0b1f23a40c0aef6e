"""Every input the SDK classes document is described in their docstrings exactly as in
``kiro_provider.resources.args`` (the one description of each input, which schema.json shows)."""

from __future__ import annotations

import inspect
import re

import pytest

import pulumi_kiro
from kiro_provider.plugin import schema

_PARAM = re.compile(r":param (\w+):(.*?)(?=:param |\Z)", re.S)


def _documented_params(cls: type) -> dict[str, str]:
    doc = inspect.getdoc(cls.__init__) or ""
    return {name: " ".join(text.split()) for name, text in _PARAM.findall(doc)}


@pytest.mark.parametrize("spec", schema.RESOURCES, ids=lambda spec: spec.name)
def test_sdk_docstrings_describe_each_input_as_args_py_does(spec: schema.ResourceSpec) -> None:
    documented = _documented_params(getattr(pulumi_kiro, spec.name))
    described = {
        name: " ".join((field.description or "").split())
        for name, field in schema.input_fields(spec).items()
    }
    assert documented == described

"""The Pulumi package schema of ``kiro``, generated from the one description of every field.

Inputs come from the pydantic models in ``kiro_provider.resources.args`` (their types, defaults
and descriptions); outputs from the output properties of the Python SDK classes (return
types and docstrings); resource descriptions from the SDK class docstrings. ``schema.json`` at the
repository root is this module's output, checked in because the plugin serves it and tools read
it: regenerate it with ``python -m kiro_provider.plugin.schema > schema.json`` (a unit test fails
when the two differ).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pydantic

from kiro_provider.config import STACK_SETTINGS
from kiro_provider.domain.tiers import Status, Tier
from kiro_provider.plugin.names import camel
from kiro_provider.resources.args import (
    GroupAssignmentArgs,
    ProfileSettingsArgs,
    SubscriptionArgs,
)

PACKAGE = "kiro"
TIER_TYPE = f"{PACKAGE}:index:Tier"
STATUS_TYPE = f"{PACKAGE}:index:Status"
MEMBER_TYPE = f"{PACKAGE}:index:GroupMember"

#: Inputs the SDK sets itself (never declared by a program): not part of the schema.
SDK_SET = frozenset({"owner"})


@dataclass(frozen=True)
class ResourceSpec:
    """One resource type: its token, its input model and the SDK class that documents it."""

    name: str
    args: type[pydantic.BaseModel]
    sdk_module: str

    @property
    def token(self) -> str:
        return f"{PACKAGE}:index:{self.name}"


RESOURCES = (
    ResourceSpec("Subscription", SubscriptionArgs, "pulumi_kiro.subscription"),
    ResourceSpec("GroupAssignment", GroupAssignmentArgs, "pulumi_kiro.group_assignment"),
    ResourceSpec("ProfileSettings", ProfileSettingsArgs, "pulumi_kiro.profile_settings"),
)

#: The provider configuration (namespace ``kiro``): each key's description, from config.py's
#: one table of settings.
CONFIG: dict[str, str] = {setting.key: setting.description for setting in STACK_SETTINGS}

_MEMBER_FIELDS = {
    "user_id": ({"type": "string"}, "IAM Identity Center user id."),
    "user_name": ({"type": "string"}, "The user's name in the directory."),
    "status": ({"$ref": f"#/types/{STATUS_TYPE}"}, "`Pending`, `Active` or `Canceled`."),
    "effective_tier": ({"$ref": f"#/types/{TIER_TYPE}"}, "The tier in force for the user now."),
}

# Output types the SDK annotations cannot say precisely (enums and the member object).
_OUTPUT_TYPES: dict[str, dict[str, Any]] = {
    "status": {"$ref": f"#/types/{STATUS_TYPE}"},
    "effective_tier": {"$ref": f"#/types/{TIER_TYPE}"},
    "pending_tier": {"$ref": f"#/types/{TIER_TYPE}"},
    "members": {"type": "array", "items": {"$ref": f"#/types/{MEMBER_TYPE}"}},
}
_ANNOTATION_TYPES = {"str": "string", "int": "integer", "bool": "boolean"}

#: Settings of Pulumi's SDK generators, by language (``scripts/generate-sdks`` runs them).
LANGUAGES: dict[str, dict[str, Any]] = {
    # sdk/nodejs, the npm package examples/typescript installs from the checkout. Its version
    # is the schema's (Pulumi's default is a placeholder a release pipeline fills in), so the
    # engine is asked for the kiro plugin at the version this checkout serves. TypeScript: the
    # release examples/typescript pins, so npm installs a single compiler for both.
    "nodejs": {
        "packageName": "@pulumi-kiro/kiro",
        "respectSchemaVersion": True,
        "typescriptVersion": "^5.9.3",
    },
    # sdk/go/kiro: Pulumi's Go code generator writes import paths from this.
    "go": {"importBasePath": "github.com/pulumi-kiro/pulumi-kiro/sdk/go/kiro"},
}


def version() -> str:
    """The package version (pyproject.toml) the schema and plugin report."""
    try:
        return metadata.version("pulumi-kiro")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        return "0.0.0"


# --- inputs (pydantic models) ---------------------------------------------------------------


def input_fields(spec: ResourceSpec) -> dict[str, pydantic.fields.FieldInfo]:
    """The declared inputs of ``spec`` by snake_case name (without what the SDK sets)."""
    return {n: f for n, f in spec.args.model_fields.items() if n not in SDK_SET}


def _input_type(field: pydantic.fields.FieldInfo) -> dict[str, Any]:
    annotation = field.annotation
    if annotation is bool:
        return {"type": "boolean"}
    if annotation is Any:
        return {"$ref": "pulumi.json#/Any"}
    # Tiers are accepted in any spelling ("pro+", "PRO_PLUS") and checked by the provider with
    # a message listing the valid tiers: a string here, the Tier enum on the outputs.
    return {"type": "string"}


def _input_property(field: pydantic.fields.FieldInfo) -> dict[str, Any]:
    prop = {**_input_type(field), "description": field.description or ""}
    if field.annotation is bool and not field.is_required():
        prop["default"] = field.default
    return prop


# --- outputs (the SDK classes) ----------------------------------------------------------------


def sdk_class(spec: ResourceSpec) -> ast.ClassDef:
    """The Python SDK class of ``spec``, parsed from its source: the provider package documents
    itself from the SDK's text without importing it (the SDK depends on the provider)."""
    found = importlib.util.find_spec(spec.sdk_module)
    if found is None or found.origin is None:
        raise LookupError(f"the Python SDK module {spec.sdk_module} is not installed")
    tree = ast.parse(Path(found.origin).read_text(encoding="utf-8"))
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == spec.name)


def sdk_outputs(spec: ResourceSpec) -> dict[str, tuple[str, str]]:
    """The SDK class's outputs, its getter properties: snake_case name -> (return annotation
    text, docstring)."""
    return {
        node.name: (ast.unparse(node.returns), ast.get_docstring(node) or "")
        for node in sdk_class(spec).body
        if isinstance(node, ast.FunctionDef)
        and node.returns is not None
        and any(isinstance(d, ast.Name) and d.id == "property" for d in node.decorator_list)
    }


def _output_type(name: str, annotation: str) -> dict[str, Any]:
    if name in _OUTPUT_TYPES:
        return dict(_OUTPUT_TYPES[name])
    inner = annotation.removeprefix("pulumi.Output[").removesuffix("]").split(" | ")[0]
    return {"type": _ANNOTATION_TYPES[inner]}


def _resource(spec: ResourceSpec) -> dict[str, Any]:
    inputs = input_fields(spec)
    outputs = sdk_outputs(spec)
    resource = {
        "description": ast.get_docstring(sdk_class(spec)) or "",
        "inputProperties": {camel(n): _input_property(f) for n, f in inputs.items()},
        "requiredInputs": [camel(n) for n, f in inputs.items() if f.is_required()],
        "properties": {
            camel(n): {**_output_type(n, annotation), "description": doc}
            for n, (annotation, doc) in outputs.items()
        },
        "required": [camel(n) for n, (a, _) in outputs.items() if "None" not in a],
    }
    # An empty list is written as no list at all, as the engine serves the schema back.
    return {key: value for key, value in resource.items() if value != []}


# --- types and config -------------------------------------------------------------------------


def _enum(description: str, values: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "string",
        "description": description,
        "enum": [{"name": name, "value": value} for name, value in values],
    }


def _types() -> dict[str, Any]:
    return {
        TIER_TYPE: _enum(
            "A Kiro plan, lowest first; monthly credits 1,000 / 2,000 / 10,000.",
            [(t.name.title().replace("_", ""), t.value) for t in Tier],
        ),
        STATUS_TYPE: _enum(
            "`Pending`: subscribed, not yet activated (not charged). `Active`: charged. "
            "`Canceled`: unsubscribed.",
            [(s.value, s.value) for s in Status],
        ),
        MEMBER_TYPE: {
            "type": "object",
            "description": "A member of an assigned group as the Groups tab shows them.",
            "properties": {
                camel(n): {**t, "description": d} for n, (t, d) in _MEMBER_FIELDS.items()
            },
            "required": [camel(n) for n in _MEMBER_FIELDS],
        },
    }


def _config() -> dict[str, Any]:
    variables = {
        key.removeprefix(f"{PACKAGE}:"): {"type": "string", "description": description}
        for key, description in CONFIG.items()
    }
    return {"variables": variables}


def build_schema() -> dict[str, Any]:
    """The whole package schema."""
    config = _config()
    return {
        "name": PACKAGE,
        "displayName": "Kiro",
        "version": version(),
        "description": "Kiro enterprise subscriptions as code: subscriptions, group "
        "assignments and profile settings.",
        "keywords": ["kiro", "subscriptions", "category/utility"],
        "license": "Apache-2.0",
        "publisher": "pulumi-kiro",
        "meta": {"moduleFormat": "(.*)"},
        "config": config,
        "provider": {
            "description": "The kiro provider: where the control plane lives and which "
            "directory and profile to use.",
            "inputProperties": config["variables"],
        },
        "types": _types(),
        "resources": {spec.token: _resource(spec) for spec in RESOURCES},
        "language": LANGUAGES,
    }


def render() -> str:
    """``schema.json`` as checked in: sorted keys kept in declaration order, 2-space indent."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())

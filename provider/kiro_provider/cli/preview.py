"""Reading ``pulumi preview --json``: the Kiro assignments a preview creates, changes or removes.

The engine writes ``{"steps": [...], "changeSummary": ...}``; each step has an ``op`` and the
resource's ``oldState`` / ``newState`` with the inputs as the provider's ``check`` returned them
(so a user or group is resolved to its canonical id, and a tier is canonical). Kiro resources
come in two shapes:

- from a Python program (dynamic resources): type ``pulumi-python:dynamic/kiro:Subscription``
  (or ``pulumi-python:dynamic:Resource`` from programs that register plain dynamic resources,
  told apart by the provider class pickled in ``__provider``), inputs in snake_case;
- from any language through the plugin: type ``kiro:index:Subscription``, inputs in camelCase.

Anything else in the preview (other providers, the stack) is skipped. A file that is not such
a preview is a ValidationError on field ``preview`` saying what is wrong.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiro_provider.domain.tiers import Tier, parse_tier
from kiro_provider.errors import ValidationError, shown
from kiro_provider.plugin.names import snake
from kiro_provider.resources.args import UNKNOWN


class Kind(enum.Enum):
    """The Kiro resources a preview may hold."""

    SUBSCRIPTION = "Subscription"
    GROUP_ASSIGNMENT = "GroupAssignment"
    PROFILE_SETTINGS = "ProfileSettings"


_TYPES: Mapping[str, Kind] = {
    token: kind
    for kind in Kind
    for token in (f"kiro:index:{kind.value}", f"pulumi-python:dynamic/kiro:{kind.value}")
}
_PLAIN_DYNAMIC = "pulumi-python:dynamic:Resource"
#: The provider class each kind pickles into ``__provider`` (by reference: module and name).
_PROVIDER_CLASSES: Mapping[Kind, bytes] = {
    Kind.SUBSCRIPTION: b"SubscriptionProvider",
    Kind.GROUP_ASSIGNMENT: b"GroupAssignmentProvider",
    Kind.PROFILE_SETTINGS: b"ProfileSettingsProvider",
}

#: Steps that bring the new state into being, and steps that take the old one away. A replace
#: appears as one ``replace`` step, or (with --show-replacement-steps) as its two halves.
ADDING = frozenset({"create", "update", "replace", "create-replacement"})
REMOVING = frozenset({"update", "replace", "delete", "delete-replaced"})
#: Steps that leave the assignment as it is.
KEEPING = frozenset(
    {
        "same",
        "read",
        "read-replacement",
        "refresh",
        "import",
        "import-replacement",
        "discard",
        "discard-replaced",
        "remove-pending-replace",
    }
)

EXPECTED = "expected the output of `pulumi preview --json`"


@dataclass(frozen=True)
class Assignment:
    """A Subscription (``target_id`` a user id) or GroupAssignment (a group id) as declared."""

    kind: Kind
    #: The profile the resource names; None when the inputs leave it to the default.
    profile: str | None
    target_id: str
    tier: Tier


@dataclass(frozen=True)
class Step:
    """One step of the preview on a Subscription or GroupAssignment."""

    op: str
    #: The resource's name (the last part of its URN), for messages.
    name: str
    old: Assignment | None
    new: Assignment | None


@dataclass(frozen=True)
class Preview:
    """The Kiro part of a preview."""

    steps: tuple[Step, ...]
    #: How many Kiro resources the preview holds, whatever their step (``same`` included).
    kiro_resources: int


def read_preview(text: str) -> Preview:
    """The Subscription and GroupAssignment steps of ``text``, the output of
    ``pulumi preview --json``; ValidationError on field ``preview`` when it is not one, holds
    no Kiro resource, or names a tier or user that is unknown until apply."""
    document = _document(text)
    steps: list[Step] = []
    kiro_resources = 0
    for index, raw in enumerate(document["steps"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("op"), str):
            raise _invalid(f"step {index}: {shown(raw)} is not a step with an 'op'")
        urn = raw.get("urn")
        if not isinstance(urn, str) or "::" not in urn:
            raise _invalid(f"step {index}: urn {shown(urn)} is not a Pulumi URN")
        kind = _kind(raw)
        if kind is None:
            continue
        kiro_resources += 1
        if kind is Kind.PROFILE_SETTINGS:
            continue  # settings change no seat
        name = urn.rsplit("::", 1)[-1]
        steps.append(_step(raw, kind, name))
    if kiro_resources == 0:
        raise _invalid(
            f"it holds no Kiro resource ({', '.join(k.value for k in Kind)}) among its "
            f"{len(document['steps'])} steps; run `pulumi preview --json` in the project of "
            "a pulumi-kiro program"
        )
    return Preview(tuple(steps), kiro_resources)


def _document(text: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise _invalid(f"not JSON ({error}); {EXPECTED}") from None
    if not isinstance(document, dict):
        raise _invalid(f"a JSON {type(document).__name__}, not an object; {EXPECTED}")
    if "resource_changes" in document:
        raise _invalid(f"this is a Terraform plan; {EXPECTED}")
    if "deployment" in document:
        raise _invalid(f"this is a stack export (`pulumi stack export`); {EXPECTED}")
    failed = _failure(document)
    if failed is not None and not document.get("steps"):
        raise _invalid(f"the preview failed: {failed}; fix the program and preview again")
    if not isinstance(document.get("steps"), list):
        raise _invalid(
            f"no 'steps' list (keys: {', '.join(sorted(document)) or 'none'}); {EXPECTED}"
        )
    return document


def _failure(document: Mapping[str, Any]) -> str | None:
    """The first error diagnostic of a failed preview, if any."""
    for diagnostic in document.get("diagnostics") or []:
        if isinstance(diagnostic, dict) and diagnostic.get("severity") == "error":
            return " ".join(str(diagnostic.get("message", "")).split()) or "(no message)"
    return None


def _kind(raw: Mapping[str, Any]) -> Kind | None:
    state = raw.get("newState") or raw.get("oldState") or {}
    resource_type = state.get("type") if isinstance(state, dict) else None
    if resource_type is None:
        resource_type = str(raw["urn"]).split("::")[-2] if raw["urn"].count("::") >= 3 else None
    if not isinstance(resource_type, str):
        return None
    if resource_type in _TYPES:
        return _TYPES[resource_type]
    if resource_type == _PLAIN_DYNAMIC:
        return _dynamic_kind(_inputs(state))
    return None


def _dynamic_kind(inputs: Mapping[str, Any]) -> Kind | None:
    """The Kiro kind of a plain dynamic resource, from the provider class it pickled; None for
    another dynamic provider. The pickle is only searched, never loaded."""
    serialized = inputs.get("__provider")
    pickled = b""
    # A secret's placeholder or another encoding does not decode: not a pickled kiro provider.
    if isinstance(serialized, str):
        with contextlib.suppress(binascii.Error, ValueError):
            pickled = base64.b64decode(serialized, validate=True)
    if b"kiro_provider" not in pickled:
        return None
    return next((k for k, cls in _PROVIDER_CLASSES.items() if cls in pickled), None)


def _inputs(state: object) -> dict[str, Any]:
    inputs = state.get("inputs") if isinstance(state, dict) else None
    return {snake(k): v for k, v in inputs.items()} if isinstance(inputs, dict) else {}


def _step(raw: Mapping[str, Any], kind: Kind, name: str) -> Step:
    op = raw["op"]
    if op not in ADDING | REMOVING | KEEPING:
        known = ", ".join(sorted(ADDING | REMOVING | KEEPING))
        raise _invalid(
            f"resource {name}: op {op!r} is not a step kiroctl cost knows; known: {known}"
        )
    old = _assignment(raw.get("oldState"), kind, name, "oldState") if op in REMOVING else None
    new = _assignment(raw.get("newState"), kind, name, "newState") if op in ADDING else None
    return Step(op, name, old, new)


def _assignment(state: object, kind: Kind, name: str, where: str) -> Assignment:
    inputs = _inputs(state)
    if not inputs:
        raise _invalid(f"resource {name}: its {where} has no inputs")
    id_field, ref_field = (
        ("user_id", "user") if kind is Kind.SUBSCRIPTION else ("group_id", "group")
    )
    target = inputs.get(id_field)
    tier = inputs.get("tier")
    for field_name, value in (
        (ref_field, inputs.get(ref_field)),
        ("tier", tier),
        (id_field, target),
    ):
        if value == UNKNOWN:
            raise _invalid(
                f"resource {name}: {field_name} is unknown until the update runs (it is computed "
                "from another resource's output); kiroctl cost needs known users, groups and tiers"
            )
    if not isinstance(target, str) or not target:
        raise _invalid(
            f"resource {name}: {id_field} {shown(target)} is missing in its {where} inputs"
        )
    try:
        parsed = parse_tier(tier, field=f"resource {name}: tier")
    except ValidationError as error:
        raise _invalid(error.message) from None
    profile = inputs.get("profile")
    return Assignment(kind, profile if isinstance(profile, str) else None, target, parsed)


def _invalid(what: str) -> ValidationError:
    return ValidationError(f"preview: {what}", field="preview")

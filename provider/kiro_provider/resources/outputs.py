"""Small helpers the providers share for checked inputs, diffs and outputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kiro_provider.controlplane import ControlPlane, require_profile
from kiro_provider.domain.tiers import parse_tier
from kiro_provider.ownership import Owned, resolve_claim
from kiro_provider.resources.args import is_unknown


def resolve_profile(cp: ControlPlane, declared: str | None, default: str) -> str:
    """The profile a resource manages: the declared one, else the stack's default; it must
    exist in the control plane."""
    return require_profile(cp, declared or default)


def check_claim(current: Owned | None, field: str, name: str, inputs: Mapping[str, Any]) -> None:
    """Refuse, at preview, the ``field`` assignment of ``name`` (found as ``current``) that the
    write would refuse: another owner's, or one made outside Pulumi without ``adopt``."""
    owner, adopt = inputs["owner"], inputs["adopt"]
    resolve_claim(current, field, name, inputs["profile"], owner=owner, adopt=adopt)


def _same(key: str, old: Any, new: Any) -> bool:
    if is_unknown(new):
        return False  # not known until apply: assume it changes, as Pulumi does
    if key == "tier" and old is not None and new is not None:
        return parse_tier(old) == parse_tier(new)
    return bool(old == new)


def changed_keys(
    olds: Mapping[str, Any], news: Mapping[str, Any], keys: Iterable[str]
) -> list[str]:
    """Which of ``keys`` differ between the old outputs and the new checked inputs."""
    return [key for key in keys if not _same(key, olds.get(key), news.get(key))]

"""Small helpers the providers share for checked inputs, diffs and outputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from kiro_provider.controlplane import ControlPlane, require_profile
from kiro_provider.domain.tiers import parse_tier
from kiro_provider.resources.base import is_unknown


def iso(moment: datetime | None) -> str | None:
    """An instant as ISO-8601 UTC with a ``Z`` (the form every output and kiroctl uses)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def resolve_profile(cp: ControlPlane, declared: str | None, default: str) -> str:
    """The profile a resource manages: the declared one, else the stack's default; it must
    exist in the control plane."""
    return require_profile(cp, declared or default)


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

"""Property names: camelCase on the wire of the plugin (as Pulumi schemas have them), snake_case
in the resource providers and the Python SDK. The mapping is mechanical, so no table is kept."""

from __future__ import annotations

import re

_UPPER = re.compile(r"(?<!^)(?=[A-Z])")


def camel(name: str) -> str:
    """``effective_tier`` -> ``effectiveTier``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """``effectiveTier`` -> ``effective_tier``."""
    return _UPPER.sub("_", name).lower()

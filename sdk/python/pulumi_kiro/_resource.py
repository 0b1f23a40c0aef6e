"""The base of every pulumi-kiro resource: owner stamping and the pickle-leak guard."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.dynamic

# pulumi.dynamic.serialize_provider wraps pickle._Pickler._batch_setitems (and replaces
# save_dict) on every resource it constructs and never restores them: each resource nests one
# more wrapper, and after ~320 resources pickling recurses too deep (RecursionError). Keep the
# methods as they are when pulumi_kiro is imported and put them back after each construction,
# so a stack of any size pickles with one level of wrapping at most.
_PICKLER: Any = pickle._Pickler
_PATCHED = ("_batch_setitems", "save_dict")
_ORIGINALS = {name: _PICKLER.__dict__[name] for name in _PATCHED if name in _PICKLER.__dict__}


def _restore_pickler() -> None:
    for name, original in _ORIGINALS.items():
        setattr(_PICKLER, name, original)


class KiroResource(pulumi.dynamic.Resource, module="kiro", name="Resource"):
    """A dynamic resource served by a provider from ``kiro_provider.resources``."""

    def __init__(
        self,
        provider: pulumi.dynamic.ResourceProvider,
        resource_name: str,
        inputs: Mapping[str, Any],
        output_names: tuple[str, ...],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        props: dict[str, Any] = {name: None for name in output_names}
        props.update(inputs)
        props["owner"] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
        try:
            super().__init__(provider, resource_name, props, opts)
        finally:
            _restore_pickler()

"""The base of every pulumi-kiro resource: owner stamping, the pickle-leak guard, and the SDK
speed-ups of ``_speedups`` where the installed SDK allows them."""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import ResourceProvider

from pulumi_kiro import _speedups

# pulumi.dynamic.Resource pickles its provider with dill for every resource it constructs
# (~0.15 ms each), and each time wraps pickle._Pickler._batch_setitems (and replaces save_dict)
# once more without restoring them: after ~320 resources pickling recurses too deep
# (RecursionError). Every SDK release from 3.139 on does this. Our providers hold nothing, so a
# provider class always pickles to the same few bytes: serialize each class once, with the
# SDK's own function, and register every resource with that value. Whichever path serialized
# it, pickle's methods are put back as they were when pulumi_kiro was imported.
_PICKLER: Any = pickle._Pickler
_PATCHED = ("_batch_setitems", "save_dict")
_ORIGINALS = {name: _PICKLER.__dict__[name] for name in _PATCHED if name in _PICKLER.__dict__}
_SERIALIZED_PROVIDERS: dict[type[ResourceProvider], str] = {}


@contextmanager
def _pickle_guard() -> Iterator[None]:
    """Put pickle's methods back after the SDK has serialized a provider."""
    try:
        yield
    finally:
        for name, original in _ORIGINALS.items():
            setattr(_PICKLER, name, original)


def _stateless_provider(provider_type: type[ResourceProvider]) -> ResourceProvider:
    provider = provider_type()
    if vars(provider):
        raise TypeError(f"{provider_type.__name__} must hold no state to be serialized once")
    # pulumi.dynamic.Resource would wrap the value as a secret for such a provider; the value
    # here is shared by every resource as plain text.
    if getattr(provider, "serialize_as_secret_always", True):
        raise TypeError(f"{provider_type.__name__} must set serialize_as_secret_always = False")
    return provider


def _serialized_provider(serialize: Any, provider_type: type[ResourceProvider]) -> str:
    """The ``__provider`` value of every resource served by ``provider_type``."""
    serialized = _SERIALIZED_PROVIDERS.get(provider_type)
    if serialized is None:
        provider = _stateless_provider(provider_type)
        with _pickle_guard():
            serialized = _SERIALIZED_PROVIDERS[provider_type] = serialize(provider)
    return serialized


class KiroResource(pulumi.dynamic.Resource, module="kiro", name="Resource"):
    """A dynamic resource served by a provider from ``kiro_provider.resources``."""

    #: The outputs the class declares: its getter properties. Declared as Pulumi's generated
    #: SDKs declare them, the SDK resolves their types once per class; class annotations would
    #: have it re-evaluate them for every resource it registers (~0.2 ms each).
    _output_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._output_names = tuple(
            name for name, value in vars(cls).items() if isinstance(value, property)
        )

    def __init__(
        self,
        provider_type: type[ResourceProvider],
        resource_name: str,
        inputs: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        props: dict[str, Any] = dict.fromkeys(self._output_names)
        props.update(inputs)
        props["owner"] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
        with _speedups.registration():
            serialize = _speedups.ACTIVE.serialize_provider
            if serialize is not None:
                # What pulumi.dynamic.Resource.__init__ does, with the provider serialized once.
                props["__provider"] = _serialized_provider(serialize, provider_type)
                pulumi.CustomResource.__init__(
                    self, f"pulumi-python:{self._resource_type_name}", resource_name, props, opts
                )
            else:  # the SDK's own path, which serializes the provider for every resource
                with _pickle_guard():
                    pulumi.dynamic.Resource.__init__(
                        self, _stateless_provider(provider_type), resource_name, props, opts
                    )

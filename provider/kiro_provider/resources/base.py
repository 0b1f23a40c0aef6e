"""What the three resource providers share: configuration, the control plane, check plumbing.

A provider object is pickled into the ``__provider`` property of every resource (DESIGN §4), so
providers hold nothing: no client, no lock, no dict. The stack configuration that ``configure``
receives is kept at module level, once per provider process (one process serves every dynamic
resource of a run, from 4 worker threads: everything here is read-only after configure).
"""

from __future__ import annotations

import functools
import inspect
import os
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pydantic
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    ReadResult,
    ResourceProvider,
)

from kiro_provider.config import (
    ENVIRONMENT_VARIABLES,
    STACK_CONFIG_KEYS,
    KiroConfig,
    load_config,
    open_control_plane,
)
from kiro_provider.controlplane import ControlPlane
from kiro_provider.errors import KiroError

# Stack config keys the providers read (namespace "kiro"): one list, kept in config.py.
_CONFIG_KEYS = STACK_CONFIG_KEYS

_stack_config: dict[str, str] = {}


def remember_stack_config(req: ConfigureRequest) -> None:
    """Keep the ``kiro:*`` stack config for every later call in this provider process."""
    for key in _CONFIG_KEYS:
        value = req.config.get(key)
        if value is not None:
            _stack_config[key] = str(value)


def current_config() -> KiroConfig:
    """The configuration in force: stack config over environment over defaults. A relative
    ledger path is taken from the provider's working directory (the Pulumi project)."""
    # Asked for by every check and read: loaded once per distinct stack config, environment and
    # working directory, since loading it (and then checking the ledger path on disk) cost as
    # much as the SQLite read a refresh makes for a resource.
    return _loaded_config(
        tuple(sorted(_stack_config.items())),
        tuple((var, os.environ.get(var)) for var in ENVIRONMENT_VARIABLES),
        os.getcwd(),
    )


@functools.lru_cache(maxsize=32)
def _loaded_config(
    stack_config: tuple[tuple[str, str], ...],
    env: tuple[tuple[str, str | None], ...],
    cwd: str,
) -> KiroConfig:
    present = {var: value for var, value in env if value is not None}
    return load_config(dict(stack_config), present, base_dir=cwd)


def control_plane(owner: str | None) -> ControlPlane:
    """The control plane, acting for ``owner`` (recorded as the actor in the history)."""
    return open_control_plane(current_config(), actor=f"pulumi:{owner or 'unknown'}")


# ReadResult takes the live inputs from SDK 3.216 on, and refresh then diffs against them. On
# older SDKs the engine keeps the inputs of the last `up`; drift still shows, because diff
# compares the refreshed outputs (which hold the live tier) with the program's inputs.
_READ_TAKES_INPUTS = "inputs" in inspect.signature(ReadResult.__init__).parameters


def read_result(id_: str, outs: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
    """What ``read`` found: its outputs and the live inputs (kept on the result on every SDK:
    the plugin returns them to the engine itself)."""
    if _READ_TAKES_INPUTS:
        return ReadResult(id_, outs, inputs=inputs)
    result = ReadResult(id_, outs)
    result.inputs = inputs
    return result


class KiroResourceProvider(ResourceProvider):
    """Base of the three providers: stateless, so it pickles by reference in a few bytes."""

    # The provider captures no secrets: keep ``__provider`` in plain text (DESIGN §4) so the
    # state stays small and every resource shares one cached provider instance.
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        remember_stack_config(req)


ArgsT = TypeVar("ArgsT", bound=pydantic.BaseModel)

_VALUE_ERROR_PREFIX = re.compile(r"^(Value|Assertion) error, ")


def parse_args(
    model: type[ArgsT], news: Mapping[str, Any]
) -> tuple[ArgsT | None, list[CheckFailure]]:
    """Validate the declared inputs with ``model``; failures name the field, value and rule."""
    try:
        return model.model_validate(dict(news)), []
    except pydantic.ValidationError as exc:
        return None, [_check_failure(error) for error in exc.errors()]


def _check_failure(error: Any) -> CheckFailure:
    field = ".".join(str(part) for part in error["loc"]) or "inputs"
    message = _VALUE_ERROR_PREFIX.sub("", error["msg"])
    if error["type"] == "missing":
        message = f"{field} is required"
    elif not message.startswith(f"{field}:"):
        message = f"{field}: {error.get('input')!r}: {message}"
    return CheckFailure(field, message)


def checked(
    run: Callable[[], dict[str, Any]], failures: list[CheckFailure] | None = None
) -> CheckResult:
    """Run the lookups of a check; a KiroError becomes a check failure on its field."""
    try:
        inputs = run()
    except KiroError as exc:
        return CheckResult({}, [*(failures or []), CheckFailure(exc.field or "inputs", str(exc))])
    return CheckResult(inputs, failures or [])


class ProviderError(Exception):
    """A control-plane refusal during create/update/delete, shown to the user as is."""


def translate(exc: KiroError) -> ProviderError:
    """The error Pulumi shows for a KiroError raised outside check."""
    return ProviderError(f"{exc.code}: {exc}")

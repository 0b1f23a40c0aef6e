"""Every SDK release gets the same resources: each speed-up over a private SDK name is probed
once, and where a name is missing or has another shape the SDK's own path gives the same
registrations, outputs, errors and pickle guard."""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
from collections.abc import Callable, Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import pulumi
import pulumi.runtime.resource as runtime_resource
import pulumi.runtime.rpc as rpc
import pytest
from google.protobuf import json_format
from pulumi.runtime import settings

import pulumi_kiro as kiro
from pulumi_kiro import _speedups

# --- the probes ---------------------------------------------------------------------------------


def _without(monkeypatch: pytest.MonkeyPatch, module: str, **names: Any) -> None:
    """Show the probes a copy of one of the SDK modules they read, with ``names`` replaced
    (``None``: absent). The SDK itself keeps its own names and goes on working."""
    original = getattr(_speedups, module)
    view = SimpleNamespace(**vars(original))
    for name, value in names.items():
        if value is None:
            vars(view).pop(name, None)
        else:
            setattr(view, name, value)
    monkeypatch.setattr(_speedups, module, view)


def test_no_stack_trace_speedup_without_the_sdks_function(monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "_runtime_resource", _get_stack_trace=None)
    assert _speedups.probe().stack_trace is None


def test_no_stack_trace_speedup_when_the_function_takes_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without(monkeypatch, "_runtime_resource", _get_stack_trace=lambda skip: None)
    assert _speedups.probe().stack_trace is None


@dataclasses.dataclass
class _OtherOutputData:
    value: Any
    known: bool


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("_output", {"_OutputData": None}),  # an SDK before single-future outputs
        ("_output", {"_OutputData": _OtherOutputData}),  # fields renamed
        ("_output", {"_OutputData": dict}),  # not a dataclass
        ("_rpc", {"transfer_properties": None}),
        ("_rpc", {"transfer_properties": lambda res, props: {}}),  # another signature
    ],
)
def test_no_single_future_outputs_unless_all_they_build_on_is_there(
    monkeypatch: pytest.MonkeyPatch, module: str, names: dict[str, Any]
) -> None:
    _without(monkeypatch, module, **names)
    assert _speedups.probe().transfer_properties is None


def test_no_single_future_outputs_without_output_from_data(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(pulumi.Output, "_from_data", raising=False)
    assert _speedups.probe().transfer_properties is None


@pytest.mark.parametrize(
    "names", [{"serialize_provider": None}, {"PROVIDER_KEY": "__other"}], ids=["missing", "key"]
)
def test_no_single_serialization_without_the_sdks_serializer(
    monkeypatch: pytest.MonkeyPatch, names: dict[str, Any]
) -> None:
    _without(monkeypatch, "_dynamic", **names)
    assert _speedups.probe().serialize_provider is None


@pytest.mark.parametrize(("value", "enabled"), [("off", False), ("0", False), ("on", True)])
def test_the_switch_turns_every_speedup_off(
    monkeypatch: pytest.MonkeyPatch, value: str, enabled: bool
) -> None:
    monkeypatch.setenv(_speedups.SWITCH, value)
    assert _speedups._enabled() is enabled
    assert _speedups.probe(enabled=False) == _speedups.Speedups(None, None, None)


def test_this_sdk_gets_each_speedup_it_has() -> None:
    """On the SDK installed, each speed-up is on exactly when its names are there (the matrix
    runs this on every supported release)."""
    if not _speedups._enabled():
        pytest.skip(f"{_speedups.SWITCH} is off")
    active = _speedups.ACTIVE
    assert (active.stack_trace is not None) == hasattr(runtime_resource, "_get_stack_trace")
    has_output_data = hasattr(pulumi.output, "_OutputData") and hasattr(pulumi.Output, "_from_data")
    assert (active.transfer_properties is not None) == has_output_data
    assert active.serialize_provider is not None  # in every release from 3.139 on


# --- both paths give the same resources -----------------------------------------------------


def _bare_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    """An SDK with none of the private names (as far as the probes can tell)."""
    for module in ("_runtime_resource", "_output", "_rpc", "_dynamic"):
        monkeypatch.setattr(_speedups, module, ModuleType("bare"))


PATHS: dict[str, Callable[[pytest.MonkeyPatch], None]] = {
    "speedups": lambda monkeypatch: None,
    "switched-off": lambda monkeypatch: monkeypatch.setenv(_speedups.SWITCH, "off"),
    "names-missing": _bare_sdk,
}


@pytest.fixture(params=sorted(PATHS))
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run the test on one path: the speed-ups this SDK allows, or the SDK's own."""
    PATHS[request.param](monkeypatch)
    monkeypatch.setattr(_speedups, "ACTIVE", _speedups.probe(_speedups._enabled()))
    if request.param != "speedups":
        assert _speedups.Speedups(None, None, None) == _speedups.ACTIVE
    yield request.param


def _declare() -> list[pulumi.Resource]:
    return [
        kiro.ProfileSettings("settings", overages_enabled=True),
        kiro.Subscription("alice", user=pulumi.Output.secret("alice"), tier="pro+", profile="team"),
        kiro.GroupAssignment("eng", group="engineering", tier="Power"),
    ]


def _registered(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[pulumi.Resource]]:
    """What reaches the engine for each resource (all but the stack trace, which the speed-up
    is about), and the resources."""
    monitor = settings.get_monitor()
    register = monitor.RegisterResource
    requests: list[Any] = []

    def capture(request: Any) -> Any:
        requests.append(request)
        return register(request)

    monkeypatch.setattr(monitor, "RegisterResource", capture)
    resources = _declare()
    loop = asyncio.get_event_loop()
    loop.run_until_complete(asyncio.gather(*(resource.urn.future() for resource in resources)))
    shown = []
    for request in requests:
        for where in ("stackTrace", "sourcePosition"):  # as far as this SDK records them
            if where in request.DESCRIPTOR.fields_by_name:
                request.ClearField(where)
        shown.append(json_format.MessageToDict(request))
    return shown, resources


def _outputs(resource: pulumi.Resource) -> dict[str, Any]:
    async def settle(output: pulumi.Output[Any]) -> tuple[Any, bool, bool, bool]:
        deps = await output.resources()
        return (
            await output.future(with_unknowns=True),
            await output.is_known(),
            await output.is_secret(),
            resource in deps,
        )

    # Every Output the resource holds (what exporting a whole resource exports), urn and id too.
    held = {
        name: value for name, value in vars(resource).items() if isinstance(value, pulumi.Output)
    }
    loop = asyncio.get_event_loop()
    return {name: loop.run_until_complete(settle(output)) for name, output in sorted(held.items())}


def _expected(monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[dict[str, Any]]]:
    """The registrations and outputs of the SDK's own path, in a fresh mock stack."""
    with monkeypatch.context() as scoped:
        scoped.setattr(_speedups, "ACTIVE", _speedups.probe(enabled=False))
        requests, resources = _registered(scoped)
        return requests, [_outputs(resource) for resource in resources]


def test_registrations_and_outputs_are_the_sdks_own(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    requests, resources = _registered(monkeypatch)
    outputs = [_outputs(resource) for resource in resources]
    pulumi.runtime.set_mocks(_echo(), project="proj", stack="stack", preview=False)
    expected_requests, expected_outputs = _expected(monkeypatch)
    assert requests == expected_requests
    assert outputs == expected_outputs
    assert outputs[1]["tier"] == ("pro+", True, False, True)  # the mocks echo the inputs
    assert outputs[1]["user"] == ("alice", True, True, True)  # a secret stays one
    assert requests[1]["object"]["__provider"]  # plain text on every path


def _echo() -> pulumi.runtime.Mocks:
    from tests.unit.sdk.conftest import _Mocks

    return _Mocks()


def test_a_bad_option_fails_alike_and_leaves_the_sdk_as_it_was(path: str) -> None:
    stack_trace = getattr(runtime_resource, "_get_stack_trace", None)
    transfer = rpc.transfer_properties
    with pytest.raises(TypeError, match="ResourceOptions"):
        kiro.Subscription("bad", user="alice", tier="Pro", opts="not options")  # type: ignore[arg-type]
    assert getattr(runtime_resource, "_get_stack_trace", None) is stack_trace
    assert rpc.transfer_properties is transfer


def test_the_pickle_guard_holds_on_every_path(path: str) -> None:
    for i in range(400):  # the SDK's own leak fails at ~320
        kiro.Subscription(f"user-{i}", user=f"user-{i}", tier="Pro")
    batch_setitems = pickle._Pickler.__dict__["_batch_setitems"]  # type: ignore[attr-defined]
    assert batch_setitems.__qualname__ == "_Pickler._batch_setitems"

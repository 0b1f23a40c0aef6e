"""A local fake of Kiro's three private services, on 127.0.0.1, for tests.

The wire layer only: it refuses what a real endpoint would refuse (no SigV4 ``Authorization``
header, the wrong signing service or region for the target, an unknown ``X-Amz-Target``, the
wrong content type, a missing required field), then hands plain values to ``FakeKiro``
(``kiro_model``), which applies Kiro's rules with our own domain code.

Test controls (POST, JSON body), never called by the adapter:

- ``/_fake/fail`` ``{"operation", "code", "status", "message"?, "times"?, "fields"?}``: the next
  ``times`` calls of ``operation`` (or ``*``) answer that error.
- ``/_fake/sign-in`` ``{"userId"}``: the user signs in (Pending -> Active).
- ``/_fake/clock`` ``{"now": ISO-8601 | null}``: set or release the fake's clock.
- ``/_fake/plan`` ``{"userId", "plan"}``: report a raw plan name for the user.
- ``/_fake/legacy-plans`` ``{"enabled"}``: report plans with the older family's names.
- ``/_fake/page-cap`` ``{"items"}``: at most this many items a page, whatever was asked.
- ``/_fake/manners`` ``{"latency"?, "rate"?, "burst"?}``: seconds each call takes, and a token
  bucket (``rate`` calls a second, ``burst`` at once) beyond which calls answer 429
  ThrottlingException; a ``rate`` of null removes the limit.
- ``/_fake/switches`` ``{"writeFamilies"?, "visibilityDelay"?, "replaceProfile"?,
  "profilesWithoutOptIns"?}``: what public callers disagree on (``kiro_model``'s switches).
- ``/_fake/seed`` ``{"claims": [[principalType, principalId, plan], ...]}``: assignments made
  at once, without a call each (large profiles for benchmarks).
- ``/_fake/state`` ``{}``: the calls received (target, status) and the model's records.

Run as a process: ``python -m tests.fakes.kiro_service --identity-store-id d-... --region ...``;
it prints ``listening on http://127.0.0.1:PORT`` once ready.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kiro_provider.config import parse_instant
from tests.fakes.kiro_model import Coordinates, FakeError, FakeKiro, validation

CONTENT_TYPE = "application/x-amz-json-1.0"
ERROR_NAMESPACE = "com.amazon.kiro.controlplane"

# target prefix -> (SigV4 signing service, which region signs: "kiro" or "identity-center")
SERVICES = {
    "AmazonQDeveloperService": ("q", "kiro"),
    "AWSZornControlPlaneService": ("user-subscriptions", "identity-center"),
    "AWSCodeWhispererService": ("codewhisperer", "kiro"),
}
_AUTH = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request, SignedHeaders=(?P<signed>[^,]+), Signature=[0-9a-f]{64}"
)


@dataclass
class Failure:
    """An injected error for the next ``times`` calls of ``operation`` ("*": any)."""

    operation: str
    code: str
    status: int
    message: str
    times: int = 1
    fields: list[dict[str, str]] | None = None


class TokenBucket:
    """A rate limit as services apply it: ``rate`` calls a second on average, up to ``burst``
    at once; a call finding the bucket empty is refused."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._tokens = float(burst)
        self._last = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True


@dataclass
class FakeState:
    """The model and what the wire layer adds: injected failures, manners (latency, a rate
    limit) and a log of calls."""

    model: FakeKiro
    failures: list[Failure] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    fixed_now: datetime | None = None
    #: Seconds every call takes (outside the model's lock: calls overlap as on a real service).
    latency: float = 0.0
    limit: TokenBucket | None = None


def _required(body: dict[str, Any], *names: str) -> None:
    for name in names:
        if body.get(name) in (None, ""):
            raise validation(f"1 validation error detected: {name} is required", name)


def _page(
    model: FakeKiro, items: list[dict[str, Any]], body: dict[str, Any], key: str, limit: int
) -> dict[str, Any]:
    """One page of ``items``; the token is the index of the next item. Like real services, the
    fake may return fewer items than asked (``model.page_cap``), so callers must follow tokens."""
    size = body.get("maxResults") or limit
    if not isinstance(size, int) or size < 1 or size > limit:
        raise validation(f"maxResults must be between 1 and {limit}", "maxResults")
    size = min(size, model.page_cap or size)
    start = int(body.get("nextToken") or 0)
    page: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        page["nextToken"] = str(start + size)
    return page


def _assignment(model: FakeKiro, op: str, body: dict[str, Any]) -> dict[str, Any]:
    _required(body, "principalId", "principalType")
    if body["principalType"] not in ("USER", "GROUP"):
        raise validation("principalType must be USER or GROUP", "principalType")
    if op == "DeleteAssignment":
        model.delete_assignment(body["principalId"], body["principalType"])
        return {}
    _required(body, "subscriptionType")
    call = model.create_assignment if op == "CreateAssignment" else model.update_assignment
    call(body["principalId"], body["principalType"], body["subscriptionType"])
    return {}


def _list_subscriptions(model: FakeKiro, _op: str, body: dict[str, Any]) -> dict[str, Any]:
    _required(body, "instanceArn", "subscriptionRegion")
    size = body.get("maxResults")
    if size is not None and not (isinstance(size, int) and 100 <= size <= 1000):
        raise validation("maxResults must be between 100 and 1000", "maxResults")
    items = model.list_user_subscriptions(body["instanceArn"], body["subscriptionRegion"])
    return _page(model, items, body, "subscriptions", 1000)


def _list_claims(model: FakeKiro, _op: str, body: dict[str, Any]) -> dict[str, Any]:
    _required(body, "applicationArn", "subscriptionRegion")
    items = model.list_application_claims(body["applicationArn"], body["subscriptionRegion"])
    return _page(model, items, body, "claims", model.claims_page_limit)


def _list_profiles(model: FakeKiro, _op: str, body: dict[str, Any]) -> dict[str, Any]:
    return _page(model, model.list_profiles(), body, "profiles", 100)


def _update_profile(model: FakeKiro, _op: str, body: dict[str, Any]) -> dict[str, Any]:
    _required(body, "profileArn")
    if body.get("optInFeatures") is not None and body.get("optInFeaturesType") != "KIRO":
        raise validation("optInFeaturesType must be KIRO", "optInFeaturesType")
    model.update_profile(body["profileArn"], body)
    return {"profileArn": body["profileArn"]}


Handler = Callable[[FakeKiro, str, dict[str, Any]], dict[str, Any]]
OPERATIONS: dict[str, Handler] = {
    "AmazonQDeveloperService.CreateAssignment": _assignment,
    "AmazonQDeveloperService.UpdateAssignment": _assignment,
    "AmazonQDeveloperService.DeleteAssignment": _assignment,
    "AWSZornControlPlaneService.ListUserSubscriptions": _list_subscriptions,
    "AWSZornControlPlaneService.ListApplicationClaims": _list_claims,
    "AWSCodeWhispererService.ListProfiles": _list_profiles,
    "AWSCodeWhispererService.UpdateProfile": _update_profile,
}


class KiroHandler(BaseHTTPRequestHandler):
    """One request: checks, then the operation, then a JSON answer."""

    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read /_fake/state instead

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        state = self.server.state
        if self.path.startswith("/_fake/"):
            self._answer(200, self._control(self.path.removeprefix("/_fake/"), _json(raw)))
            return
        target = self.headers.get("X-Amz-Target", "")
        if state.latency:
            time.sleep(state.latency)
        if state.limit is not None and not state.limit.take():
            throttled = FakeError("ThrottlingException", 429, "Rate exceeded")
            with state.model.lock:
                state.calls.append({"target": target, "status": throttled.status})
            self._answer(429, _error_body(throttled), error=_error_body(throttled)["__type"])
            return
        with state.model.lock:
            state.model.begin_request()
            try:
                status, answer = 200, self._serve(target, raw)
            except FakeError as err:
                status, answer = err.status, _error_body(err)
            state.calls.append({"target": target, "status": status})
        self._answer(status, answer, error=answer.get("__type") if status >= 400 else None)

    def _serve(self, target: str, raw: bytes) -> dict[str, Any]:
        prefix, _, operation = target.partition(".")
        if target not in OPERATIONS:
            raise FakeError("UnknownOperationException", 400, f"Unknown target {target!r}")
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip() != CONTENT_TYPE:
            raise FakeError(
                "SerializationException", 400, f"Unsupported content type {content_type!r}"
            )
        self._check_signature(prefix)
        self._inject(operation)
        body = _json(raw)
        if not isinstance(body, dict):
            raise FakeError("SerializationException", 400, "Body is not a JSON object")
        return OPERATIONS[target](self.server.state.model, operation, body)

    def _check_signature(self, prefix: str) -> None:
        match = _AUTH.fullmatch(self.headers.get("Authorization", ""))
        if match is None or not self.headers.get("X-Amz-Date"):
            raise FakeError(
                "MissingAuthenticationTokenException", 403, "Missing Authentication Token"
            )
        service, region_kind = SERVICES[prefix]
        where = self.server.state.model.where
        region = where.kiro_region if region_kind == "kiro" else where.identity_center_region
        if match["service"] != service or match["region"] != region:
            raise FakeError(
                "InvalidSignatureException",
                403,
                f"Credential should be scoped to correct service/region: expected "
                f"{region}/{service}, got {match['region']}/{match['service']}",
            )
        if "x-amz-target" not in match["signed"].split(";"):
            raise FakeError("InvalidSignatureException", 403, "x-amz-target is not signed")

    def _inject(self, operation: str) -> None:
        state = self.server.state
        for failure in state.failures:
            if failure.times > 0 and failure.operation in (operation, "*"):
                failure.times -= 1
                raise FakeError(failure.code, failure.status, failure.message, failure.fields)

    def _control(self, name: str, body: Any) -> dict[str, Any]:
        state = self.server.state
        model = state.model
        with model.lock:
            model.begin_request()
            if name == "fail":
                state.failures.append(
                    Failure(
                        operation=body["operation"],
                        code=body["code"],
                        status=int(body["status"]),
                        message=body.get("message") or body["code"],
                        times=int(body.get("times", 1)),
                        fields=body.get("fields"),
                    )
                )
            elif name == "sign-in":
                model.sign_in(body["userId"])
            elif name == "clock":
                state.fixed_now = parse_instant(body["now"]) if body.get("now") else None
            elif name == "plan":
                model.sync()
                model.records[body["userId"]].raw_plan = body["plan"]
            elif name == "page-cap":
                model.page_cap = body.get("items")
            elif name == "manners":
                state.latency = float(body.get("latency", state.latency))
                rate = body.get("rate", state.limit.rate if state.limit else None)
                burst = int(body.get("burst", state.limit.burst if state.limit else 1))
                state.limit = TokenBucket(float(rate), burst) if rate else None
            elif name == "seed":
                for principal_type, principal_id, plan in body["claims"]:
                    model.claims[(principal_type, principal_id)] = model._tier(plan)
            elif name == "switches":
                model.write_families = tuple(body.get("writeFamilies", model.write_families))
                model.visibility_delay = float(body.get("visibilityDelay", model.visibility_delay))
                model.replace_profile = bool(body.get("replaceProfile", model.replace_profile))
                model.profiles_without_opt_ins = bool(
                    body.get("profilesWithoutOptIns", model.profiles_without_opt_ins)
                )
                model.claims_page_limit = int(body.get("claimsPageLimit", model.claims_page_limit))
            elif name == "legacy-plans":
                model.legacy_plans = bool(body["enabled"])
            elif name != "state":
                return {"error": f"unknown control {name}"}
            model.sync()
            if body.get("brief"):  # the call log only (large profiles)
                return {"calls": list(state.calls)}
            return {
                "calls": list(state.calls),
                "claims": [f"{t}:{p}:{tier.value}" for (t, p), tier in model.claims.items()],
                "records": {
                    uid: {
                        "status": r.state.status.value,
                        "effective": r.state.effective_tier.value,
                        "pending": r.state.pending_tier.value if r.state.pending_tier else None,
                    }
                    for uid, r in model.records.items()
                },
                "overages": model.overages,
                "profile": model.profile,
            }

    def _answer(self, status: int, body: dict[str, Any], error: str | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", "fake-request")
        if error:
            self.send_header("x-amzn-ErrorType", error)
        self.end_headers()
        self.wfile.write(data)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw or b"{}")
    except json.JSONDecodeError:
        raise FakeError("SerializationException", 400, "Body is not JSON") from None


def _error_body(err: FakeError) -> dict[str, Any]:
    body: dict[str, Any] = {"__type": f"{ERROR_NAMESPACE}#{err.code}", "message": err.message}
    if err.fields:
        body["fieldList"] = err.fields
    return body


class FakeServer(ThreadingHTTPServer):
    """The fake on 127.0.0.1 (port 0: a free one), serving from a daemon thread or forever."""

    daemon_threads = True

    def __init__(self, where: Coordinates, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), KiroHandler)
        self.state = FakeState(FakeKiro(where))
        self.state.model.clock = self._now

    def _now(self) -> datetime:
        return self.state.fixed_now or datetime.now(timezone.utc)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> FakeServer:
        # A short poll interval: shutdown() waits for one poll, and tests start one fake each.
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A local fake of Kiro's private services.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--identity-store-id", required=True)
    parser.add_argument("--identity-center-region", required=True)
    parser.add_argument("--kiro-region", default="us-east-1")
    parser.add_argument("--identitystore-endpoint", default=None)
    args = parser.parse_args(argv)
    where = Coordinates(
        identity_store_id=args.identity_store_id,
        identity_center_region=args.identity_center_region,
        kiro_region=args.kiro_region,
        identitystore_endpoint=args.identitystore_endpoint,
    )
    server = FakeServer(where, args.port)
    print(f"listening on {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()

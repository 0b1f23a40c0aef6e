"""Every botocore client pulumi-kiro uses (Kiro's services and IAM Identity Center): one cache,
one retry policy, explicit timeouts.

Clients are built lazily and kept per process, keyed by (service, region, endpoint), never
stored on a control plane, directory or provider object: Pulumi pickles providers into the
state, and a client cannot be pickled (DESIGN.md section 4). One provider process serves four
worker threads, so building happens under a lock, each client on its own botocore session
(building clients from one shared session is not thread-safe; using one built is).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

# Throttling and 5xx are retried by botocore's standard mode (exponential backoff with jitter,
# and a retry quota so a struggling service is not hammered): five attempts in all, the first
# included (botocore's ``max_attempts`` would count retries only), which gives up after at most
# 30 s of backoff. Explicit timeouts so a dead endpoint fails an operation in seconds instead of
# hanging a Pulumi worker thread.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
)

# Kiro's private API is reported to be tightly rate-limited (public callers retry 429 for
# minutes). Adaptive mode adds a client-side rate limiter that slows sending after a throttle,
# on top of standard mode's backoff (up to 20 s a wait) and retry quota; ten attempts ride
# through a limit for about a minute or two before the error reaches the user.
KIRO_CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "total_max_attempts": 10},
    connect_timeout=5,
    read_timeout=30,
)

_clients: dict[tuple[str, str, str | None, int], Any] = {}
_lock = threading.Lock()


def client(
    service: str,
    region: str,
    endpoint_url: str | None = None,
    *,
    models_dir: Path | None = None,
    config: Config = CLIENT_CONFIG,
) -> Any:
    """The process-wide client of ``service`` signing for ``region`` and calling
    ``endpoint_url`` (None: the service's public endpoint), built on first use; ``models_dir``
    is searched first for the service's botocore model (for services AWS ships no model of);
    ``config`` is ``CLIENT_CONFIG`` or ``KIRO_CLIENT_CONFIG``."""
    key = (service, region, endpoint_url, id(config))
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = _session(models_dir).client(
                service, region_name=region, endpoint_url=endpoint_url, config=config
            )
        return found


def clear_clients() -> None:
    """Forget every client of this process (tests change credentials and endpoints)."""
    with _lock:
        _clients.clear()


def _session(models_dir: Path | None) -> boto3.session.Session:
    core = botocore.session.Session()
    if models_dir is not None:
        loader = core.get_component("data_loader")
        if str(models_dir) not in loader.search_paths:
            loader.search_paths.insert(0, str(models_dir))
    return boto3.session.Session(botocore_session=core)

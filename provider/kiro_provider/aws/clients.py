"""botocore clients for Kiro's three private services, built from the models we ship.

AWS publishes no SDK model for Kiro subscription management, so ``models/`` holds service
models of our own (see docs/aws.md for what each one is based on). They are added to a
botocore data loader's search path, so boto3 builds ordinary clients: SigV4 from the normal
credential chain, standard retry mode, modelled errors parsed to their short codes.

Clients are built lazily and kept per process, keyed by (service, region, endpoint), never
stored on a control plane or provider object: Pulumi pickles providers into the state, and a
client cannot be pickled (DESIGN.md section 4). One provider process serves four worker threads,
so building happens under a lock.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import boto3
import botocore.session
from botocore.config import Config

#: Folder of our botocore models (package data: ``<service>/<api-version>/service-2.json``).
MODELS_DIR = Path(__file__).resolve().parent / "models"

#: The three services, by the name our models give them.
ASSIGNMENTS = "kiro-assignments"  # AmazonQDeveloperService, signed as "q"
USER_SUBSCRIPTIONS = "kiro-user-subscriptions"  # AWSZornControlPlaneService
PROFILES = "kiro-profiles"  # AWSCodeWhispererService, signed as "codewhisperer"
SERVICES = (ASSIGNMENTS, USER_SUBSCRIPTIONS, PROFILES)

# Throttling and 5xx are retried by botocore's standard mode (exponential backoff with jitter,
# and a retry quota so a struggling service is not hammered): five attempts in all, the first
# included (botocore's ``max_attempts`` would count retries only). Explicit timeouts so a dead
# endpoint fails an operation in seconds instead of hanging a Pulumi worker thread.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
)

_clients: dict[tuple[str, str, str], Any] = {}
_lock = threading.Lock()


def default_endpoint(service: str, *, kiro_region: str, identity_center_region: str) -> str:
    """The public endpoint of ``service``: the assignment and profile services live in the Kiro
    region, the subscription listing in the IAM Identity Center region."""
    if service == USER_SUBSCRIPTIONS:
        return f"https://service.user-subscriptions.{identity_center_region}.amazonaws.com"
    return f"https://codewhisperer.{kiro_region}.amazonaws.com"


def client(service: str, region: str, endpoint_url: str) -> Any:
    """The process-wide client of ``service`` signing for ``region`` and calling
    ``endpoint_url``, built on first use (each on its own botocore session: building clients
    from one shared session is not thread-safe)."""
    key = (service, region, endpoint_url)
    with _lock:
        found = _clients.get(key)
        if found is None:
            found = _clients[key] = _session().client(
                service, region_name=region, endpoint_url=endpoint_url, config=CLIENT_CONFIG
            )
        return found


def clear_clients() -> None:
    """Forget every client of this process (tests change credentials and endpoints)."""
    with _lock:
        _clients.clear()


def _session() -> boto3.session.Session:
    core = botocore.session.Session()
    loader = core.get_component("data_loader")
    if str(MODELS_DIR) not in loader.search_paths:
        loader.search_paths.insert(0, str(MODELS_DIR))
    return boto3.session.Session(botocore_session=core)

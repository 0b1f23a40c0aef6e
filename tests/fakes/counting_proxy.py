"""A counting HTTP proxy on 127.0.0.1 in front of a JSON-protocol AWS endpoint (moto_server's
identitystore): forwards every POST unchanged and counts them by ``X-Amz-Target`` operation,
so a benchmark can say how many directory calls the provider process made."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# Hop-by-hop and framing headers the proxy sets itself.
_SKIPPED = {"host", "content-length", "connection", "transfer-encoding"}


class CountingProxy(ThreadingHTTPServer):
    """Forwards to ``target`` (an http:// URL) and counts calls by operation."""

    daemon_threads = True

    def __init__(self, target: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.target = target.rstrip("/")
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> CountingProxy:
        threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def snapshot(self) -> Counter[str]:
        with self.lock:
            return Counter(self.calls)


class _Handler(BaseHTTPRequestHandler):
    server: CountingProxy

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2] or self.path
        with self.server.lock:
            self.server.calls[operation] += 1
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _SKIPPED}
        request = urllib.request.Request(
            self.server.target + self.path, data=body, headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, answer, reply = response.status, response.read(), response.headers
        except urllib.error.HTTPError as err:
            status, answer, reply = err.code, err.read(), err.headers
        self.send_response(status)
        for key, value in reply.items():
            if key.lower() not in _SKIPPED and key.lower() not in ("server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

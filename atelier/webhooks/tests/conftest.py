"""A real HTTP receiver in a thread of the test process (the delivery code talks to it over a
socket, as to any endpoint): it records each request and answers from a script of statuses."""

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PORTS = range(8300, 8350)  # this suite's ports


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("No free port in 8300-8349")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """`answers` are (status, body, extra headers) used in turn; the last one repeats."""

    url: str
    requests: list[Received] = field(default_factory=list)
    answers: list[tuple[int, bytes, dict]] = field(default_factory=lambda: [(200, b"ok", {})])

    def answer(self, *answers: tuple[int, bytes] | tuple[int, bytes, dict]) -> None:
        self.answers = [(a[0], a[1], a[2] if len(a) > 2 else {}) for a in answers]


@pytest.fixture
def receivers() -> Iterator[Callable[[], Receiver]]:
    """Starts receivers on demand (each on its own port), all stopped at the end of the test."""
    servers: list[ThreadingHTTPServer] = []

    def start() -> Receiver:
        state, server = _serve()
        servers.append(server)
        return state

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def receiver(receivers) -> Receiver:
    return receivers()


@pytest.fixture
def local_targets(settings) -> None:
    """Lets webhooks go to the receivers on 127.0.0.1, which are internal addresses and so
    refused otherwise (atelier/webhooks/targets.py)."""
    settings.ATELIER_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


def _serve() -> tuple[Receiver, ThreadingHTTPServer]:
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}/hooks")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(
                Received(self.path, dict(self.headers.items()), self.rfile.read(length))
            )
            index = min(len(state.requests), len(state.answers)) - 1
            status, body, headers = state.answers[index]
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return state, server

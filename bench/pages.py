"""`pages`: requests per second of the order page against a hello-world view on the same server.

On a throw-away SQLite database, two orders of one customer are built as in bench/queries.py
(a small one: 1 submission of 3 files and 1 comment; a large one: 50 submissions of 3 files, 50
revision requests and 200 comments), gunicorn is started as
`make serve` starts it (gthread workers), with one extra URL: /bench/hello/, a view answering
"Hello" through the same middleware. Client processes with keep-alive connections then load the
hello view and each order page by turns (interleaved, repeated); the figure is the median ratio
of the order page's request rate to the hello view's, for the worse of the two orders.

    .venv/bin/python bench/run.py pages [seconds per run, default 3]
"""

import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
GOAL = ">= 0.35"
CLIENTS = 4
REPEATS = 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client(port: int, path: str, cookie: str, seconds: float, out) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie, "Host": "127.0.0.1"}
    done, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path} answered {response.status}")
        done += 1
    out.put(done)


def _rate(port: int, path: str, cookie: str, seconds: float) -> float:
    """Requests per second of `CLIENTS` client processes on `path` for `seconds`."""
    out = multiprocessing.Queue()
    clients = [
        multiprocessing.Process(target=_client, args=(port, path, cookie, seconds, out))
        for _ in range(CLIENTS)
    ]
    started = time.perf_counter()
    for client in clients:
        client.start()
    total = sum(out.get(timeout=seconds + 60) for _ in clients)
    for client in clients:
        client.join()
    return total / (time.perf_counter() - started)


def _wait_for(port: int, process: subprocess.Popen) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not start")


def main(argv: list[str]) -> int:
    seconds = float(argv[0]) if argv else 3.0
    import queries  # the worlds of bench/queries.py

    with tempfile.TemporaryDirectory(prefix="atelier-bench-pages-") as var_dir:
        queries._setup(var_dir)
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.sessions.backends.db import SessionStore
        from django.urls import reverse

        world = queries._world("pages")
        small = queries._build(world, submissions=1, comments=1, others=0)
        large = queries._build(world, submissions=50, comments=200, others=0)
        session = SessionStore()
        session[SESSION_KEY] = str(world.customer.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = world.customer.get_session_auth_hash()
        session.create()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        paths = {
            "small page": reverse("order-detail", args=[small.pk]),
            "large page": reverse("order-detail", args=[large.pk]),
            "hello": "/bench/hello/",
        }

        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "pages_settings",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
        }
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "atelier.wsgi",
                "--pythonpath",
                f"{HERE},{ROOT}",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                os.environ.get("WORKERS", "3"),
                "--worker-class",
                "gthread",
                "--threads",
                os.environ.get("THREADS", "4"),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port, server)
            for path in paths.values():  # warm up: first views, imports, template loading
                _rate(port, path, cookie, 1.0)
            runs = []
            for n in range(REPEATS):  # interleaved, each in turn first
                names = list(paths)[n % 3 :] + list(paths)[: n % 3]
                rates = {name: _rate(port, paths[name], cookie, seconds) for name in names}
                runs.append({name: rates[name] for name in paths})
        finally:
            server.terminate()
            server.wait(timeout=30)
    ratios = {
        name: statistics.median(run[name] / run["hello"] for run in runs)
        for name in ("small page", "large page")
    }
    ratio = min(ratios.values())
    result = harness.Result(
        name="pages",
        goal=GOAL,
        ratio=ratio,
        passed=ratio >= 0.35,
        runs=runs,
        unit="order page req/s / hello req/s, the worse of the two orders",
        details={
            "ratio per page": {name: round(value, 3) for name, value in ratios.items()},
            "page": "the customer's order page, overview tab, seen before (no write)",
            "small page": "1 submission x 3 files, 1 comment",
            "large page": "50 submissions x 3 files, 50 revision requests, 200 comments",
            "server": "gunicorn gthread, as `make serve`, DEBUG off, SQLite",
            "clients": f"{CLIENTS} processes, keep-alive, {seconds:g} s per run",
        },
    )
    harness.report(result)
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

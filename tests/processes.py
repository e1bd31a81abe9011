"""What the suites that run real processes share: free ports, waiting for a condition or a
listening port, this test's database as a URL for a child process, and a `Processes` fixture
object that starts children with their output in a log, and kills them all at the end."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Waits end as soon as what they wait for happens; the timeout only bounds a real failure. A busy
# machine (CI running two suites, a benchmark beside them) may take many times longer, so every
# timeout is stretched by this factor (ATELIER_TEST_PATIENCE, default 4).
PATIENCE = float(os.environ.get("ATELIER_TEST_PATIENCE", "4"))


def wait_until(condition: Callable[[], bool], *, timeout: float, what: str, logs=None) -> None:
    timeout *= PATIENCE
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            detail = f"\n{logs()}" if logs else ""
            pytest.fail(f"Still waiting after {timeout:.0f}s for {what}{detail}")
        time.sleep(0.05)


def wait_listening(
    process: subprocess.Popen, port: int, *, what: str, timeout: float = 30, logs=None
) -> None:
    """Wait until `process` accepts connections on `port`; fail at once if it exits."""

    def listening() -> bool:
        assert process.poll() is None, f"{what} exited\n{logs() if logs else ''}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    wait_until(listening, timeout=timeout, what=f"{what} to listen", logs=logs)


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if connection.vendor == "postgresql":
        login = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            login += ":" + quote(db["PASSWORD"], safe="")
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgres://{login}@{db['HOST'] or 'localhost'}{port}/{quote(db['NAME'])}"
    raise NotImplementedError(f"No process test setup for {connection.vendor}")


def child_env(**env: str) -> dict[str, str]:
    """The environment of a child `manage.py`, gunicorn or worker: this test's database, var
    and media directories, and `env` on top."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "atelier.settings",
        "DATABASE_URL": database_url(),
        "ATELIER_VAR_DIR": str(settings.VAR_DIR),
        "ATELIER_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONUNBUFFERED": "1",
        **env,
    }


class Processes:
    """Starts children with their output in a log each, and kills whatever is left at the end.
    Subclasses add the children of their suite and `state()`, a line about the rows they
    watch, shown with the logs when a wait fails."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def start(self, args: list[str], name: str, env: dict | None = None) -> subprocess.Popen:
        log = self.tmp_path / f"{len(self.logs):02d}-{name}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.processes.append(process)
        return process

    def worker(self, **env: str) -> subprocess.Popen:
        """`manage.py run_worker` on this test's database, polling fast."""
        args = [sys.executable, "manage.py", "run_worker", "--no-startup-delay"]
        return self.start([*args, "--interval", "0.1"], "worker", child_env(**env))

    def kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def kill_all(self) -> None:
        for process in self.processes:
            self.kill(process)

    def state(self) -> str:
        return ""

    def tail(self, lines: int = 15) -> str:
        parts = [self.state()]
        for log in self.logs:
            text = log.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {log.name}\n" + "\n".join(text))
        return "\n".join(parts)

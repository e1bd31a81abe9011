"""Serve the demo: the web server and the task worker as child processes that start together
and stop together on Ctrl-C or SIGTERM.

The demo runs with DEBUG off (unless DEBUG is set), so that it shows the site's own error pages
as production does, not Django's technical ones with the whole URL list; in development WhiteNoise
still serves the static files straight from the app (settings: WHITENOISE_USE_FINDERS)."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

from atelier.demo.seed import PASSWORD, PEOPLE

LOGINS = [
    (email, name, [role.removeprefix("is_") for role in roles]) for email, name, roles in PEOPLE
]


class Command(BaseCommand):
    help = "Serve the demo on HOST:PORT until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def processes(self, host: str, port: int) -> dict[str, list[str]]:
        manage = [sys.executable, "manage.py"]
        return {
            "web": [*manage, "runserver", f"{host}:{port}", "--noreload"],
            "worker": [*manage, "run_worker", "--no-startup-delay", "--interval", "0.5"],
        }

    def environment(self) -> dict[str, str]:
        """The children's environment: ours, with DEBUG off unless it is set."""
        return {**os.environ, "DEBUG": os.environ.get("DEBUG") or "0"}

    def handle(self, *args, host: str, port: int, **options):
        url = f"http://{host}:{port}/"
        self.stdout.write(
            self.style.SUCCESS(f"\nAtelier demo on {url}  (Ctrl-C stops it)\n")
            + f"Log in with any of these, password {PASSWORD}:\n"
            + "".join(
                f"  {email:<24} {name} ({', '.join(roles)})\n" for email, name, roles in LOGINS
            )
            + f"E-mails are printed below and readable by agents at {url}console/outbox/\n"
        )
        env = self.environment()
        children = {
            name: subprocess.Popen(cmd, env=env) for name, cmd in self.processes(host, port).items()
        }
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, child in children.items():
                    if child.poll() is not None:
                        self.stderr.write(f"The {name} process exited ({child.returncode}).")
                        stopping = True
                time.sleep(0.2)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            for child in children.values():
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
            self.stdout.write("Atelier demo stopped.")

"""Settings come from the environment: safe development defaults, a production mode that
`manage.py check --deploy` accepts, and clear errors for what production must be told."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "ATELIER_MODE": "production",
    "SECRET_KEY": "a-long-production-secret-" + "x" * 40,
    "ALLOWED_HOSTS": "atelier.example",
    "EMAIL_URL": "smtp://mailer:secret@127.0.0.1:2525?tls=1",
}


def manage(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    # Not the test process's own switches (the browser tests allow sync ORM calls beside
    # Playwright's event loop): a deployment would not have them.
    dropped = {*PRODUCTION, "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "ATELIER_VAR_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_check_deploy(tmp_path):
    result = manage("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "EMAIL_URL"])
def test_production_mode_refuses_to_start_without(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    show = "from django.conf import settings; print(settings.SECRET_KEY, settings.DEBUG)"
    first = manage("shell", "-c", show, tmp_path=tmp_path)
    second = manage("shell", "-c", show, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    key, debug = first.stdout.split()[-2:]
    assert len(key) >= 50 and debug == "True"
    assert second.stdout.split()[-2] == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_bad_values_name_the_variable(tmp_path):
    result = manage("check", tmp_path=tmp_path, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_email_url_picks_the_transport(tmp_path):
    show = "from django.conf import settings; print(settings.MAILERS['default'])"
    smtp = manage("shell", "-c", show, tmp_path=tmp_path, EMAIL_URL="smtps://u:p%40w@mx.example")
    assert "'host': 'mx.example'" in smtp.stdout and "'port': 465" in smtp.stdout
    assert "'password': 'p@w'" in smtp.stdout and "'use_ssl': True" in smtp.stdout
    console = manage("shell", "-c", show, tmp_path=tmp_path)
    assert "console.EmailBackend" in console.stdout
    bad = manage("check", tmp_path=tmp_path, EMAIL_URL="carrier-pigeon://coop")
    assert bad.returncode != 0 and "EMAIL_URL must be" in bad.stderr


def test_webhooks_may_target_internal_hosts_only_when_listed(tmp_path):
    show = "from django.conf import settings; print(settings.ATELIER_WEBHOOK_ALLOWED_HOSTS)"
    default = manage("shell", "-c", show, tmp_path=tmp_path, ATELIER_WEBHOOK_ALLOWED_HOSTS="")
    assert default.returncode == 0, default.stderr
    assert default.stdout.strip().splitlines()[-1] == "[]"
    hosts = "127.0.0.1, localhost,"
    listed = manage("shell", "-c", show, tmp_path=tmp_path, ATELIER_WEBHOOK_ALLOWED_HOSTS=hosts)
    assert listed.stdout.strip().splitlines()[-1] == "['127.0.0.1', 'localhost']"


@pytest.mark.parametrize("debug", ["1", "0"])
def test_every_log_line_is_printed_once(tmp_path, debug):
    # Django's loggers (a 404 warning from django.request) and ours, as a running server logs
    say = (
        "import logging;"
        "logging.getLogger('django.request').warning('marker-django');"
        "logging.getLogger('atelier.orders').warning('marker-atelier')"
    )
    result = manage("shell", "-c", say, tmp_path=tmp_path, DEBUG=debug)
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert output.count("marker-django") == 1, output
    assert output.count("marker-atelier") == 1, output

"""The two commands install what they need: `make run` (and `make serve`) only what running
needs, `make test` and `make lint` the test toolchain too."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def planned(target: str) -> str:
    """What `make <target>` would run on a machine with nothing installed yet (-B: every
    prerequisite is out of date; -n: print, run nothing)."""
    result = subprocess.run(
        ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("target", ["run", "serve"])
def test_running_installs_only_the_base_lock(target):
    plan = planned(target)
    assert "-r requirements/base.lock" in plan
    assert "dev.lock" not in plan


@pytest.mark.parametrize("target", ["test", "lint"])
def test_testing_installs_the_dev_lock(target):
    assert "-r requirements/dev.lock" in planned(target)


def test_lint_checks_the_layer_contracts():
    assert "lint-imports" in planned("lint")

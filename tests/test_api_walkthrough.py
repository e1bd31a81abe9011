"""The curl walkthrough on the API's docs page (docs/api.md) works as written: its shell blocks
run, unchanged but for the server's address, against a live server holding the demo data, and
the three flows end where the guide says."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from atelier.demo.seed import seed
from atelier.orders.models import Order

pytestmark = pytest.mark.django_db(transaction=True)

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_the_docs_walkthrough_runs_the_three_flows(live_server, tmp_path, settings):
    settings.ATELIER_BASE_URL = live_server.url
    seed()
    blocks = re.findall(r"```sh\n(.*?)```", GUIDE.read_text(), re.S)
    script = "\n".join(blocks).replace("http://127.0.0.1:8000", live_server.url)
    assert len(blocks) == 4 and shutil.which("curl"), (
        "the guide has four shell blocks; curl is needed"
    )

    run = subprocess.run(
        ["bash", "-eu", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )

    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    orders = {o.title: o for o in Order.objects.all()}
    assert orders["Resume for a product role"].status == Order.Status.COMPLETED
    assert orders["Resume for a product role"].submissions.count() == 2
    assert orders["Cover letter for a design studio (closable now)"].status == "completed"
    speedy = orders["Translate my cover letter"]
    assert speedy.status == Order.Status.COMPLETED and speedy.expert.email == "expert@example.com"
    assert '{"error": {"code": "taken"' in run.stdout and "\n409\n" in run.stdout
    assert (tmp_path / "delivered-resume.txt").read_text() == "Resume, first draft\n"

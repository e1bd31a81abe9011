"""The site's own error pages (templates/400.html, 403.html, 404.html, 500.html): in the site's
layout, saying what happened in plain words, and never Django's technical pages, in production
and in the demo that `make run` serves (rundemo runs it with DEBUG off)."""

import sys
import urllib.error
import urllib.request

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client
from django.urls import path

from atelier.demo.management.commands.rundemo import Command as RunDemo
from atelier.orders.models import Order
from atelier.urls import urlpatterns as site_urlpatterns
from tests.processes import Processes, child_env, free_port, wait_listening


def _forbidden(request):
    raise PermissionDenied("Only the order's expert submits work.")


def _suspicious(request):
    raise SuspiciousOperation("A tampered request.")


def _broken(request):
    raise RuntimeError("A bug.")


# The site's URLs (the error pages link to them), and three views that fail on purpose.
urlpatterns = [
    path("test-errors/forbidden/", _forbidden),
    path("test-errors/bad/", _suspicious),
    path("test-errors/broken/", _broken),
    *site_urlpatterns,
]

FRIENDLY = {
    400: "We could not read that request",
    403: "Not yours to do",
    404: "There is no such page, or it is not yours to see.",
    500: "Something went wrong on our side",
}
TECHNICAL = ["Using the URLconf", "Traceback", "Request Method:", "django.urls", "Django tried"]


def assert_friendly(response, status: int) -> None:
    text = response.content.decode()
    assert response.status_code == status
    assert FRIENDLY[status] in text
    assert '<a class="brand" href="/">Atelier</a>' in text  # the site's layout
    assert [t for t in TECHNICAL if t in text] == []


def test_a_page_that_does_not_exist_gets_the_friendly_404(client):
    assert_friendly(client.get("/no-such-page/"), 404)


def test_an_order_someone_may_not_see_gets_the_same_friendly_404(client, world):
    # given an order, and a stranger signed in
    order = world.order()
    client.force_login(world.stranger)

    # then its page is the 404 of a page that does not exist, with nothing of the order
    response = client.get(f"/orders/{order.pk}/")
    assert_friendly(response, 404)
    assert order.title not in response.content.decode()
    assert "Back to your start page" in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_refusal_gets_the_friendly_403_with_its_reason(client):
    response = client.get("/test-errors/forbidden/")
    assert_friendly(response, 403)
    assert "Only the order&#x27;s expert submits work." in response.content.decode()


@pytest.mark.urls(__name__)
def test_a_bad_request_gets_the_friendly_400(client):
    assert_friendly(client.get("/test-errors/bad/"), 400)


@pytest.mark.urls(__name__)
def test_a_server_error_gets_the_friendly_500(db):
    # Rendered without a request (Django's server_error view): the layout must not need one.
    response = Client(raise_request_exception=False).get("/test-errors/broken/")
    assert_friendly(response, 500)
    assert "A bug." not in response.content.decode()


def test_the_demo_runs_with_debug_off_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    assert RunDemo().environment()["DEBUG"] == "0"
    monkeypatch.setenv("DEBUG", "1")
    assert RunDemo().environment()["DEBUG"] == "1"


@pytest.fixture
def procs(tmp_path):
    processes = Processes(tmp_path)
    yield processes
    processes.kill_all()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_demo_server_shows_the_friendly_404_and_serves_its_static_files(
    transactional_db, procs, monkeypatch
):
    # given the demo's web server, started as `make run` starts it
    monkeypatch.delenv("DEBUG", raising=False)
    port = free_port()
    command = RunDemo().processes("127.0.0.1", port)["web"]
    assert command[:2] == [sys.executable, "manage.py"]
    env = child_env(**{k: v for k, v in RunDemo().environment().items() if k == "DEBUG"})
    server = procs.start(command, "web", env)
    wait_listening(server, port, what="the demo's web server", logs=procs.tail)
    base = f"http://127.0.0.1:{port}"

    # when someone opens a page that does not exist, and the page's style sheet
    status, page = _get(f"{base}/orders/{Order.objects.count() + 1}/definitely/not/")
    css_status, css = _get(f"{base}/static/atelier.css")

    # then the page is the site's own 404, not the technical one with every URL pattern, and
    # the static files are still served
    assert status == 404 and FRIENDLY[404] in page
    assert [t for t in TECHNICAL if t in page] == []
    assert css_status == 200 and "{" in css

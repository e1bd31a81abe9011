"""Take the README's screenshots from the demo, in Debian's chromium (never a downloaded one).

    .venv/bin/python scripts/screenshots.py [name ...]

Loads the demo into a throwaway folder (ATELIER_VAR_DIR), serves it with `rundemo` on a free
port, signs in as each demo person and saves docs/screenshots/<name>.png (all of them, or the
names given).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
PASSWORD = "atelier-demo"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5)  # our own local server
            return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def _order_pk(title_contains: str) -> int:
    from atelier.orders.models import Order

    return Order.objects.get(title__contains=title_contains).pk


def _submission_pk(title_contains: str) -> int:
    from atelier.orders.models import Submission

    return (
        Submission.objects.filter(order__title__contains=title_contains).order_by("-number")[0].pk
    )


def _appeal_pk() -> int:
    from atelier.orders.models import Appeal

    return Appeal.objects.get(status=Appeal.Status.PENDING).pk


def _revision_form(page: Page) -> None:
    page.get_by_text("Ask for a revision", exact=True).click()
    page.get_by_label("What should change?").fill("Use “Impressum” for the legal notice page.")
    page.get_by_label("Point 2").fill("- The menu labels are cut off on phones\n- Keep prices in €")


def _scorecard(page: Page) -> None:
    card = page.locator("fieldset.scorecard-form")
    radios = card.locator(".score-point")
    for n in range(radios.count()):
        radios.nth(n).get_by_label("Pass").check()
    radios.nth(3).get_by_label("Fail").check()
    radios.nth(3).locator("input[type=text]").fill("The grade is now 1.7, but clause 4 says 1,7.")


# name → (who, path (a callable for ids from the database), what to do before the shot)
Shot = tuple[str, Callable[[], str], Callable[[Page], None] | None]
SHOTS: dict[str, Shot] = {
    "customer-revision-checklist": (
        "customer",
        lambda: f"/orders/{_order_pk('Translate a website')}/#respond",
        _revision_form,
    ),
    "customer-revision-answered": (
        "customer",
        lambda: f"/orders/{_order_pk('Translate a press release')}/#revision-requests",
        None,
    ),
    "expert-revision-checklist": (
        "expert",
        lambda: f"/orders/{_order_pk('Translate a brochure')}/?tab=work#work",
        None,
    ),
    "expert-appeal": (
        "expert",
        lambda: f"/orders/{_order_pk('Translate a lease')}/?tab=work#work-qc",
        None,
    ),
    "reviewer-queue": ("reviewer", lambda: "/qc/", None),
    "reviewer-scorecard": (
        "reviewer",
        lambda: f"/qc/{_submission_pk('Translate a diploma')}/#decision-heading",
        _scorecard,
    ),
    "customer-rating": (
        "customer",
        lambda: f"/orders/{_order_pk('Nurse resume')}/#rating",
        None,
    ),
    "expert-ratings": ("expert", lambda: "/work/ratings/", None),
    "agent-ratings": ("agent", lambda: "/console/ratings/", None),
    "agent-appeals": ("agent", lambda: "/console/appeals/", None),
    "agent-appeal": (
        "agent",
        lambda: f"/console/orders/{_order_pk('Translate a lease')}/?tab=work#appeal-{_appeal_pk()}",
        None,
    ),
    "agent-checklist": (
        "agent",
        lambda: "/console/services/translation/policy/#id_qc_checklist",
        None,
    ),
}


def main(names: list[str]) -> None:
    unknown = set(names) - set(SHOTS)
    if unknown:
        raise SystemExit(f"No such screenshot: {', '.join(sorted(unknown))}")
    var = tempfile.mkdtemp(prefix="atelier-shots-")
    port = _free_port()
    env = {
        **os.environ,
        "ATELIER_VAR_DIR": var,
        "ATELIER_BASE_URL": f"http://127.0.0.1:{port}",
        "DJANGO_SETTINGS_MODULE": "atelier.settings",
    }
    env.pop("DATABASE_URL", None)  # the demo's own SQLite file in `var`
    os.environ.clear()
    os.environ.update(env)  # this process reads the same database for the ids
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT)
    server = subprocess.Popen(
        [*manage, "rundemo", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(base + "/accounts/login/")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        _shoot(base, names or list(SHOTS))
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


def _shoot(base: str, names: list[str]) -> None:
    paths = {name: SHOTS[name][1]() for name in names}  # before Playwright's event loop runs
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium")
        pages: dict[str, Page] = {}
        for name in names:
            who, _, prepare = SHOTS[name]
            if who not in pages:
                context = browser.new_context(
                    base_url=base, viewport={"width": 1280, "height": 900}
                )
                page = context.new_page()
                page.goto("/accounts/login/")
                page.get_by_label("Email").fill(f"{who}@example.com")
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Log in").click()
                page.wait_for_load_state()
                pages[who] = page
            page = pages[who]
            page.goto(paths[name])
            if prepare:
                prepare(page)
            anchor = paths[name].partition("#")[2]
            if anchor and page.locator(f"#{anchor}").count():
                page.locator(f"#{anchor}").evaluate(
                    "e => { e.scrollIntoView(); window.scrollBy(0, -160); }"
                )
            page.screenshot(path=OUT / f"{name}.png")
            print(f"docs/screenshots/{name}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1:])

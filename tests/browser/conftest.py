"""Browser tests: Playwright drives Debian's chromium against Django's live server."""

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

CHROMIUM = os.environ.get("ATELIER_CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
# clicks are ordinary synchronous code all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"No Chromium at {CHROMIUM}: run scripts/ensure-chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


class People:
    """Opens one browser context per person, logged in through the real login form, and
    fails the test on any JavaScript error or CSP violation seen on their pages."""

    def __init__(self, browser: Browser, base_url: str):
        self.browser = browser
        self.base_url = base_url
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def page(self) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url, viewport={"width": 1280, "height": 900}
        )
        self.contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("console", lambda msg: self._console(page, msg))
        return page

    def _console(self, page: Page, msg) -> None:
        # A page answered with a 4xx (a refused form, a taken order, a used link) is doing its
        # job; anything else the browser calls an error (a script error, a CSP violation, a
        # 500) fails the test.
        expected = re.search(r"status of 4\d\d", msg.text) is not None
        if msg.type == "error" and not expected:
            self.errors.append(f"{page.url}: {msg.text}")

    def login(self, email: str, password: str = "pw-for-tests") -> Page:
        page = self.page()
        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def people(browser, live_server, transactional_db) -> Iterator[People]:
    crowd = People(browser, live_server.url)
    yield crowd
    crowd.close()
    assert crowd.errors == [], "errors in the browser:\n" + "\n".join(crowd.errors)

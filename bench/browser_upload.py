"""Upload a large file from the browser, through the work tab's form and its progress bar.

    .venv/bin/python bench/browser_upload.py [--size-mib 200] [--limit-mib 2048]

Starts gunicorn as `make serve` does on a throw-away database (as bench/upload_1gib.py), logs in
as the expert with Debian's chromium driven by Playwright, chooses a file of random bytes on the
order's work tab, submits, and records the progress bar's values while the upload runs. Checks
that the page lands on the order with the new submission, and that the server recorded the
file's size and SHA-256. With --limit-mib below the file's size, checks instead that the page
refuses the file before sending anything; adding --skip-page-check removes the page's own check,
to see the server's refusal (413, while the body streams) as the browser shows it.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright
from upload_1gib import ROOT, MiB, bench_env, set_up, start_gunicorn, stop, write_random_file

CHROMIUM = os.environ.get("ATELIER_CHROMIUM", "/usr/bin/chromium")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=200)
    parser.add_argument("--limit-mib", type=int, default=2048)
    parser.add_argument("--skip-page-check", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-browser-", dir=ROOT / "var"))
    env = bench_env(work, ATELIER_MAX_UPLOAD_BYTES=str(args.limit_mib * MiB))
    server = None
    try:
        source = work / "voice-over.wav"
        sha256 = write_random_file(source, args.size_mib * MiB)
        ids = set_up(env)
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        server, port = start_gunicorn(env, workers=2, threads=4)
        base = f"http://127.0.0.1:{port}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(base_url=base)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto("/accounts/login/")
            page.get_by_label("Email").fill("expert@bench.example")
            page.get_by_label("Password").fill("bench-password")
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url(lambda url: "login" not in url)
            page.goto(f"/orders/{ids['order']}/?tab=work")
            page.locator("#work-file-1").set_input_files(str(source))
            page.locator("#work-title-1").fill("Voice-over")
            if args.skip_page_check:
                page.evaluate("delete document.querySelector('form[data-upload]').dataset.maxBytes")
            requests_sent: list[str] = []
            page.on(
                "request",
                lambda request: (
                    requests_sent.append(request.url) if request.method == "POST" else None
                ),
            )
            started = time.perf_counter()
            page.get_by_role("button", name="Deliver to the customer").click()

            if args.size_mib > args.limit_mib and args.skip_page_check:
                status = page.locator("[data-progress-text]")
                status.filter(has_text="Not sent").or_(status.filter(has_text="failed")).wait_for()
                message = page.locator('[data-errors="files"]').inner_text()
                print(f"server refused it: {status.inner_text()!r}, shown: {message!r}")
                assert "larger than the limit" in message
                return
            if args.size_mib > args.limit_mib:
                page.wait_for_timeout(1000)
                message = page.locator('[data-errors="files"]').inner_text()
                print(f"refused in the page: {message!r}; POST requests sent: {requests_sent}")
                assert "larger than the limit" in message and not requests_sent
                return

            samples: list[tuple[float, str]] = []
            here = page.url
            while page.url == here and time.perf_counter() - started < 900:
                try:
                    status = page.locator("[data-progress-text]").inner_text(timeout=1000)
                except Exception:  # the page is navigating away: the upload is done
                    break
                if not samples or samples[-1][1] != status:
                    samples.append((round(time.perf_counter() - started, 2), status))
                if "Not sent" in status or "failed" in status:
                    sys.exit(f"The upload failed in the page: {status}")
                page.wait_for_timeout(100)
            page.wait_for_url(lambda url: "tab=work" in url and "submissions" not in url)
            elapsed = time.perf_counter() - started
            page.wait_for_load_state()
            success = page.locator(".messages").inner_text()
            browser.close()

        reply = requests.get(
            f"{base}/api/v1/orders/{ids['order']}/submissions",
            headers={"Authorization": f"Bearer {ids['expert']}"},
            timeout=30,
        )
        [submission] = reply.json()
        [stored] = submission["files"]
        print(f"{args.size_mib} MiB from chromium in {elapsed:.1f} s")
        shown = [s for s in samples if "%" in s[1]]
        print(f"progress texts seen: {len(shown)}, e.g.")
        for moment, text in shown[:: max(1, len(shown) // 8)] + shown[-1:]:
            print(f"  {moment:6.2f} s  {text}")
        print(f"page says: {success!r}")
        print(f"server recorded: {stored['name']} {stored['size']} bytes, {stored['sha256']}")
        assert (stored["size"], stored["sha256"]) == (args.size_mib * MiB, sha256)
        assert not errors, errors
        print("OK")
    finally:
        stop(server)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

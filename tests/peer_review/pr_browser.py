"""Headless Chromium (Debian's package) driven by Playwright, for the sheet's browser tests.

Never downloads a browser: Playwright is pointed at /usr/bin/chromium (or
$PEER_REVIEW_CHROMIUM). Without it the tests are SKIPPED with a reason that
names them, so `make test -ra` lists exactly what was not run; with
PEER_REVIEW_REQUIRE_BROWSER=1 (set by .ci/run) a missing browser FAILS them.
Playwright's launch adds --headless and starts each browser with a fresh
temporary profile (its own --user-data-dir); FLAGS are the rest of what this
machine needs as root with a closed network.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("PEER_REVIEW_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("PEER_REVIEW_REQUIRE_BROWSER") == "1"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
INSTALL_HINT = "apt-get install -y chromium (Debian) and `make install` (Playwright)"


def why_no_browser() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return f"Playwright for Python is not installed ({INSTALL_HINT})"
    if not (CHROMIUM.is_file() or shutil.which(str(CHROMIUM))):
        return f"no Chromium at {CHROMIUM} ({INSTALL_HINT})"
    return None


def unavailable(test: str, reason: str) -> None:
    """Skip `test` saying why (or fail it when CI requires the browser)."""
    if REQUIRED:
        pytest.fail(f"{test}: PEER_REVIEW_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"NOT RUN: browser test {test} of the peer-review sheet: {reason}")


def launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)


@dataclass
class Watch:
    """Everything a page did that a sheet must never do."""

    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # attempted (even if blocked)
    loaded: list[str] = field(default_factory=list)  # actually answered

    def attach(self, page, allowed_url: str) -> None:
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        other = lambda r: r.url != allowed_url and not r.url.startswith("blob:")
        page.on("request", lambda r: self.requests.append(r.url) if other(r) else None)
        page.on("requestfinished", lambda r: self.loaded.append(r.url) if other(r) else None)

    def quiet(self) -> bool:
        return not (self.dialogs or self.console or self.errors or self.requests)


def open_sheet(browser, path: Path, watch: Watch | None = None):
    """A new context (own storage) and page showing the sheet file."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    url = Path(path).resolve().as_uri()
    if watch is not None:
        watch.attach(page, url)
    page.goto(url)
    return context, page


def reload_when_stored(context, page, predicate: str, timeout_s: float = 10.0) -> None:
    """Reload `page` once its draft in localStorage satisfies the JS `predicate` (a function of
    the parsed draft) as another page of the same context sees it: Chromium hands a page's
    storage writes to the browser process asynchronously, so on a loaded machine an
    immediate reload can start before they arrive."""
    import time

    check = (
        f"Object.values(window.localStorage).some(v => {{ try {{ return ({predicate})(JSON.parse(v)); }}"
        " catch (e) { return false; } })"
    )
    probe = context.new_page()
    probe.goto(page.url)
    deadline = time.monotonic() + timeout_s
    while not probe.evaluate(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"the sheet's draft never satisfied {predicate}")
        probe.wait_for_timeout(100)
        probe.reload()
    probe.close()
    page.reload()

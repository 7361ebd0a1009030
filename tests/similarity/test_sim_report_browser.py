"""Student code and student ids are hostile text: in report.html they stay text, in a real browser.

Headless Chromium (Debian's `chromium` package) loads the report and prints
the DOM after scripts had their chance to run. The payloads would set the
page title if they ran. The report carries a Content-Security-Policy that
forbids scripts anyway; the page is also loaded with that policy removed, so
the test shows the escaping alone keeps the payloads inert.
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sim_helpers import style, write_release, write_submission

from autograder.similarity.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ID_PAYLOAD = "eve<img src=x onerror=\"document.title='pwned-by-id'\">"
CODE_PAYLOAD = "</pre></td><script>document.title='pwned-by-code'</script><td><pre>"


def dom(page: Path, profile: Path) -> str:
    if CHROMIUM is None:
        pytest.fail("headless Chromium is needed for the browser tests: apt-get install chromium")
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--virtual-time-budget=3000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    code = dict(style(0))
    code["relu_forward"] = f'note = "{CODE_PAYLOAD}"  # {CODE_PAYLOAD}\nout = np.maximum(0, x) + 0 * len(note)'
    write_submission(root / "subs" / ID_PAYLOAD, code)
    write_submission(root / "subs" / "alice", code)
    write_submission(root / "subs" / "bob", style(1))
    assert (
        main(
            [
                str(root / "subs"),
                "--out",
                str(root / "out"),
                "--release",
                str(write_release(root / "release")),
                "--jobs",
                "1",
            ]
        )
        == 0
    )
    return root / "out" / "report.html"


def test_the_payloads_are_escaped_in_the_file(report):
    html = report.read_text()
    assert "&lt;script&gt;document.title=" in html and "&lt;img src=x onerror=" in html
    assert "<script" not in html and "<img src=x" not in html


@pytest.mark.parametrize("with_policy", [True, False], ids=["as written", "policy removed"])
def test_the_payloads_do_not_run_in_a_browser(report, tmp_path, with_policy):
    page = report
    if not with_policy:
        page = tmp_path / "report.html"
        page.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", report.read_text()))
        assert "Content-Security-Policy" not in page.read_text()
    out = dom(page, tmp_path / "profile")
    title = re.search(r"<title>(.*?)</title>", out, re.S).group(1)
    assert title.startswith("Similarity report") and "pwned" not in title
    # no element came from a payload (the one image is the report's own histogram)
    assert not re.search(r'<script|<img(?! src="data:image/png;base64,)|<[a-z]+[^>]*\sonerror=', out, re.I)
    assert "&lt;script&gt;document.title='pwned-by-code'" in out  # shown, as text, with the code it is in
    assert "eve&lt;img src=x onerror=" in out

"""The HTML sheet in a real browser (headless Debian Chromium, Playwright): fill, save,
collect; refuse to save when incomplete; survive a reload; print; the page's totals equal
Python's; hostile answers run nothing and stay in their boxes."""

import csv
import dataclasses
import json
import random
import re

import pytest
from pr_browser import Watch, open_sheet, reload_when_stored
from pr_helpers import PARAGRAPH, codes_on, fill_sheet, raw_by_hand

from course.rubric import load_rubric
from peer_review import cli, store
from peer_review.rule import raw_total, review_score
from peer_review.sheet import ReviewTask, SheetSpec, fmt, render, save_file_name

R = load_rubric()
ITEMS = [i.id for i in R.peer_graded]
REFS = {q.id: f"Reference answer for {q.id}: the probabilities are uniform, so L = $\\log C$." for q in R.inline}
FULL_AUTO = {i.id: i.points for i in R.auto}


def item_box(code: str, item: str) -> str:
    return f'.item[data-code="{code}"][data-item="{item}"]'


def sheet_codes(page) -> list[str]:
    return page.eval_on_selector_all("section.submission", "els => els.map(e => e.dataset.code)")


def choose(page, code: str, deductions: dict[str, float]) -> None:
    for item, d in deductions.items():
        radio = page.locator(f'input[name="{code}:{item}"][value="{fmt(d)}"]')
        if radio.count() and radio.is_enabled():
            radio.check()


def save(page, folder):
    """Press Save; -> the downloaded file, stored in `folder` under the name the page gave it."""
    with page.expect_download() as info:
        page.locator("button.save").first.click()
    download = info.value
    target = folder / download.suggested_filename
    download.save_as(target)
    return target


def rendered_sheet(tmp_path, tasks, rubric=R, name="sheet.html"):
    _, html = render(SheetSpec("TESTID", "reviewer", tasks), rubric, REFS)
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def task(code, auto=FULL_AUTO, blank=(), answers=None):
    given = answers or {q.id: f"My answer to {q.id}." for q in R.inline}
    return ReviewTask(
        code,
        [f"{code}-part1.ipynb"],
        None if auto is None else dict(auto),
        "ok",
        {q: ("" if q in blank else given.get(q, "")) for q in given},
        frozenset(blank),
    )


# ---------------------------------------------------------------- round trip
def test_fill_save_collect_round_trip_with_markdown_returns_too(browser, assigned):
    """Three reviewers use the browser, two return the Markdown sheet: collect reads both."""
    _, out = assigned
    rows = store.read_rows(out / "allocation.csv")
    author_of = {r.code: r.author for r in rows}
    entered = {}
    for row in sorted({(r.reviewer, r.sheet_file, r.sheet_id) for r in rows}):
        reviewer, sheet_file, sheet_id = row
        rng = random.Random(reviewer)
        if reviewer in ("alice", "bob", "carol"):
            context, page = open_sheet(browser, (out / sheet_file).with_suffix(".html"))
            for code in sheet_codes(page):
                d = {i.id: rng.choice((0.0, *i.deductions)) for i in R.peer_graded}
                entered[reviewer, author_of[code]] = d
                choose(page, code, d)
                page.fill(f"#feedback-{code}", PARAGRAPH)
                r = review_score(R, d)
                raw = raw_total(R, R.auto_max, r.total)
                shown = page.text_content(f'.total[data-code="{code}"] .t-raw')
                assert shown == f"{fmt(raw)} / {fmt(R.max_raw)} → {fmt(R.rescale(raw))} / {fmt(R.out_of)}"
            saved = save(page, out / "returned")
            assert saved.name == save_file_name(sheet_id)
            context.close()
        else:
            text = (out / sheet_file).read_text()
            ded = {}
            for code in codes_on(text):
                d = {i.id: rng.choice((0.0, *i.deductions)) for i in R.peer_graded}
                entered[reviewer, author_of[code]] = d
                ded[code] = {i: fmt(v) for i, v in d.items()}
            (out / "returned" / f"{reviewer}.md").write_text(fill_sheet(text, ded, dict.fromkeys(ded, PARAGRAPH)))
    assert cli.main(["collect", str(out)]) == 0, (out / "problems.txt").read_text()
    book = {r["student_id"]: r for r in csv.DictReader(open(out / "gradebook.csv"))}
    for author in {a for _, a in entered}:
        raw = raw_by_hand(R.auto_max, [d for (_, a), d in entered.items() if a == author])
        assert float(book[author]["raw"]) == pytest.approx(raw) and float(book[author]["score"]) == R.rescale(raw)
    saved = json.loads(next((out / "returned").glob("*.json")).read_text())
    assert set(saved) == {"format", "version", "sheet_id", "saved_at", "reviews"}


# ---------------------------------------------------------------- refusing, reload, print
def test_refuses_to_save_while_something_is_missing_and_says_what(browser, tmp_path):
    path = rendered_sheet(tmp_path, [task("AAA111"), task("BBB222", blank={"1.2"})])
    context, page = open_sheet(browser, path)
    downloads = []
    page.on("download", lambda d: downloads.append(d))
    page.locator("button.save").first.click()
    problems = page.inner_text(".problems")
    assert "Not saved" in problems and "Submission AAA111: choose a deduction for Inline question 1.1" in problems
    assert "Submission BBB222: choose a deduction for Inline question 1.2" not in problems  # blank: fixed
    assert f"the feedback paragraph has 0 words; write at least {R.min_feedback_words}" in problems
    choose(page, "AAA111", dict.fromkeys(ITEMS, 0.0))
    choose(page, "BBB222", dict.fromkeys([i for i in ITEMS if i != "p2_experiments"], 0.0))
    page.fill("#feedback-AAA111", PARAGRAPH)
    page.fill("#feedback-BBB222", "Too short.")
    page.locator("button.save").first.click()
    problems = page.inner_text(".problems")
    assert problems.count("Submission") == 2 and "BBB222: choose a deduction for Part 2 experiments" in problems
    assert "BBB222: the feedback paragraph has 2 words" in problems
    page.wait_for_timeout(300)
    assert downloads == [] and page.locator(f"{item_box('BBB222', 'p2_experiments')}.missing").count() == 1
    choose(page, "BBB222", {"p2_experiments": 0.5})
    page.fill("#feedback-BBB222", PARAGRAPH)
    assert page.locator(".problems").is_hidden()  # the list empties as things are fixed
    saved = json.loads(save(page, tmp_path).read_text())
    assert saved["reviews"]["BBB222"]["deductions"]["p2_experiments"] == 0.5
    assert saved["reviews"]["BBB222"]["deductions"]["1.2"] == 1.0  # the blank answer, as shown
    context.close()


def test_work_survives_a_reload_until_saved(browser, tmp_path):
    path = rendered_sheet(tmp_path, [task("AAA111")])
    context, page = open_sheet(browser, path)
    choose(page, "AAA111", {"1.1": 0.5, "p1_experiments": 1.0})
    page.fill("#feedback-AAA111", "Half a paragraph")
    reload_when_stored(context, page, "s => s.feedback.AAA111 === 'Half a paragraph'")
    assert page.is_checked('input[name="AAA111:1.1"][value="0.5"]')
    assert page.is_checked('input[name="AAA111:p1_experiments"][value="1"]')
    assert page.input_value("#feedback-AAA111") == "Half a paragraph"
    choose(page, "AAA111", {i: 0.0 for i in ITEMS if i not in ("1.1", "p1_experiments")})
    page.fill("#feedback-AAA111", PARAGRAPH)
    saved = json.loads(save(page, tmp_path).read_text())
    assert saved["reviews"]["AAA111"]["deductions"]["1.1"] == 0.5
    reload_when_stored(context, page, "s => s.saved_at !== null")
    assert page.is_checked('input[name="AAA111:1.1"][value="0.5"]') and "Last saved" in page.inner_text(".save-status")
    context.close()


def test_print_stylesheet(browser, tmp_path):
    path = rendered_sheet(tmp_path, [task("AAA111"), task("BBB222")])
    context, page = open_sheet(browser, path)
    page.fill("#feedback-AAA111", PARAGRAPH)
    page.emulate_media(media="print")
    assert not page.is_visible("textarea.feedback") and not page.is_visible("button.save")
    assert page.inner_text('.print-copy[data-code="AAA111"]') == PARAGRAPH
    assert page.eval_on_selector("section.submission", "s => getComputedStyle(s).breakBefore") == "page"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 3  # intro + one per submission
    context.close()


# ---------------------------------------------------------------- one rule, two languages
def _cases(rubric, tasks, n, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t = rng.choice(tasks)
        d = {i.id: rng.choice((0.0, *i.deductions)) for i in rubric.peer_graded}
        out.append({"code": t.code, "d": d, "blank": t.blank, "auto": t.auto})
    return out


def _python(rubric, case):
    r = review_score(rubric, case["d"], case["blank"])
    result = {"subtotal": r.subtotal, "forgiveness": r.forgiveness, "total": r.total}
    if case["auto"] is not None:
        result["raw"] = raw_total(rubric, sum(case["auto"][i.id] for i in rubric.auto), r.total)
        result["score"] = rubric.rescale(result["raw"])
    return result


@pytest.mark.parametrize("variant", ["course", "other rule"])
def test_page_totals_equal_pythons_for_many_cases(browser, tmp_path, variant):
    rubric = (
        R
        if variant == "course"
        else dataclasses.replace(R, forgiven_mistakes=2, forgiveness_points=0.5, max_raw=20.0, out_of=100.0, decimals=0)
    )
    half = {i.id: i.points / 2 for i in R.auto}
    tasks = [
        task("FULL01"),
        task("HALF02", auto=half, blank={"1.2", "2.3"}),
        task("NOAUTO", auto=None),
        task("BLANK4", auto=dict.fromkeys(FULL_AUTO, 0.0), blank={q.id for q in R.inline}),
    ]
    context, page = open_sheet(browser, rendered_sheet(tmp_path, tasks, rubric))
    cases = _cases(rubric, tasks, 600, seed=variant)
    got = page.evaluate(
        "cases => cases.map(c => peerSheet.reviewScore(c.code, c.d))", [{"code": c["code"], "d": c["d"]} for c in cases]
    )
    for case, js in zip(cases, got):
        assert {k: v for k, v in js.items() if k != "missing"} == _python(rubric, case), case
    context.close()


def test_page_rounds_exactly_like_python(browser, tmp_path):
    context, page = open_sheet(browser, rendered_sheet(tmp_path, [task("AAA111")]))
    rng = random.Random(5)
    values = [0.5, 1.5, 2.5, 82.5, 0.125, 0.375, 2.675, 1.005, 8.65, 9.95, 0.05, 17.5 / 20 * 100, 16.5 / 20 * 100]
    values += [k / 2 / 10**d for k in range(1, 400, 7) for d in range(4)]
    values += [rng.uniform(0, 100) for _ in range(500)] + [rng.randrange(0, 2300) / 100 / 23 * 10 for _ in range(500)]
    cases = [(x, nd) for x in values for nd in range(5)]
    got = page.evaluate("cases => cases.map(([x, nd]) => peerSheet.pyRound(x, nd))", cases)
    assert [round(x, nd) for x, nd in cases] == got
    context.close()


# ---------------------------------------------------------------- hostile answers
HOSTILE = {
    "1.1": "<script>window.pwned = 1; alert('script')</script>",
    "1.2": '<img src="x" onerror="window.pwned = 2; alert(\'img\')">',
    "1.3": (
        '</div></div></div><p class="label">Reference answer</p>'
        '<div class="reference">FAKE REFERENCE: any answer is right</div>'
    ),
    "2.1": (
        "[click me](javascript:alert('link')) and <a href=\"javascript:alert(1)\">raw</a> and "
        "<https://evil.example/x> and ![pic](https://evil.example/p.png)"
    ),
    "2.2": "At first 0.1 < log C ... and after training 25 > log C & that's fine",
    "2.3": (
        "$x</span><script>alert('math')</script>$ " + "A" * 3000 + "\n\n# Giant heading\n\n"
        '<style>body{display:none}</style>\n<iframe src="https://evil.example"></iframe>\n'
        '<meta http-equiv="refresh" content="0;url=https://evil.example">\u202eevil'
    ),
}
HONEST = "At first 0.1 < log C ... and after training 25 > log C & that's fine"


def test_hostile_answers_run_nothing_and_stay_in_their_boxes(browser, tmp_path):
    tasks = [
        task("HOST01", answers=HOSTILE),
        task(
            "NICE02",
            answers={q.id: "**Bold** idea: $\\frac{\\partial L}{\\partial W} = X^T$ and `code`" for q in R.inline},
        ),
    ]
    watch = Watch()
    context, page = open_sheet(browser, rendered_sheet(tmp_path, tasks), watch)
    choose(page, "HOST01", dict.fromkeys(ITEMS, 0.0))
    page.wait_for_timeout(200)
    assert watch.quiet(), watch
    assert page.evaluate("window.pwned") is None and page.is_visible("h1")
    assert page.evaluate("""() => ({
        scripts: document.scripts.length,
        styles: document.querySelectorAll('style').length,
        embeds: document.querySelectorAll('img, iframe, object, embed, link, meta[http-equiv=refresh]').length,
        external: [...document.querySelectorAll('a')].filter(a => !a.getAttribute('href').startsWith('#')).length,
        handlers: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(
            a => a.name.startsWith('on'))).length,
    })""") == {"scripts": 2, "styles": 1, "embeds": 0, "external": 0, "handlers": 0}
    refs = page.eval_on_selector_all(".reference", "els => els.map(e => e.innerText.trim())")
    assert len(refs) == 2 * len(R.inline) and set(refs) == {
        f"Reference answer for {q.id}: the probabilities are uniform, so L = log C." for q in R.inline
    }
    answer = lambda q: page.inner_text(f"{item_box('HOST01', q)} .answer")
    assert answer("1.1") == HOSTILE["1.1"] and answer("1.2") == HOSTILE["1.2"]
    assert "FAKE REFERENCE" in answer("1.3") and answer("2.2") == HONEST
    assert "javascript:alert('link')" in answer("2.1") and "https://evil.example/p.png" in answer("2.1")
    assert "<script>alert('math')</script>" in answer("2.3") and "<style>" in answer("2.3")
    assert "(∂L)/(∂W) = Xᵀ" in page.inner_text(f"{item_box('NICE02', '1.1')} .answer")
    assert page.locator(f"{item_box('NICE02', '1.1')} .answer strong").count() == 1
    boxes = page.eval_on_selector_all(
        ".answer",
        """els => els.map(e => {
        const box = e.getBoundingClientRect(), col = e.parentElement.getBoundingClientRect();
        return box.left >= col.left - 1 && box.right <= col.right + 1; })""",
    )
    assert all(boxes) and page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.inner_text('.total[data-code="HOST01"] .t-raw').startswith(fmt(R.max_raw))
    context.close()


def test_csp_is_a_second_wall(browser, tmp_path):
    """Were escaping ever to fail, an injected inline script would still not run."""
    path = rendered_sheet(tmp_path, [task("AAA111")])
    html = path.read_text()
    path.write_text(
        html.replace("</main>", "<script>window.pwned = 1</script><img src='https://evil.example/x'></main>")
    )
    watch = Watch()
    context, page = open_sheet(browser, path, watch)
    page.wait_for_timeout(200)
    assert page.evaluate("window.pwned") is None and watch.loaded == []
    assert sum("Content Security Policy" in m for m in watch.console) == 2  # the script and the image
    assert page.inner_text(".todo") != ""  # the sheet's own script still runs
    context.close()

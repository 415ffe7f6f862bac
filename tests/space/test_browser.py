"""The Space in a real headless Chromium, over the DevTools protocol: it renders, shows markup as text, and
logs no console error. Screenshots of the leaderboard and submit tabs are written to a temp folder."""

from __future__ import annotations

import json

import pytest
from pet2rep_space import leaderboard as lb
from pet2rep_space.config import load_config
from pet2rep_space.service import LeaderboardService

from pet2rep.text.ce import ORGANS

pytestmark = pytest.mark.slow

XSS_NAME = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
BAD_LINK = "javascript:<img/src=x/onerror=window.__xss=3>"
BASELINE_BACKGROUND = "rgb(255, 244, 204)"  # leaderboard.BASELINE_STYLE


def _fill(selector: str, value: str) -> str:
    import json

    return (
        f"(() => {{ const el = document.querySelector({json.dumps(selector)});"
        f" if (!el) return false; el.value = {json.dumps(value)};"
        " el.dispatchEvent(new Event('input', {bubbles: true})); return true; })()"
    )


# Words of the table (outside the Model column, where a long name may wrap anywhere) drawn over more than one line;
# and the table's parts that scroll sideways.
LAYOUT_PROBLEMS = """((table) => {
  const broken = [];
  for (const cell of document.querySelectorAll(`${table} th, ${table} .body-cell`)) {
    if (cell.getAttribute('aria-colindex') === '1') continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        // Each character's first box: a range that ends at a line wrap also reports a box on the next line.
        const tops = [];
        for (let k = 0; k < m[0].length; k++) {
          const range = document.createRange();
          range.setStart(node, m.index + k);
          range.setEnd(node, m.index + k + 1);
          const box = range.getClientRects()[0];
          if (box) tops.push(box.top);  // none: not drawn (a hidden copy)
        }
        if (Math.max(...tops) - Math.min(...tops) > 4) broken.push(m[0]);
      }
    }
  }
  const scrolling = [...document.querySelectorAll(`${table} *`)]
    .filter(e => e.scrollWidth > e.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
    .map(e => `${e.className}: ${e.scrollWidth} > ${e.clientWidth} px`);
  return {broken, scrolling};
})"""


def _models(table: str) -> str:
    return f"[...document.querySelectorAll('{table} .body-cell[aria-colindex=\"1\"]')].map(c => c.innerText.trim())"


MODEL_COLUMN = _models("#leaderboard-table")
PUBLISHED_MODELS = _models("#published-table")
HIGHLIGHTED_MODELS = (
    "[...document.querySelectorAll('#published-table .body-cell[aria-colindex=\"1\"]')]"
    f".filter(c => getComputedStyle(c).backgroundColor === '{BASELINE_BACKGROUND}').map(c => c.innerText.trim())"
)
# The options of the per-organ submission dropdown, once opened.
SUBMISSION_OPTIONS = (
    "[...document.querySelectorAll('ul.option-list li.item')].map(li => li.innerText.replace('✓', '').trim())"
)
ORGAN_AXIS = "[...document.querySelectorAll('#organ-chart svg .role-axis-label text')].map(t => t.textContent)"


def _open_column_menu(header: str, table: str = "#published-table") -> str:
    return (
        f"(() => {{ const th = [...document.querySelectorAll('{table} th')]"
        f".find(t => t.innerText.trim() === {json.dumps(header)}); if (!th) return false;"
        " th.querySelector('button.cell-menu-button').click(); return true; })()"
    )


def _click_button(text: str) -> str:
    return (
        "(() => { const b = [...document.querySelectorAll('button')]"
        f".find(b => b.innerText.trim() === {json.dumps(text)}); if (!b) return false; b.click(); return true; }})()"
    )


def _click_label(text: str) -> str:
    return (
        "(() => { const l = [...document.querySelectorAll('label')]"
        f".find(l => l.innerText.trim() === {json.dumps(text)}); if (!l) return false; l.click(); return true; }})()"
    )


def _click_tab(label: str) -> str:
    return (
        "(() => { const b = [...document.querySelectorAll('button[role=tab]')]"
        f".find(b => b.textContent.trim() === '{label}'); if (!b) return false; b.click(); return true; }})()"
    )


def test_leaderboard_and_submit_tabs_render_without_console_errors(
    tmp_path,
    browser_page,
    launch_space,
    references,
    references_dir,
    record_factory,
    leak_scanner,
    predictions_for,
    jsonl_writer,
    fixture_test_set,
):
    config = load_config({"PET2REP_DATA_DIR": str(tmp_path / "data"), "PET2REP_REFERENCES": str(references_dir)})
    service = LeaderboardService.from_config(config)
    own = service.test_set.as_record()
    service.store.add(
        record_factory(XSS_NAME, "mip", id="xss", submitted_at="2026-02-01T00:00:00+00:00", test_set=own)
    )
    every_organ = {
        o: {"precision": 1.0, "recall": i / 23, "f1": i / 23, "support": {"increased": i}}
        for i, o in enumerate(ORGANS)
    }
    service.store.add(
        record_factory(
            "Friendly-VLM",
            "fused",
            id="ok",
            submitted_at="2026-02-02T00:00:00+00:00",
            per_organ=every_organ,
            test_set=own,
        )
    )
    # Scored on another test set (an earlier version of the references): never in the default ranking.
    great = {"bleu_4": 0.9, "meteor": 0.9, "rouge_l": 0.9, "ce_precision": 0.9, "ce_recall": 0.9, "ce_f1": 0.9}
    service.store.add(record_factory("Elsewhere-VLM", id="elsewhere", scores=great))
    url = launch_space(service)
    # Stored after the app was built: the page loads it (table and per-organ dropdown), not the startup state.
    service.store.add(
        record_factory("Late-VLM", "separate", id="late", submitted_at="2026-02-03T00:00:00+00:00", test_set=own)
    )
    page = browser_page
    shots = tmp_path / "screenshots"
    shots.mkdir()

    page.send("Page.navigate", url=url)
    page.wait_for("document.querySelector('#published-table')?.innerText.includes('Template Baseline')")
    page.wait_for("document.querySelector('#leaderboard-table')?.innerText.includes('Late-VLM')")
    # The newest submission is chosen on load and its per-organ chart drawn.
    page.wait_for("!!document.querySelector('#organ-chart canvas, #organ-chart svg')")
    # The default view ranks one test set, the Space's own, named above the table; the paper's rows stand apart.
    assert sorted(page.evaluate(MODEL_COLUMN)) == sorted([XSS_NAME, "Friendly-VLM", "Late-VLM"])
    assert service.test_set.label() in page.evaluate("document.querySelector('#ranking-title').innerText")
    published = page.evaluate(PUBLISHED_MODELS)
    assert "Template Baseline" in published  # (rows are drawn as they scroll into view: not all 49 at once)
    assert not {"Friendly-VLM", "Elsewhere-VLM"} & set(published)
    assert "PET2Rep-565" in page.evaluate("document.querySelector('#published-title').innerText")
    table_text = page.evaluate("document.querySelector('#leaderboard-table').innerText")
    assert XSS_NAME in table_text  # the markup is shown as text ...
    assert page.evaluate("window.__xss === undefined")  # ... and never runs
    assert page.evaluate("document.querySelectorAll('#leaderboard-table script, #leaderboard-table img').length") == 0
    background = page.evaluate(
        "(() => { const cell = [...document.querySelectorAll('#published-table .body-cell')]"
        ".find(c => c.innerText.trim() === 'Template Baseline');"
        " return cell && getComputedStyle(cell).backgroundColor; })()"
    )
    assert background == BASELINE_BACKGROUND
    # Pleasant to read at 1400 px: every column in view, no value or header word broken over two lines.
    for table in ("#leaderboard-table", "#published-table"):
        page.evaluate(f"document.querySelector({json.dumps(table)}).scrollIntoView()")
        assert page.evaluate(f"{LAYOUT_PROBLEMS}({json.dumps(table)})") == {"broken": [], "scrolling": []}, table
    # The per-organ chart lists the organs head to toe, as reports do; organs with under 5 labels say so.
    page.click_like_a_user("#organ-submission input")
    page.wait_for(f"{SUBMISSION_OPTIONS}.some(o => o.startsWith('Late-VLM'))")
    page.evaluate("document.activeElement.blur()")  # closes the list; Friendly-VLM (chosen at startup) stays
    organs = [lb.organ_label(o) for o in ORGANS]
    axis = page.wait_for(f"(() => {{ const a = {ORGAN_AXIS}; return a.includes('bone') && a; }})()")
    shown = [label.split(" (")[0] for label in axis if label.split(" (")[0] in organs]
    assert shown == organs
    assert [label for label in axis if label.endswith("(n<5)")] == [f"{o} (n<5)" for o in organs[:5]]
    titles = page.evaluate(
        "[...document.querySelectorAll('#organ-chart svg .role-axis-title text')].map(t => t.textContent)"
    )
    assert sorted(titles) == ["CE F1", "organ (head to toe)"]
    leaderboard_png = page.screenshot(shots / "leaderboard.png")
    # Sortable from a header's menu; the highlight stays on the baseline's row. Best BLEU-4: the baseline (0.3150).
    assert page.evaluate(_open_column_menu(lb.METRIC_COLUMNS["bleu_4"]))
    assert page.evaluate(_click_button("Sort ascending"))
    page.wait_for(f"{PUBLISHED_MODELS}[0] !== 'Template Baseline'")
    assert page.evaluate(_open_column_menu(lb.METRIC_COLUMNS["bleu_4"]))
    assert page.evaluate(_click_button("Sort descending"))
    page.wait_for(f"{PUBLISHED_MODELS}[0] === 'Template Baseline'")
    assert page.evaluate(HIGHLIGHTED_MODELS) == ["Template Baseline"]
    # The search box narrows both tables down.
    assert page.evaluate(_fill("#search-model textarea, #search-model input", "qwen"))
    page.wait_for(f"{PUBLISHED_MODELS}.every(m => m.startsWith('Qwen'))")
    assert len(page.evaluate(PUBLISHED_MODELS)) == 8  # Qwen2.5-VL-7B/32B/72B and Qwen-VL-Max, two settings each
    page.wait_for(f"{MODEL_COLUMN}.length === 0")
    assert page.evaluate(_fill("#search-model textarea, #search-model input", ""))
    page.wait_for(f"{MODEL_COLUMN}.length === 3")
    page.evaluate("document.querySelector('#organ-chart').scrollIntoView()")
    chart_png = page.screenshot(shots / "organ_chart.png")
    page.evaluate("window.scrollTo(0, 0)")

    assert page.evaluate(_click_tab("Submit"))
    page.wait_for("document.querySelector('#submit-file')?.offsetParent !== null")
    assert page.evaluate(_fill("#submit-model-name textarea, #submit-model-name input", "Browser-VLM"))
    assert page.evaluate(_fill("#submit-model-url textarea, #submit-model-url input", BAD_LINK))
    page.evaluate("document.querySelector('#submit-button').click()")
    page.wait_for("document.body.innerText.includes('expected an http:// or https:// URL')")
    # The reason stays in the status box, in words, after the toast is gone.
    status = page.wait_for("document.querySelector('#submit-status textarea')?.value", timeout=30)
    assert status.startswith("Not accepted: model link: expected an http:// or https:// URL"), status
    # The echoed input is shown as the literal text it was, not as markup and not double-escaped.
    assert page.evaluate(f"document.body.innerText.includes({BAD_LINK!r})")
    assert page.evaluate("window.__xss === undefined")
    assert len(service.records()) == 4  # the refused submission stored nothing

    # A real submission through the form: a valid link and a file set on the upload input.
    predictions = jsonl_writer(tmp_path / "browser_predictions.jsonl", predictions_for(references, seed=21))
    assert page.evaluate(_fill("#submit-model-url textarea, #submit-model-url input", "https://example.org/vlm"))
    root = page.send("DOM.getDocument")["root"]["nodeId"]
    file_input = page.send("DOM.querySelector", nodeId=root, selector="#submit-file input[type=file]")["nodeId"]
    page.send("DOM.setFileInputFiles", files=[str(predictions)], nodeId=file_input)
    page.wait_for("document.querySelector('#submit-file').innerText.includes('browser_predictions.jsonl')")
    page.evaluate("document.querySelector('#submit-button').click()")
    status = page.wait_for(
        "(() => { const v = document.querySelector('#submit-status textarea')?.value;"
        " return v && v.startsWith('Accepted') && v; })()",
        timeout=60,
    )
    assert status.startswith("Accepted: 'Browser-VLM' (fused, 12 cases)."), status
    submit_png = page.screenshot(shots / "submit.png")
    assert [r["model_name"] for r in service.records()].count("Browser-VLM") == 1
    assert page.evaluate(_click_tab("Leaderboard"))
    page.wait_for("document.querySelector('#leaderboard-table').innerText.includes('Browser-VLM')")
    # The per-organ dropdown offers the new submission without a reload.
    page.click_like_a_user("#organ-submission input")
    page.wait_for(f"{SUBMISSION_OPTIONS}.some(o => o.startsWith('Browser-VLM'))")

    print(f"screenshots: {leaderboard_png} {chart_png} {submit_png}")
    assert all(png.stat().st_size > 10_000 for png in (leaderboard_png, chart_png, submit_png))
    assert leak_scanner(page.evaluate("document.documentElement.outerHTML")) == []
    assert page.errors == []

"""`pet2rep view` in a real headless Chromium (the DevTools helpers of this folder's conftest): a case of a small
build with two models renders its pictures, both reports, their scores and the organ table, without console errors;
the organ filter narrows the cases. The screenshot is written to the test's temp folder."""

from __future__ import annotations

import json

import pytest

from pet2rep import viewer

pytestmark = pytest.mark.slow

# The options of an open gradio dropdown (as test_browser.SUBMISSION_OPTIONS).
OPTIONS = "[...document.querySelectorAll('ul.option-list li.item')].map(li => li.innerText.replace('✓', '').trim())"


@pytest.fixture(scope="module")
def small_build(tmp_path_factory):
    from pet2rep.dataset.build import build_dataset
    from pet2rep.synth import synthesize_cohort

    root = tmp_path_factory.mktemp("viewer")
    synthesize_cohort(root / "cohort", 3, seed=0, size="small", progress=False)
    build_dataset(root / "cohort", root / "build", configs=["fused"], register=False, progress=False)
    return root / "build"


def test_viewer_renders_a_case_with_two_models(tmp_path, small_build, browser_page, port_factory):
    store = viewer.CaseStore(small_build, "fused")
    ids = list(store.references)
    # "copy" predicts each case's own reference; "shifted" predicts the next case's: it disagrees somewhere.
    copy = {c: store.references[c] for c in ids}
    shifted = {c: store.references[ids[(i + 1) % len(ids)]] for i, c in enumerate(ids)}
    disagree = {o: viewer.disagreeing_cases(store.references, {"shifted": shifted}, o) for o in viewer.ORGANS}
    organ = next(o for o, cases in disagree.items() if cases)
    paths = []
    for name, reports in (("copy", copy), ("shifted", shifted)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"case_id": k, "report": v}) + "\n" for k, v in reports.items()), "utf-8")
        paths.append(str(path))
    demo = viewer.build_app(store, viewer.load_models(paths))
    _, url, _ = viewer.launch(demo, port=port_factory(), prevent_thread_lock=True, quiet=True)
    try:
        assert url.startswith("http://127.0.0.1:")
        page = browser_page
        page.send("Page.navigate", url=url)
        page.wait_for("document.querySelectorAll('#case-pictures img').length >= 3", timeout=60)
        page.wait_for("document.querySelector('.p2r-organs') !== null")
        text = page.evaluate("document.querySelector('#case-reports').innerText")
        assert "Reference" in text and "copy" in text and "shifted" in text
        assert store.references[ids[0]][:20] in text and store.references[ids[1]][:20] in text
        assert "bleu_1 1.000" in text  # the copy of the reference
        header = page.evaluate("document.querySelector('.p2r-organs thead').innerText")
        assert "reference" in header and "copy" in header and "shifted" in header
        assert page.evaluate("document.querySelectorAll('.p2r-organs mark').length") > 0
        page.screenshot(tmp_path / "viewer_case.png")
        print(f"screenshot: {tmp_path / 'viewer_case.png'}")

        # The organ filter: open the dropdown as a user does, pick the organ; the case list narrows.
        page.click_like_a_user("#organ-filter input")
        page.wait_for(f"{OPTIONS}.includes({json.dumps(organ)})")
        page.evaluate(
            "[...document.querySelectorAll('ul.option-list li.item')]"
            f".find(li => li.innerText.replace('✓', '').trim() === {json.dumps(organ)})"
            ".dispatchEvent(new MouseEvent('mousedown', {bubbles: true}))"
        )
        expected = f"{len(disagree[organ])} of {len(ids)} case(s) where a model's {organ} states differ"
        page.wait_for(f"document.querySelector('#case-count').innerText.includes({json.dumps(expected)})")
        page.wait_for("document.querySelectorAll('.p2r-disagree').length > 0")
        page.evaluate("document.querySelector('.p2r-organs').scrollIntoView()")
        page.screenshot(tmp_path / "viewer_filtered.png")
        assert page.errors == []
    finally:
        demo.close()

"""PET2Rep leaderboard Space: the Gradio layout only. Data, scoring and storage live in ``pet2rep_space``.

Run locally: ``PET2REP_REFERENCES=data/pet2rep PET2REP_DATA_DIR=results/space_data python space/app.py``
(``make space``). Every setting is read by ``pet2rep_space.config``.
"""

from __future__ import annotations

import html
import logging
import sys
from pathlib import Path

import gradio as gr
from pet2rep_space import leaderboard as lb
from pet2rep_space.about import ABOUT, INTRO, TITLE
from pet2rep_space.config import SpaceConfig, load_config
from pet2rep_space.oracle import MIN_ORGAN_LABELS, ORGAN_DECIMALS, SMALL_ORGAN
from pet2rep_space.service import LeaderboardService, status_message
from pet2rep_space.store import READ_ONLY_MESSAGE
from pet2rep_space.testsets import PAPER_TEST_SET, TestSet
from pet2rep_space.validation import SETTINGS

from pet2rep.errors import Pet2RepError
from pet2rep.vocab import CATEGORIES, ORGANS, SUBMISSION_CATEGORY

APP_DIR = Path(__file__).resolve().parent
logger = logging.getLogger("pet2rep_space.app")

# System fonts only: the default theme fetches Google Fonts, which an offline machine cannot reach.
THEME = gr.themes.Soft(
    primary_hue="orange",
    font=["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)
# The table in the page's sans-serif font (gradio sets it in monospace), numbers in aligned figures, cells a little
# narrower than gradio's: the columns of lb.COLUMN_WIDTHS fit a 1400-pixel window.
CSS = """
#leaderboard-table .header-table, #leaderboard-table .virtual-row { font-family: var(--font); }
#leaderboard-table { font-variant-numeric: tabular-nums; }
#leaderboard-table .cell-wrap { padding-left: 6px; padding-right: 6px; }
"""
# No values, and as many labels as shown organs need (an organ without a record shows no bar, not "n<5").
EMPTY_ORGAN = {**dict.fromkeys(lb.ORGAN_METRICS, float("nan")), "support": {"increased": MIN_ORGAN_LABELS}}
SETTING_CHOICES = [*SETTINGS, "template"]
CATEGORY_CHOICES = [*CATEGORIES, SUBMISSION_CATEGORY]
ORGAN_ORDER = [lb.organ_label(organ) for organ in ORGANS]  # head to toe
ORGAN_HEADER = f"""### Per-organ clinical efficacy of a submission
Each organ's CE pooled over its three states (increased / decreased / absent), to {ORGAN_DECIMALS} decimals. An organ
without any abnormal label in the references and none predicted scores 0: there was nothing to find. Organs with fewer
than {MIN_ORGAN_LABELS} reference labels are marked *{SMALL_ORGAN}* and show no value."""
PUBLISHED_HEADER = f"""### Published reference points: the PET2Rep paper's Table 1
Measured by the paper's authors on their private cohort **{PAPER_TEST_SET.label()}**, copied here, never scored
here: another test set than the ranking above, so these rows are not ranked with it; compare with them only as an
indication. The **template baseline** (highlighted) emits the report template unchanged for every case."""
MAX_KEPT_ERRORS = 1000
TABLE_OPTIONS = {
    "interactive": False,
    "pinned_columns": 1,
    "max_height": 640,
    "wrap": True,
}


def organ_axis_title(metric: str) -> str:
    """The chart's value axis: ``CE F1``, ``CE precision``, ``CE recall``."""
    return f"CE {'F1' if metric == 'f1' else metric}"


def _table(frame):
    """The value for a leaderboard ``gr.Dataframe``: a Styler (baseline highlighted, numbers formatted)."""
    return lb.style_leaderboard(frame)


def organ_order(frame) -> list[str]:
    """The chart's organ axis, head to toe, with the labels the frame uses (``liver (n<5)``)."""
    labels = list(frame["organ"])
    return [next((x for x in labels if x.split(" (")[0] == organ), organ) for organ in ORGAN_ORDER]


def client_address(request: gr.Request | None, on_spaces: bool) -> str | None:
    """Who a submission attempt counts against for the rate limit: the client's address (on a Space, the first
    ``X-Forwarded-For`` hop, set by its proxy)."""
    if request is None:
        return None
    if on_spaces:
        forwarded = (request.headers.get("x-forwarded-for") or "").split(",")[0].strip()
        if forwarded:
            return f"ip:{forwarded}"
    host = getattr(request.client, "host", None)
    return f"ip:{host}" if host else None


def remove_upload(path: str | None) -> None:
    """Delete an uploaded predictions file from gradio's upload cache once it was scored (kept an hour otherwise);
    files anywhere else are left alone."""
    if not path:
        return
    upload = Path(path)
    try:
        cache = Path(gr.utils.get_upload_folder()).resolve()
        if not upload.resolve().is_relative_to(cache):
            return
        upload.unlink(missing_ok=True)
        if upload.parent.resolve() != cache:
            upload.parent.rmdir()  # gradio's per-upload folder, if now empty
    except OSError as e:  # a file already gone or a folder not empty: nothing to clean
        logger.debug("upload %s not removed: %s", upload.name, e)


def build_app(service: LeaderboardService) -> gr.Blocks:
    """The Blocks of the Space, wired to ``service``; launch it with :func:`launch`."""
    config = service.config
    # Why the last submission of a browser session was refused: shown in the status box (the toast vanishes).
    last_error: dict[str, str] = {}

    def tables(query, settings, categories, test_set_key, records=None):
        records = service.records() if records is None else records
        ranking = lb.filter_leaderboard(service.ranking(test_set_key, records), query, settings, categories)
        published = lb.filter_leaderboard(service.published_frame(), query, settings, categories)
        return _table(ranking), _table(published)

    def title(test_set_key, records):
        key = test_set_key or service.default_test_set(records)
        found = [r for r in records if r["test_set"]["content_hash"] == key]
        test_set = TestSet.from_record(found[0]["test_set"]) if found else None
        if test_set is None and service.test_set is not None and service.test_set.key == key:
            test_set = service.test_set
        return lb.ranking_title(test_set, len(found))

    def filtered(query, settings, categories, test_set_key):
        records = service.records()
        return (title(test_set_key, records), *tables(query, settings, categories, test_set_key, records))

    def refresh(query, settings, categories, test_set_key, chosen):
        records = service.records()
        choices = lb.submission_choices(records)
        ids = [value for _, value in choices]
        chosen = chosen if chosen in ids else (ids[0] if ids else None)
        sets = lb.test_set_choices(records, service.test_set)
        keys = [key for _, key in sets]
        test_set_key = test_set_key if test_set_key in keys else (keys[0] if keys else None)
        return (
            gr.Dropdown(choices=sets, value=test_set_key),
            title(test_set_key, records),
            *tables(query, settings, categories, test_set_key, records),
            gr.Dropdown(choices=choices, value=chosen),
        )

    def organ_values(record_id, metric):
        record = service.store.get(record_id) if record_id else None
        if record is None:
            # Every organ on the axis, no bars: the chart sizes its axis from the first value it gets.
            record = {"per_organ": dict.fromkeys(ORGANS, EMPTY_ORGAN)}
        return lb.organ_frame(record, metric)

    def organ_chart(record_id, metric):
        frame = organ_values(record_id, metric)
        return gr.BarPlot(frame, y_title=organ_axis_title(metric), sort=organ_order(frame))

    def submit_as(username, client, session, model_name, model_url, setting, predictions_file):
        try:
            record = service.submit(model_name, model_url, setting, predictions_file, username=username, client=client)
        except Pet2RepError as e:
            # Kept for the status box (the .failure listener of a browser session); API clients never read it back.
            last_error[session] = f"Not accepted: {e}"
            while len(last_error) > MAX_KEPT_ERRORS:
                last_error.pop(next(iter(last_error)))
            # The toast renders its message as HTML and the message may quote the submitter's input.
            raise gr.Error(html.escape(str(e), quote=False), title="Submission not accepted") from e
        # Scored and stored: the upload is not needed any more (a refused one stays, for a corrected resubmission,
        # until gradio's cache cleanup).
        remove_upload(predictions_file)
        last_error.pop(session, None)
        return status_message(record), _table(service.ranking())

    def show_error(request: gr.Request):
        session = getattr(request, "session_hash", None) or ""
        return last_error.pop(session, "Not accepted: the submission could not be processed; please try again.")

    if config.on_spaces:

        def submit(
            model_name, model_url, setting, predictions_file, profile: gr.OAuthProfile | None, request: gr.Request
        ):
            username = profile.username if profile else None
            client = client_address(request, True)
            session = getattr(request, "session_hash", None) or ""
            return submit_as(username, client, session, model_name, model_url, setting, predictions_file)

    else:

        def submit(model_name, model_url, setting, predictions_file, request: gr.Request):
            client = client_address(request, False)
            session = getattr(request, "session_hash", None) or ""
            return submit_as(None, client, session, model_name, model_url, setting, predictions_file)

    initial_records = service.records()
    initial_sets = lb.test_set_choices(initial_records, service.test_set)
    initial_key = initial_sets[0][1] if initial_sets else None
    initial_ranking, initial_published = tables("", None, None, initial_key, initial_records)
    choices = lb.submission_choices(initial_records)
    newest_id = choices[0][1] if choices else None
    initial_organs = organ_values(newest_id, "f1")
    # Uploads that are never submitted are deleted after 10 min (gradio's cache cleanup), scored ones at once.
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(600, 600)) as demo:
        gr.Markdown(INTRO)
        if config.on_spaces:  # outside a Space the button would call the Hub at build time
            gr.LoginButton()
        with gr.Tabs():
            with gr.Tab("Leaderboard", id="leaderboard", elem_id="tab-leaderboard"):
                with gr.Row():
                    query = gr.Textbox(label="Search model", placeholder="e.g. Qwen", scale=2, elem_id="search-model")
                    settings = gr.CheckboxGroup(SETTING_CHOICES, value=SETTING_CHOICES, label="Input setting", scale=2)
                    categories = gr.CheckboxGroup(CATEGORY_CHOICES, value=CATEGORY_CHOICES, label="Category", scale=3)
                    test_set = gr.Dropdown(
                        label="Test set ranked", choices=initial_sets, value=initial_key, scale=3, elem_id="test-set"
                    )
                heading = gr.Markdown(title(initial_key, initial_records), elem_id="ranking-title")
                table = gr.Dataframe(
                    initial_ranking,
                    datatype=lb.datatypes(initial_ranking.data),
                    column_widths=lb.column_widths(initial_ranking.data),
                    elem_id="leaderboard-table",
                    label=(
                        "Best overall first; sort by any column from its header's ⋮ menu. "
                        "NLG: text overlap; CE: clinical efficacy (P precision, R recall)"
                    ),
                    **TABLE_OPTIONS,
                )
                gr.Markdown(PUBLISHED_HEADER, elem_id="published-title")
                published = gr.Dataframe(
                    initial_published,
                    datatype=lb.datatypes(initial_published.data),
                    column_widths=lb.column_widths(initial_published.data),
                    elem_id="published-table",
                    label=f"Published on {PAPER_TEST_SET.label()}: not ranked with the submissions above",
                    **TABLE_OPTIONS,
                )
                gr.Markdown(ORGAN_HEADER)
                with gr.Row():
                    chosen = gr.Dropdown(
                        label="Submission", choices=choices, value=newest_id, scale=3, elem_id="organ-submission"
                    )
                    metric = gr.Radio(list(lb.ORGAN_METRICS), value="f1", label="CE score", scale=1)
                chart = gr.BarPlot(
                    initial_organs,
                    x="organ",
                    y="value",
                    y_lim=[0, 1],
                    sort=organ_order(initial_organs),
                    x_title="organ (head to toe)",
                    y_title=organ_axis_title("f1"),
                    x_label_angle=-40,
                    height=420,
                    elem_id="organ-chart",
                )
            with gr.Tab("Submit", id="submit", elem_id="tab-submit"):
                if not service.accepting:
                    gr.Markdown("**Submissions are closed:** this Space has no references configured.")
                elif service.store.read_only:
                    gr.Markdown(f"**Submissions are paused:** {READ_ONLY_MESSAGE}.")
                if service.test_set is not None:
                    gr.Markdown(f"Submissions are scored on the test set **{service.test_set.label()}**.")
                model_name = gr.Textbox(label="Model name", max_lines=1, elem_id="submit-model-name")
                model_url = gr.Textbox(
                    label="Model link (optional, http:// or https://)", max_lines=1, elem_id="submit-model-url"
                )
                setting = gr.Radio(list(SETTINGS), value="fused", label="Input setting")
                predictions_file = gr.File(
                    label='Predictions: JSONL, one {"case_id", "report"} per line',
                    file_types=[".jsonl"],
                    type="filepath",
                    elem_id="submit-file",
                )
                button = gr.Button("Submit", variant="primary", interactive=service.accepting, elem_id="submit-button")
                status = gr.Textbox(label="Status", interactive=False, elem_id="submit-status")
            with gr.Tab("About", id="about", elem_id="tab-about"):
                gr.Markdown(ABOUT)

        filters = [query, settings, categories, test_set]
        private = {"api_visibility": "private", "queue": False}
        board = [test_set, heading, table, published, chosen]
        # One listener for every filter, always run with the latest values once the previous run is done: separate
        # listeners ran side by side and a slower, older answer could overwrite a newer one.
        gr.on(
            [control.change for control in filters],
            filtered,
            filters,
            [heading, table, published],
            trigger_mode="always_last",
            **private,
        )
        submitted = button.click(
            submit,
            [model_name, model_url, setting, predictions_file],
            [status, table],
            api_name="submit",
            concurrency_limit=config.submit_concurrency,
        )
        submitted.success(refresh, [*filters, chosen], board, **private)
        submitted.failure(show_error, None, status, **private)
        gr.on(
            [chosen.change, metric.change], organ_chart, [chosen, metric], chart, trigger_mode="always_last", **private
        )
        demo.load(refresh, [*filters, chosen], board, **private)
    return demo


def launch(demo: gr.Blocks, config: SpaceConfig, **kwargs):
    """Launch with the Space's limits: upload cap, bounded queue, no share link, errors shown only via gr.Error."""
    demo.queue(max_size=config.queue_size)
    options = {
        "server_name": config.server_name,
        "server_port": config.server_port,
        "max_file_size": config.max_upload_bytes,
        "share": False,
        "show_error": False,
        "ssr_mode": False,
        "theme": THEME,
        "css": CSS,
        "footer_links": ["api"],
    }
    options.update(kwargs)
    return demo.launch(**options)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = load_config()
        service = LeaderboardService.from_config(config, app_dir=APP_DIR)
    except Pet2RepError as e:  # a setting or data folder that cannot be used: say which, without a traceback
        sys.exit(f"space: error: {e}")
    demo = build_app(service)
    if not port_is_free(config.server_name, config.server_port):
        sys.exit(
            f"space: error: port {config.server_port} on {config.server_name} is in use (another Space or "
            "`make space` running?); stop it or set GRADIO_SERVER_PORT to a free port"
        )
    try:
        launch(demo, config)
    except OSError as e:  # the port taken between the check and the launch, or an address that cannot be bound
        sys.exit(f"space: error: cannot listen on {config.server_name}:{config.server_port}: {e}")


def port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be bound now (gradio's own message for a busy port is a traceback)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


if __name__ == "__main__":
    main()

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
from pet2rep_space.service import LeaderboardService, status_message
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
EMPTY_ORGAN = dict.fromkeys(lb.ORGAN_METRICS, float("nan"))
SETTING_CHOICES = [*SETTINGS, "template"]
CATEGORY_CHOICES = [*CATEGORIES, SUBMISSION_CATEGORY]
SOURCE_CHOICES = [lb.SOURCE_PAPER, lb.SOURCE_SUBMISSION]
ORGAN_ORDER = [lb.organ_label(organ) for organ in ORGANS]  # head to toe
ORGAN_HEADER = """### Per-organ clinical efficacy of a submission
Each organ's CE pooled over its three states (increased / decreased / absent). An organ without any abnormal label in
the references and none predicted scores 0: there was nothing to find."""


def organ_axis_title(metric: str) -> str:
    """The chart's value axis: ``CE F1``, ``CE precision``, ``CE recall``."""
    return f"CE {'F1' if metric == 'f1' else metric}"


def _table(frame):
    """The value for the leaderboard ``gr.Dataframe``: a Styler (baseline highlighted, numbers formatted)."""
    return lb.style_leaderboard(frame)


def build_app(service: LeaderboardService) -> gr.Blocks:
    """The Blocks of the Space, wired to ``service``; launch it with :func:`launch`."""
    config = service.config

    def filtered(query, settings, categories, sources):
        return _table(lb.filter_leaderboard(service.leaderboard(), query, settings, categories, sources))

    def refresh(query, settings, categories, sources, chosen):
        records = service.records()
        choices = lb.submission_choices(records)
        ids = [value for _, value in choices]
        chosen = chosen if chosen in ids else (ids[0] if ids else None)
        frame = lb.filter_leaderboard(
            lb.build_leaderboard(service.published, records), query, settings, categories, sources
        )
        return _table(frame), gr.Dropdown(choices=choices, value=chosen)

    def organ_values(record_id, metric):
        record = service.store.get(record_id) if record_id else None
        if record is None:
            # Every organ on the axis, no bars: the chart sizes its axis from the first value it gets.
            record = {"per_organ": dict.fromkeys(ORGANS, EMPTY_ORGAN)}
        return lb.organ_frame(record, metric)

    def organ_chart(record_id, metric):
        return gr.BarPlot(organ_values(record_id, metric), y_title=organ_axis_title(metric))

    def submit_as(username, model_name, model_url, setting, predictions_file):
        try:
            record = service.submit(model_name, model_url, setting, predictions_file, username=username)
        except Pet2RepError as e:
            # The toast renders its message as HTML and the message may quote the submitter's input.
            raise gr.Error(html.escape(str(e), quote=False), title="Submission not accepted") from e
        return status_message(record), _table(service.leaderboard())

    if config.on_spaces:

        def submit(model_name, model_url, setting, predictions_file, profile: gr.OAuthProfile | None):
            return submit_as(profile.username if profile else None, model_name, model_url, setting, predictions_file)

    else:

        def submit(model_name, model_url, setting, predictions_file):
            return submit_as(None, model_name, model_url, setting, predictions_file)

    initial_records = service.records()
    initial_frame = lb.build_leaderboard(service.published, initial_records)
    choices = lb.submission_choices(initial_records)
    newest_id = choices[0][1] if choices else None
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(INTRO)
        if config.on_spaces:  # outside a Space the button would call the Hub at build time
            gr.LoginButton()
        with gr.Tabs():
            with gr.Tab("Leaderboard", id="leaderboard", elem_id="tab-leaderboard"):
                with gr.Row():
                    query = gr.Textbox(label="Search model", placeholder="e.g. Qwen", scale=2, elem_id="search-model")
                    settings = gr.CheckboxGroup(SETTING_CHOICES, value=SETTING_CHOICES, label="Input setting", scale=2)
                    categories = gr.CheckboxGroup(CATEGORY_CHOICES, value=CATEGORY_CHOICES, label="Category", scale=3)
                    sources = gr.CheckboxGroup(SOURCE_CHOICES, value=SOURCE_CHOICES, label="Source", scale=2)
                table = gr.Dataframe(
                    _table(initial_frame),
                    datatype=lb.datatypes(initial_frame),
                    column_widths=lb.column_widths(initial_frame),
                    interactive=False,
                    pinned_columns=1,
                    max_height=640,
                    wrap=True,
                    elem_id="leaderboard-table",
                    label=(
                        "Best overall first; sort by any column from its header's ⋮ menu. "
                        "NLG: text overlap; CE: clinical efficacy (P precision, R recall)"
                    ),
                )
                gr.Markdown(ORGAN_HEADER)
                with gr.Row():
                    chosen = gr.Dropdown(
                        label="Submission", choices=choices, value=newest_id, scale=3, elem_id="organ-submission"
                    )
                    metric = gr.Radio(list(lb.ORGAN_METRICS), value="f1", label="CE score", scale=1)
                chart = gr.BarPlot(
                    organ_values(newest_id, "f1"),
                    x="organ",
                    y="value",
                    y_lim=[0, 1],
                    sort=ORGAN_ORDER,
                    x_title="organ (head to toe)",
                    y_title=organ_axis_title("f1"),
                    x_label_angle=-40,
                    height=420,
                    elem_id="organ-chart",
                )
            with gr.Tab("Submit", id="submit", elem_id="tab-submit"):
                if not service.accepting:
                    gr.Markdown("**Submissions are closed:** this Space has no references configured.")
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

        filters = [query, settings, categories, sources]
        private = {"api_visibility": "private", "queue": False}
        # One listener for every filter, always run with the latest values once the previous run is done: separate
        # listeners ran side by side and a slower, older answer could overwrite a newer one.
        gr.on([control.change for control in filters], filtered, filters, table, trigger_mode="always_last", **private)
        button.click(
            submit,
            [model_name, model_url, setting, predictions_file],
            [status, table],
            api_name="submit",
            concurrency_limit=config.submit_concurrency,
        ).success(refresh, [*filters, chosen], [table, chosen], **private)
        gr.on(
            [chosen.change, metric.change], organ_chart, [chosen, metric], chart, trigger_mode="always_last", **private
        )
        demo.load(refresh, [*filters, chosen], [table, chosen], **private)
    return demo


def launch(demo: gr.Blocks, config: SpaceConfig, **kwargs):
    """Launch with the Space's limits: upload cap, bounded queue, no share link, errors shown only via gr.Error."""
    demo.queue(max_size=100)
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
    except Pet2RepError as e:  # a setting that cannot be used: say which, without a traceback
        sys.exit(f"space: error: {e}")
    service = LeaderboardService.from_config(config, app_dir=APP_DIR)
    launch(build_app(service), config)


if __name__ == "__main__":
    main()

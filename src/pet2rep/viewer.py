"""The case viewer behind ``pet2rep view``: browse a built dataset with the reports of one or more models.

For each case: the pictures of one config, the reference and every model's report side by side, the per-case NLG
scores of each model, and a per-organ table of reference vs predicted CE states with the evidence that decided
them (the CE audit view, :func:`pet2rep.text.ce.audit.audit_report`, cue words highlighted). A filter keeps the
cases where a chosen organ's states disagree between the reference and a model.

The pure functions (:func:`load_models`, :func:`disagreeing_cases`, :func:`case_scores`, :func:`reports_html`,
:func:`organ_table_html`) hold the logic; :func:`build_app` is a thin Gradio adapter and :func:`launch` binds it to
127.0.0.1 only: the viewer shows reference reports.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from pet2rep.errors import InputError, require
from pet2rep.vocab import ORGANS

HOST = "127.0.0.1"
DEFAULT_PORT = 7861
ALL_CASES = "(all cases)"
NLG_KEYS = ("bleu_1", "bleu_4", "meteor", "rouge_l")
NO_PREDICTION = "(no prediction for this case)"
NO_REFERENCE = "(no reference report)"


def parse_model_arg(value: str) -> tuple[str, Path]:
    """``NAME=PATH`` or ``PATH`` (the name is then the file name without ``.jsonl``)."""
    name, sep, path = value.partition("=")
    if not sep:
        return Path(value).stem, Path(value)
    if not name.strip() or not path:
        raise InputError(f"--predictions: expected PATH or NAME=PATH; got {value!r}")
    return name.strip(), Path(path)


def load_models(values: Sequence[str]) -> dict[str, dict[str, str]]:
    """``{model name: {case_id: report}}`` from ``--predictions`` values (``PATH`` or ``NAME=PATH``).

    Raises:
        InputError: two models with the same name (name them with ``NAME=PATH``), or an unreadable JSONL.
        MissingFileError: a file that does not exist.
    """
    from pet2rep.reports import read_reports_jsonl

    models: dict[str, dict[str, str]] = {}
    for value in values:
        name, path = parse_model_arg(value)
        if name in models:
            raise InputError(f"--predictions: two models named {name!r}; name them apart with NAME=PATH")
        models[name] = read_reports_jsonl(path)
    return models


@lru_cache(maxsize=4096)
def audit(text: str) -> dict:
    """The CE audit of a report (cached: the filter and the table audit the same texts)."""
    from pet2rep.text.ce.audit import audit_report

    return audit_report(text)


def organ_states(text: str | None) -> dict[str, list[str]]:
    """``{organ: [states]}`` of a report; None (no report) gives ``{}``."""
    return audit(text)["labels"] if text and text.strip() else {}


def disagreeing_cases(
    references: Mapping[str, str | None], models: Mapping[str, Mapping[str, str]], organ: str
) -> list[str]:
    """The cases (reference order) where some model's states of ``organ`` differ from the reference's.

    A case without a reference, or without a prediction of a model, does not count for that model.

    Raises:
        InputError: ``organ`` is not one of :data:`~pet2rep.vocab.ORGANS`.
    """
    if organ not in ORGANS:
        raise InputError(f"unknown organ {organ!r}; expected one of {', '.join(ORGANS)}")
    out = []
    for case_id, reference in references.items():
        if not reference or not reference.strip():
            continue
        ref = organ_states(reference).get(organ, [])
        if any(
            case_id in predictions and organ_states(predictions[case_id]).get(organ, []) != ref
            for predictions in models.values()
        ):
            out.append(case_id)
    return out


def case_scores(reference: str | None, predictions: Mapping[str, str | None]) -> dict[str, dict[str, float]]:
    """``{model: {nlg key: value}}`` of one case (:data:`NLG_KEYS`); models without a prediction are left out."""
    if not reference or not reference.strip():
        return {}
    from pet2rep.metrics import score

    out = {}
    for name, prediction in predictions.items():
        if prediction is None or not prediction.strip():
            continue
        result = score([prediction], [reference], metrics=["nlg"], bootstrap=0, return_per_sample=False)
        out[name] = {key: float(result[key]) for key in NLG_KEYS}
    return out


def _pre(text: str | None, missing: str) -> str:
    if text is None or not text.strip():
        return f'<div class="p2r-missing">{html.escape(missing)}</div>'
    return f'<div class="p2r-report">{html.escape(text)}</div>'


def reports_html(reference: str | None, predictions: Mapping[str, str | None], scores: Mapping[str, dict]) -> str:
    """The reference and each model's report side by side, each model's NLG scores under its name."""
    columns = [f'<div class="p2r-col"><h4>Reference</h4>{_pre(reference, NO_REFERENCE)}</div>']
    for name, text in predictions.items():
        figures = scores.get(name)
        line = (
            " · ".join(f"{key} {figures[key]:.3f}" for key in NLG_KEYS)
            if figures
            else "no NLG scores (no reference or no prediction)"
        )
        columns.append(
            f'<div class="p2r-col"><h4>{html.escape(name)}</h4><div class="p2r-scores">{html.escape(line)}</div>'
            f"{_pre(text, NO_PREDICTION)}</div>"
        )
    return f'<div class="p2r-reports">{"".join(columns)}</div>'


def _highlight(sentence: str, cues: Sequence[str]) -> str:
    """``sentence`` HTML-escaped with each cue word in a ``<mark>`` (longest cue first, no overlaps)."""
    spans: list[tuple[int, int]] = []
    for cue in sorted({c for c in cues if c}, key=len, reverse=True):
        start = sentence.find(cue)
        while start >= 0:
            end = start + len(cue)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = sentence.find(cue, end)
    out, pos = [], 0
    for start, end in sorted(spans):
        out.append(html.escape(sentence[pos:start]))
        out.append(f"<mark>{html.escape(sentence[start:end])}</mark>")
        pos = end
    out.append(html.escape(sentence[pos:]))
    return "".join(out)


def _evidence_html(text: str | None, organ: str) -> str:
    if not text or not text.strip():
        return ""
    items = audit(text)["evidence"].get(organ, [])
    return "".join(
        f'<div class="p2r-evidence">[{html.escape("+".join(item["states"]))}] '
        f"{_highlight(item['sentence'], item['cues'])}</div>"
        for item in items
    )


def organ_table_html(reference: str | None, predictions: Mapping[str, str | None]) -> str:
    """Per organ with a state on either side: the reference's and each model's states, evidence spans highlighted.

    A model cell whose states differ from the reference's is marked ``p2r-disagree`` (and says "≠").
    """
    ref_states = organ_states(reference)
    model_states = {name: organ_states(text) for name, text in predictions.items()}
    organs = [o for o in ORGANS if o in ref_states or any(o in s for s in model_states.values())]
    head = "".join(f"<th>{html.escape(name)}</th>" for name in predictions)
    rows = []
    for organ in organs:
        ref = ref_states.get(organ, [])
        cells = [f"<td>{html.escape(', '.join(ref) or 'normal')}{_evidence_html(reference, organ)}</td>"]
        for name, text in predictions.items():
            states = model_states[name].get(organ, [])
            differ = reference is not None and text is not None and states != ref
            mark = "≠ " if differ else ""
            cells.append(
                f'<td class="{"p2r-disagree" if differ else "p2r-agree"}">{mark}'
                f"{html.escape(', '.join(states) or 'normal')}{_evidence_html(text, organ)}</td>"
            )
        rows.append(f"<tr><th>{html.escape(organ)}</th>{''.join(cells)}</tr>")
    if not rows:
        rows.append(f'<tr><td colspan="{2 + len(predictions)}">no organ with an abnormal state on any side</td></tr>')
    return (
        f'<table class="p2r-organs"><thead><tr><th>organ</th><th>reference</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


CSS = """
.p2r-reports {display: flex; gap: 12px; align-items: flex-start;}
.p2r-col {flex: 1 1 0; min-width: 0;}
.p2r-report {white-space: pre-wrap; font-size: 14px; line-height: 1.5;}
.p2r-missing {font-style: italic; opacity: 0.7;}
.p2r-scores {font-size: 12px; margin-bottom: 6px; opacity: 0.85;}
.p2r-organs {border-collapse: collapse; width: 100%; font-size: 13px; table-layout: fixed;}
.p2r-organs thead th:first-child {width: 170px;}
.p2r-organs th, .p2r-organs td {border: 1px solid #ccc; padding: 4px 6px; vertical-align: top; text-align: left;}
.p2r-disagree {background: #fde2e1;}
.p2r-evidence {font-size: 12px; opacity: 0.85; margin-top: 2px;}
.p2r-evidence mark {background: #ffe58a; padding: 0 1px;}
"""


class CaseStore:
    """The cases of one config of a build: ids, references (None for an image-only case) and pictures."""

    def __init__(self, data: str | Path, config: str):
        from pet2rep.dataset.load import load_split
        from pet2rep.dataset.schema import VOLUME_CONFIG

        if config == VOLUME_CONFIG:
            raise InputError(f"pet2rep view shows pictures: pick a picture config, not {VOLUME_CONFIG!r}")
        self.config = config
        self.ds = load_split(str(data), config, columns=("case_id", "report", "images", "image_names"))
        ids = self.ds["case_id"]
        reports = self.ds["report"]
        self.index = {case_id: i for i, case_id in enumerate(ids)}
        self.references: dict[str, str | None] = {
            case_id: (r if isinstance(r, str) and r.strip() else None) for case_id, r in zip(ids, reports, strict=True)
        }

    def pictures(self, case_id: str) -> list[tuple]:
        """``[(PIL image, name)]`` of a case."""
        row = self.ds[self.index[case_id]]
        return list(zip(row["images"], row["image_names"], strict=True))


def build_app(store: CaseStore, models: Mapping[str, Mapping[str, str]]):
    """The Gradio Blocks of the viewer (not launched)."""
    gr = require("gradio", "space")
    case_ids = list(store.references)
    unknown = sorted({c for preds in models.values() for c in preds if c not in store.index})

    def show(case_id: str | None):
        if not case_id or case_id not in store.index:
            return [], "", "", ""
        reference = store.references[case_id]
        predictions = {name: preds.get(case_id) for name, preds in models.items()}
        scores = case_scores(reference, predictions)
        header = f"**{case_id}** · config `{store.config}` · {len(models)} model(s)"
        return (
            store.pictures(case_id),
            header,
            reports_html(reference, predictions, scores),
            organ_table_html(reference, predictions),
        )

    def filter_cases(organ: str):
        ids = case_ids if organ == ALL_CASES else disagreeing_cases(store.references, models, organ)
        note = (
            f"{len(ids)} of {len(case_ids)} case(s)"
            if organ == ALL_CASES
            else f"{len(ids)} of {len(case_ids)} case(s) where a model's {organ} states differ from the reference"
        )
        first = ids[0] if ids else None
        return gr.update(choices=ids, value=first), note

    with gr.Blocks(title="pet2rep case viewer") as demo:
        gr.HTML(f"<style>{CSS}</style>")
        gr.Markdown("# pet2rep case viewer\nLocal only: it shows reference reports.")
        if unknown:
            gr.Markdown(f"{len(unknown)} predicted case id(s) are not in this build (e.g. {unknown[0]!r}).")
        with gr.Row():
            organ = gr.Dropdown(
                [ALL_CASES, *ORGANS], value=ALL_CASES, label="Cases where this organ disagrees", elem_id="organ-filter"
            )
            case = gr.Dropdown(case_ids, value=case_ids[0] if case_ids else None, label="Case", elem_id="case-pick")
        count = gr.Markdown(f"{len(case_ids)} of {len(case_ids)} case(s)", elem_id="case-count")
        header = gr.Markdown(elem_id="case-header")
        gallery = gr.Gallery(label="Pictures", columns=6, height=300, object_fit="contain", elem_id="case-pictures")
        reports = gr.HTML(elem_id="case-reports")
        table = gr.HTML(elem_id="case-organs")
        outputs = [gallery, header, reports, table]
        organ.change(filter_cases, organ, [case, count])
        case.change(show, case, outputs)
        demo.load(show, case, outputs)
    return demo


def launch(demo, port: int = DEFAULT_PORT, **kwargs):
    """Serve the viewer on 127.0.0.1 only (never a share link: the viewer shows references)."""
    return demo.launch(server_name=HOST, server_port=port, share=False, **kwargs)

"""Gradio widget for the pet2rep_ce metric (evaluate's launch_gradio_widget uses APIs gradio 6 removed)."""

import json
from pathlib import Path

import evaluate
import gradio as gr

from pet2rep.vocab import AUTO_LANG, LANGS

module = evaluate.load(str(Path(__file__).with_name("pet2rep_ce.py")))


def compute(predictions: str, references: str, lang: str, include_nlg: bool) -> str:
    """One report per line on each side; returns the scores as JSON."""
    preds = predictions.splitlines()
    refs = references.splitlines()
    try:
        result = module.compute(predictions=preds, references=refs, lang=lang, include_nlg=include_nlg)
    except ValueError as e:  # pet2rep's InputError: a message meant for the user
        raise gr.Error(str(e)) from None
    return json.dumps(result, ensure_ascii=False, indent=1)


demo = gr.Interface(
    fn=compute,
    inputs=[
        gr.Textbox(label="predictions (one report per line)", lines=6),
        gr.Textbox(label="references (one report per line)", lines=6),
        gr.Dropdown([AUTO_LANG, *LANGS], value=AUTO_LANG, label="lang"),
        gr.Checkbox(label="include NLG metrics (BLEU, METEOR, ROUGE-L)"),
    ],
    outputs=gr.Code(language="json", label="scores"),
    title="PET2Rep clinical efficacy (CE)",
    description=module.info.description,
)

if __name__ == "__main__":
    demo.launch()

"""Text of the Space: the header and the About tab (task, exact metric definitions, how to submit)."""

from __future__ import annotations

from pet2rep.paper import PAPER_URL

TITLE = "PET2Rep leaderboard"

INTRO = f"""
# PET2Rep leaderboard
Report generation from whole-body **FDG PET/CT**: a vision-language model reads coronal key slices and
drafts the Chinese radiology report. Rows marked *paper (published)* are Table 1 of
[PET2Rep]({PAPER_URL}) (AAAI 2026); the **template baseline** (highlighted) emits the report template
unchanged for every case: the bar to beat. Submissions are scored here against private references.
"""

ABOUT = f"""
## The task
Each case is one whole-body FDG PET/CT study. A model sees coronal key slices in one of three **input
settings** and writes the findings report:

- `separate`: for each of 3 coronal locations a grayscale CT slice and a pseudo-coloured PET slice (6 images);
- `fused`: the 3 fused PET/CT slices (3 images);
- `mip`: the coronal whole-body PET maximum intensity projection, then the 3 fused slices (4 images; this project's
  addition, not in the paper).

The paper's results ([arXiv 2508.04062]({PAPER_URL})) were measured on its private 565-case cohort. This
Space's own references are a different, private set: compare submissions with each other directly and with
the paper's rows only as an indication.

## Reading the table
One row per model and input setting, best **Overall (%)** first. *Category*: the paper's grouping (general,
medical or closed models; the template baseline) or *community* for submissions. *Source*: *paper (published)*
rows are copied from the paper; *submission* rows were scored here. *Date*: the model's release month for the
paper's rows, the day of submission for the others. **NLG ·** columns measure text overlap with the reference
report, **CE ·** columns clinical efficacy (P precision, R recall, F1).

## Metrics (exact definitions)
**Tokens.** Chinese text is cut with `jieba.lcut` (default dictionary); English text into lower-cased
`[a-z0-9]+` runs; `auto` picks Chinese when CJK characters are over 10% of the letters. Tokens made only
of whitespace, punctuation or symbols (Unicode categories Z\\*, P\\*, S\\*) are dropped.

**NLG** (text overlap), computed per case and averaged over cases:

- **BLEU-4**: nltk `sentence_bleu([reference], prediction, weights=(1/4,)*4,
  smoothing_function=SmoothingFunction().method1)`.
- **METEOR**: nltk `single_meteor_score(reference, prediction)` with its default parameters and stemming, the
  WordNet synonym stage disabled.
- **ROUGE-L**: the LCS F-measure as `rouge_score` defines it (P = LCS / prediction length,
  R = LCS / reference length).

An empty prediction scores 0.

**CE** (clinical efficacy): for 24 key organs (brain, eye, sinus, pharynx, salivary gland, thyroid, cervical
lymph nodes, lung, mediastinal lymph nodes, breast, esophagus, liver, gallbladder, pancreas, spleen, kidney,
adrenal, stomach, intestine, abdominal lymph nodes, prostate, uterus/adnexa, bladder, bone) a rule-based
extractor reads the radiotracer uptake state from both reports: *increased*, *decreased* or *absent* (an organ
may hold several; an organ not mentioned is normal). A statement needs an uptake word (摄取, 代谢, 放射性,
浓聚, FDG, SUV, ...); CT density words are not uptake; negated states are normal, while "未见摄取" is absent; a
lymph node belongs to its node group, not to the organ it lies by; an organ named only as a comparison
(高于肝脏本底) is not the subject. Every (case, organ) pair is a row with one binary column per state;
**CE precision, recall and F1** are the macro averages over the three states of the per-state scores, 0 where
a denominator is 0: what scikit-learn's `precision_recall_fscore_support(Y_ref, Y_pred, average="macro",
zero_division=0)` gives on the two indicator matrices.

**Overall (%)** is the mean of BLEU-4, METEOR, ROUGE-L, CE precision, CE recall and CE F1, times 100, as in
the paper. The per-organ chart shows, for one submission, each organ's CE precision, recall or F1 pooled (micro
averaged) over its three state columns; the support counts stay on the server.

## How to submit
1. Run your model on the benchmark's test cases in one input setting (the dataset card and the `pet2rep`
   package give the prompts and the images of each setting).
2. Write one JSON object per line: `{{"case_id": "...", "report": "..."}}`, UTF-8, one line for every test
   case and no other case. An empty report is allowed (it scores 0).
3. In the **Submit** tab give the model name (plain text), an optional http(s) link to the model, the input
   setting, and the file. Or from Python:

```python
from gradio_client import Client, handle_file

client = Client("<this Space>")
message, table = client.predict(
    "my-model", "https://huggingface.co/org/my-model", "fused", handle_file("predictions.jsonl"),
    api_name="/submit",
)
```

Only aggregate scores are shown; neither per-case scores nor reference text ever leave the Space.
On the hosted Space you sign in with Hugging Face; each account has a daily quota and a minimum gap between
submissions, and the same predictions for the same setting are accepted once.
"""

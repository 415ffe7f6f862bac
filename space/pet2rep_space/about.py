"""Text of the Space: the header and the About tab (task, exact metric definitions, how to submit)."""

from __future__ import annotations

from pet2rep.paper import PAPER_URL
from pet2rep_space.leaderboard import SUBMISSION_CATEGORY
from pet2rep_space.oracle import (
    MAX_EMPTY_SHARE,
    MAX_REPORT_CHARS,
    MAX_UNCHANGED_SHARE,
    METRIC_DECIMALS,
    MIN_CHANGED_CASES,
    MIN_ORGAN_LABELS,
    ORGAN_DECIMALS,
    OVERALL_DECIMALS,
)
from pet2rep_space.testsets import PAPER_TEST_SET

TITLE = "PET2Rep leaderboard"

INTRO = f"""
# PET2Rep leaderboard
Report generation from whole-body **FDG PET/CT**: a vision-language model reads coronal key slices and
drafts the Chinese radiology report. Submissions are scored here against this Space's private references and
ranked **only against each other, on one test set at a time**. The rows of
[PET2Rep]({PAPER_URL}) (AAAI 2026, Table 1) were measured on another cohort ({PAPER_TEST_SET.label()}): they are
shown apart, as published reference points, never in the ranking.
"""

ABOUT = f"""
## The task
Each case is one whole-body FDG PET/CT study. A model sees coronal key slices in one of four **input
settings** and writes the findings report:

- `separate`: for each of 3 coronal locations a grayscale CT slice and a pseudo-coloured PET slice (6 images);
- `fused`: the 3 fused PET/CT slices (3 images);
- `mip`: the coronal whole-body PET maximum intensity projection, then the 3 fused slices (4 images; this project's
  addition, not in the paper);
- `lesion`: 3 fused PET/CT slices on coronal planes chosen through the lesions (the study's lesion mask, else SUV
  hot spots) instead of the body's centre (3 images; this project's addition: the dataset records which share of
  the lesions the planes cut, for every setting's planes).

## Test sets
Every score belongs to a **test set**: the reference reports it was measured on, named by its name, version, case
count and the content hash of its build (`pet2rep build` writes it in the dataset card). Scores on different test
sets are not comparable, so the ranking shows one test set at a time (*Test set ranked*; by default the references
this Space holds). The paper's results ([arXiv 2508.04062]({PAPER_URL})) were measured on its private cohort
**{PAPER_TEST_SET.label()}**; they are listed apart under *Published reference points*. Synthetic and demo test
sets (the phantom cases of `make demo`) are labelled as such: a ranking on them checks the pipeline only.

## Reading the table
One row per model and input setting, best **Overall (%)** first. *Category*: the paper's grouping (general,
medical or closed models; the template baseline) or *{SUBMISSION_CATEGORY}* for submissions. *Test set*: the
references a row was scored on ({PAPER_TEST_SET.name} (published) for the paper's rows). *Date*: the model's release
month for the paper's rows, the day of submission for the others. **NLG ·** columns measure text overlap with the
reference report, **CE ·** columns clinical efficacy (P precision, R recall, F1). Metrics are shown to
{METRIC_DECIMALS} decimals and Overall to {OVERALL_DECIMALS}: no more precise figure leaves the Space.

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
   case and no other case. A report has at most {MAX_REPORT_CHARS:,} characters; an empty report scores 0 and at
   most {MAX_EMPTY_SHARE:.0%} of the reports may be empty.
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

On the hosted Space you sign in with Hugging Face; each account has a daily quota and a minimum gap between
submissions, every client a limit on attempts per hour, and the same predictions for the same setting are accepted
once. The uploaded file is deleted once it is scored; only the record of an accepted submission is kept (its
aggregate scores, per-organ CE and a hash of each report, for the near-duplicate check below).

## What a submitter can and cannot learn (threat model)
The references are private patient reports. A submitter controls the predictions and sees the scores; the
danger is a **score oracle**: submit A, then A with one report changed, and the difference of the two aggregates
times the case count is that one case's score change. Repeated, that reconstructs the references word by word.
What this Space does about it:

- **Rounding.** Every figure that leaves the Space (the table, the confirmation, the API's answer, the per-organ
  chart) is rounded: metrics to {METRIC_DECIMALS} decimals, Overall to {OVERALL_DECIMALS}, per-organ CE to
  {ORGAN_DECIMALS}. On a test set of hundreds of cases one case's change is below that precision.
- **Near-duplicates are refused.** A submission whose reports equal those of an earlier submission on the same
  test set (any account, any setting) in more than {MAX_UNCHANGED_SHARE:.0%} of the cases, or in all but fewer than
  {MIN_CHANGED_CASES}, is refused with a message naming the earlier submission.
- **Empty reports are limited** to {MAX_EMPTY_SHARE:.0%} of the cases: an empty report scores exactly 0 and would
  isolate the others.
- **Small organs are hidden.** Per-organ figures of an organ with fewer than {MIN_ORGAN_LABELS} reference labels
  show "n<{MIN_ORGAN_LABELS}": a ratio such as 2/7 would reveal how many cases carry a label.
- **Limits.** Quotas per account, attempts per client, report length and upload size bound how many probes
  anyone can make and what each costs the Space.

What a submitter **can** learn: the aggregate scores of each accepted submission at the precision shown, and
per-organ CE of organs with enough labels. Aggregates over many cases do reveal something about the references
(e.g. how well a template matches them); that is what a benchmark publishes. What a submitter **cannot** get: any
reference text, any per-case score, the scores of a refused submission, or figures more precise than shown.
Not defended: many accounts working together far below the quotas, and guesses built from public knowledge of
how such reports are written.
"""

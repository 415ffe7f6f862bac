"""Benchmark: pet2rep.metrics.score on 565 report pairs of ~800 Chinese characters vs the reference implementations.

The corpus is synthetic but real-shaped (seeded): sentences of the official demo report and of the benchmark's
template recombined head to toe, with edits (other organs, sides, sizes, SUV values, uptake states, new lesion
sentences). Timed, each as the median of ``--repeat`` runs in this process:

- tokenization alone (jieba, memo cleared before every run) and plain ``jieba.lcut`` for comparison;
- ``score(predictions, references)`` with every metric (tokenization, BLEU-1..4, METEOR, ROUGE-L, CE with its
  1000-resample bootstrap), jieba and nltk already loaded, the tokenizer and CE memos cleared before every run;
- the NLG part alone on pre-computed tokens;
- the reference implementations on the same tokens: nltk ``sentence_bleu`` x4 (method1), nltk
  ``single_meteor_score`` (WordNet disabled), ``rouge_score`` ROUGE-L — once; their numbers must equal ours.

Targets (issue 3): score < 1 s and >= 10x faster than the reference implementations. Different numbers are an
error (exit 1); a missed target is printed, and fails only with ``--strict``.

    python benchmarks/bench_metrics.py [--n 565] [--repeat 5] [--reference-pairs N] [--strict]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
OFFICIAL = REPO_ROOT.parent / "shared" / "data" / "official_demo" / "prompt_qwen25vl.jsonl"

# Used when the official demo case is not on disk: a report in the same structured style.
_FALLBACK_REPORT = (
    "脑形态、结构正常，脑实质内未见异常密度影，FDG摄取未见明显异常。双侧眼球对称，未见明显异常。鼻咽壁未见增厚，"
    "FDG摄取未见异常。甲状腺形态、大小正常，密度均匀，FDG摄取未见异常。双侧颈部未见肿大淋巴结，FDG代谢未见异常。"
    "右肺下叶见一结节，边缘见分叶及毛刺，FDG代谢增高。两侧肺门及纵隔未见明显肿大淋巴结影。食管未见扩张，FDG摄取未见"
    "增高。肝脏形态、大小未见明显异常，FDG摄取未见异常。胆囊形态大小未见异常。胰腺形态正常，FDG摄取未见明显异常。"
    "脾脏FDG摄取未见异常。双肾形态、大小正常，FDG摄取未见明显异常。胃充盈欠佳，FDG代谢增高。部分肠管FDG代谢增高。"
    "膀胱充盈一般。腹腔、盆腔及腹膜后区未见肿大淋巴结，FDG代谢未见异常。脊柱序列如常，FDG摄取未见异常。"
)

_ORGANS = [
    "肝右叶", "肝左叶", "胰头", "脾脏", "左肾", "右肾", "胃窦", "乙状结肠", "右肺上叶", "左肺下叶", "甲状腺左叶",
    "左侧肾上腺", "前列腺", "膀胱", "第3腰椎椎体", "右侧髂骨", "纵隔", "腹膜后", "左侧锁骨上", "双侧颈部", "食管中段",
    "右侧乳腺", "子宫", "鼻咽", "右侧腮腺", "胆囊",
]  # fmt: skip
_FINDINGS = ["结节", "肿块", "低密度灶", "稍高密度影", "软组织密度影", "囊状低密度灶", "骨质破坏", "淋巴结"]
_STATES = [
    "FDG摄取增高", "FDG代谢轻度增高", "FDG摄取明显增高", "FDG摄取较本底减低", "FDG摄取缺失", "FDG摄取未见异常",
    "未见FDG摄取", "FDG代谢未见异常增高", "FDG摄取不均匀增高", "放射性分布稀疏",
]  # fmt: skip
_SWAPS = [("增高", "减低"), ("左", "右"), ("未见", "见"), ("轻度", "明显"), ("正常", "稍增大")]


def _official_sentences() -> list[str]:
    texts = []
    if OFFICIAL.is_file():
        record = json.loads(OFFICIAL.read_text(encoding="utf-8").splitlines()[0])
        texts.append(record["answer"])
        texts.append(re.sub(r"[\[\]【】]", "", record["prompt_user_text"].split("严格按照以下格式输出：", 1)[1]))
    else:
        texts.append(_FALLBACK_REPORT)
    return [s + "。" for t in texts for s in re.split(r"[。\n]", t) if len(s.strip()) > 3]


def make_corpus(n: int, seed: int = 0, target_chars: int = 800) -> tuple[list[str], list[str]]:
    """``n`` (prediction, reference) pairs of about ``target_chars`` characters each."""
    rng = random.Random(seed)
    pool = _official_sentences()

    def lesion() -> str:
        size = f"{rng.uniform(0.4, 6.0):.1f}cm×{rng.uniform(0.3, 5.0):.1f}cm"
        suv = f"SUVmax约{rng.uniform(1.2, 18.0):.1f}"
        return f"{rng.choice(_ORGANS)}见{rng.choice(_FINDINGS)}，大小约{size}，{rng.choice(_STATES)}，{suv}。"

    def edit(sentence: str) -> str:
        if rng.random() < 0.35:
            a, b = rng.choice(_SWAPS)
            sentence = sentence.replace(a, b, 1) if rng.random() < 0.5 else sentence.replace(b, a, 1)
        if rng.random() < 0.15:
            i = rng.randrange(len(sentence))
            sentence = sentence[:i] + sentence[i + rng.randint(1, 6) :]
        return sentence

    def report() -> str:
        order = sorted(rng.sample(range(len(pool)), k=min(len(pool), rng.randint(18, 30))))
        parts = []
        length = 0
        for i in order:
            if length >= target_chars:
                break
            part = lesion() if rng.random() < 0.2 else edit(pool[i])
            parts.append(part)
            length += len(part)
        while length < target_chars * 0.9:
            part = lesion()
            parts.append(part)
            length += len(part)
        return "".join(parts)

    return [report() for _ in range(n)], [report() for _ in range(n)]


def _median_time(fn, repeat: int) -> tuple[float, float, object]:
    """Median wall-clock and CPU seconds of ``repeat`` calls, and the last result."""
    walls, cpus = [], []
    out = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return statistics.median(walls), statistics.median(cpus), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=565, help="report pairs (default 565, the PET2Rep test set)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing; the median is reported")
    parser.add_argument(
        "--reference-pairs", type=int, default=None, help="time the reference implementations on the first N pairs"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    import jieba

    from pet2rep.metrics import score
    from pet2rep.text import ce, tokenize
    from pet2rep.text.nlg import bleu_scores, meteor_score, rouge_l_score
    from pet2rep.text.tokenize import clear_cache as clear_tokenizer_cache

    def clear_cache():
        clear_tokenizer_cache()
        ce.clear_cache()

    t_import = time.perf_counter() - t0
    t0 = time.perf_counter()
    tokenize("肝脏FDG摄取增高。", "zh")  # loads jieba's dictionary
    t_jieba = time.perf_counter() - t0
    t0 = time.perf_counter()
    score(["肝脏FDG摄取增高，PET/CT示SUVmax增高。"], ["肝脏FDG摄取未见异常，CT示"], bootstrap=10)  # nltk's stemmer
    t_warm = time.perf_counter() - t0

    preds, refs = make_corpus(args.n)
    texts = preds + refs
    chars = [len(t) for t in texts]
    print(f"corpus: {args.n} pairs, {statistics.mean(chars):.0f} characters per report (min {min(chars)}, "
          f"max {max(chars)}), seed 0")  # fmt: skip
    print(f"one-off costs: imports {t_import:.2f} s, jieba dictionary {t_jieba:.2f} s, first score() {t_warm:.2f} s")

    def tokenize_all():
        clear_cache()
        return [tokenize(t, "zh") for t in texts]

    t_jieba_plain = _median_time(lambda: [jieba.lcut(t) for t in texts], args.repeat)
    t_tok = _median_time(tokenize_all, args.repeat)
    tokens = t_tok[2]
    pred_tokens, ref_tokens = tokens[: args.n], tokens[args.n :]

    def score_all():
        clear_cache()
        return score(preds, refs)  # lang="auto", as callers use it

    def ce_only():
        clear_cache()
        return score(preds, refs, metrics=["ce"], return_per_sample=False)

    def nlg_only():
        return [
            (*bleu_scores(p, r), meteor_score(p, r), rouge_l_score(p, r))
            for p, r in zip(pred_tokens, ref_tokens, strict=True)
        ]

    t_score = _median_time(score_all, args.repeat)
    result = t_score[2]
    t_ce = _median_time(ce_only, args.repeat)
    t_nlg = _median_time(nlg_only, args.repeat)
    ours = t_nlg[2]

    # the reference implementations, on the same tokens
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    from nltk.translate.meteor_score import single_meteor_score
    from rouge_score import rouge_scorer

    class NoWordNet:  # disables METEOR's WordNet stage exactly (no synonyms)
        def synsets(self, word):
            return []

    class PassThrough:
        def tokenize(self, tokens):
            return tokens

    smooth = SmoothingFunction().method1
    rouge = rouge_scorer.RougeScorer(["rougeL"], tokenizer=PassThrough())
    wordnet = NoWordNet()
    m = min(args.reference_pairs or args.n, args.n)

    def reference():
        out = []
        for p, r in zip(pred_tokens[:m], ref_tokens[:m], strict=True):
            bleu = [sentence_bleu([r], p, weights=(1 / n,) * n, smoothing_function=smooth) for n in range(1, 5)]
            out.append((*bleu, single_meteor_score(r, p, wordnet=wordnet), rouge.score(r, p)["rougeL"].fmeasure))
        return out

    t_ref = _median_time(reference, 1)
    expected = t_ref[2]
    scale = args.n / m
    t_ref = (t_ref[0] * scale, t_ref[1] * scale)
    worst = max(
        abs(a - b) for row_a, row_b in zip(ours[:m], expected, strict=True) for a, b in zip(row_a, row_b, strict=True)
    )
    assert worst <= 1e-9, f"our NLG numbers differ from the reference implementations by {worst}"
    keys = ("bleu_1", "bleu_2", "bleu_3", "bleu_4", "meteor", "rouge_l")
    assert all(result["per_sample"][i][k] == ours[i][j] for i in range(args.n) for j, k in enumerate(keys)), (
        "score() per-sample numbers differ from the NLG functions"
    )

    chars_total = sum(chars)
    rows = [
        ("jieba.lcut, all reports", t_jieba_plain, f"{chars_total / t_jieba_plain[0]:,.0f} chars/s"),
        ("pet2rep tokenize (memo cleared)", t_tok, f"{t_jieba_plain[0] / t_tok[0]:.1f}x jieba.lcut"),
        ("score(), every metric, from text", t_score, "target < 1 s"),
        ("  CE alone (extract + bootstrap)", t_ce, ""),
        ("NLG alone on the tokens", t_nlg, ""),
        ("reference NLG on the tokens", t_ref, "" if m == args.n else f"timed on {m} pairs, scaled to {args.n}"),
    ]
    print(f"{'':<34}{'wall s':>8}{'cpu s':>8}")
    for label, (wall, cpu, *_), note in rows:
        print(f"{label:<34}{wall:>8.3f}{cpu:>8.3f}   {note}")
    print(f"speed-up, NLG on the same tokens:        {t_ref[0] / t_nlg[0]:6.1f}x")
    print(f"speed-up, whole score() vs reference NLG: {t_ref[0] / t_score[0]:6.1f}x   (target >= 10x)")
    print(f"identical numbers: max |ours - reference| = {worst:.1e} over {m} pairs x 6 metrics")
    print(
        f"scores: BLEU-4 {result['bleu_4']:.4f}  METEOR {result['meteor']:.4f}  ROUGE-L {result['rouge_l']:.4f}  "
        f"CE P/R/F1 {result['ce_precision']:.4f}/{result['ce_recall']:.4f}/{result['ce_f1']:.4f}"
    )
    ok = t_score[0] < 1.0 and t_ref[0] / t_score[0] >= 10
    print("targets met" if ok else "TARGETS NOT MET (timings are wall-clock medians; a busy machine inflates them)")
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())

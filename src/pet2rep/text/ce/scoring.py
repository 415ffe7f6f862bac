"""The CE score: precision, recall and F1 of the extracted labels of prediction/reference pairs.

:func:`label_matrix` stacks the labels of :func:`~pet2rep.text.ce.extract_uptake` (``docs/ce.md`` §1: per organ a set
of states) into a (cases, organs, states) array; :func:`ce_scores` is the macro average over the three states of the
per-state scores on the binary columns of every (case, organ) row, exactly scikit-learn's
``precision_recall_fscore_support(average="macro", zero_division=0)`` on the multilabel indicator matrices, and
:func:`ce_bootstrap_std` its spread over bootstrap resamples of the cases. The score is defined in the metric card
(``metrics/pet2rep_ce/README.md``); ``docs/ce.md`` defines the labels it is computed from. numpy is imported only when
a score is computed.
"""

from __future__ import annotations

from collections.abc import Sequence

from pet2rep.vocab import ORGANS, STATES


def label_matrix(labels: Sequence[dict[str, frozenset[str]]]):
    """Stack extracted labels into a boolean array of shape (cases, organs, states) in ORGANS x STATES order."""
    import numpy as np

    out = np.zeros((len(labels), len(ORGANS), len(STATES)), dtype=bool)
    state_index = {state: s for s, state in enumerate(STATES)}
    for c, lab in enumerate(labels):
        for o, organ in enumerate(ORGANS):
            for state in lab.get(organ, ()):
                out[c, o, state_index[state]] = True
    return out


def prf(tp, pred_pos, true_pos):
    """Precision, recall, F1 from counts (numpy arrays or scalars), 0 where a denominator is 0.

    F1 is ``2 tp / (pred_pos + true_pos)``, which is how scikit-learn computes it (equal to 2PR/(P+R)).
    """
    import numpy as np

    tp = np.asarray(tp, dtype=np.float64)
    pred_pos = np.asarray(pred_pos, dtype=np.float64)
    true_pos = np.asarray(true_pos, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred_pos > 0, tp / np.where(pred_pos > 0, pred_pos, 1), 0.0)
        recall = np.where(true_pos > 0, tp / np.where(true_pos > 0, true_pos, 1), 0.0)
        denom = pred_pos + true_pos
        f1 = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)
    return precision, recall, f1


def ce_scores(pred, ref) -> dict:
    """CE precision/recall/F1 of predicted vs reference label arrays (see :func:`label_matrix`).

    Returns ``ce_precision``, ``ce_recall``, ``ce_f1`` (macro over the states: scikit-learn's
    ``precision_recall_fscore_support(Y_ref, Y_pred, average="macro", zero_division=0)`` on the
    (case x organ) x state indicator matrices), the per-state ``ce_<metric>_<state>`` and ``per_organ``: for each
    organ the micro average over its three state columns, with reference (``support``) and predicted counts.
    """
    import numpy as np

    tp = (pred & ref).sum(axis=0)  # (organs, states)
    pp = pred.sum(axis=0)
    rp = ref.sum(axis=0)
    p_state, r_state, f_state = prf(tp.sum(axis=0), pp.sum(axis=0), rp.sum(axis=0))
    out: dict = {
        "ce_precision": float(np.mean(p_state)),
        "ce_recall": float(np.mean(r_state)),
        "ce_f1": float(np.mean(f_state)),
    }
    for s, state in enumerate(STATES):
        out[f"ce_precision_{state}"] = float(p_state[s])
        out[f"ce_recall_{state}"] = float(r_state[s])
        out[f"ce_f1_{state}"] = float(f_state[s])
    p_org, r_org, f_org = prf(tp.sum(axis=1), pp.sum(axis=1), rp.sum(axis=1))
    out["per_organ"] = {
        organ: {
            "precision": float(p_org[o]),
            "recall": float(r_org[o]),
            "f1": float(f_org[o]),
            "support": {state: int(rp[o, s]) for s, state in enumerate(STATES)},
            "predicted": {state: int(pp[o, s]) for s, state in enumerate(STATES)},
        }
        for o, organ in enumerate(ORGANS)
    }
    return out


def ce_bootstrap_std(pred, ref, n_resamples: int, seed: int) -> dict[str, float]:
    """Standard deviation (ddof=1) of every CE score over ``n_resamples`` bootstrap resamples of the cases.

    Resample b takes the cases ``numpy.random.default_rng(seed).integers(0, n, size=(n_resamples, n))[b]`` (with
    replacement) and is scored exactly as :func:`ce_scores` scores those cases. Keys: ``ce_precision_std`` ... and
    per state.
    """
    import numpy as np

    n = pred.shape[0]
    counts = np.concatenate(
        [(pred & ref).sum(axis=1), pred.sum(axis=1), ref.sum(axis=1)], axis=1, dtype=np.float64
    )  # (cases, 3 x states): true positives, predicted, reference
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(n_resamples, n))
    offsets = (np.arange(n_resamples) * n)[:, None]
    weights = np.bincount((draws + offsets).ravel(), minlength=n_resamples * n).reshape(n_resamples, n)
    totals = weights.astype(np.float64) @ counts  # (B, 3 x states)
    k = len(STATES)
    p, r, f = prf(totals[:, :k], totals[:, k : 2 * k], totals[:, 2 * k :])  # (B, states)
    out = {
        "ce_precision_std": float(np.std(p.mean(axis=1), ddof=1)),
        "ce_recall_std": float(np.std(r.mean(axis=1), ddof=1)),
        "ce_f1_std": float(np.std(f.mean(axis=1), ddof=1)),
    }
    for s, state in enumerate(STATES):
        out[f"ce_precision_{state}_std"] = float(np.std(p[:, s], ddof=1))
        out[f"ce_recall_{state}_std"] = float(np.std(r[:, s], ddof=1))
        out[f"ce_f1_{state}_std"] = float(np.std(f[:, s], ddof=1))
    return out

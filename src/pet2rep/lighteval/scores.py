"""Model responses -> the corpus scores the pet2rep tasks report, under a scoring protocol.

lighteval 0.13.0's VLM backend returns ``ModelResponse.text`` as a ``str`` (other backends a list), and the
pipeline's reasoning-tag pass then iterates that string character by character: :func:`response_text` undoes that.
The numbers are those of :func:`pet2rep.metrics.score` (see docs/lighteval.md).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pet2rep.text.protocols import DEFAULT_PROTOCOL, check_protocol
from pet2rep.vocab import HEADLINE_METRICS

#: The scoring protocol of the tasks' metrics (pet2rep.text.protocols); default "pet2rep".
PROTOCOL_ENV = "PET2REP_PROTOCOL"
DEFAULT_REASONING_TAGS = (("<think>", "</think>"),)


def strip_reasoning(text: str, tag_pairs: Sequence[tuple[str, str]] = DEFAULT_REASONING_TAGS) -> str:
    """Remove ``<think>...</think>`` spans (lighteval's default reasoning tags) from a generation."""
    for start, end in tag_pairs:
        text = re.sub(re.escape(start) + r".*?" + re.escape(end), "", text, flags=re.DOTALL)
    return text


def response_text(text: Any, text_post_processed: Any = None) -> str:
    """The generated report of one lighteval model response, whatever shape the backend gave it.

    Args:
        text: ``ModelResponse.text``: a ``str`` (VLM backend), a list of strings (other backends) or None.
        text_post_processed: ``ModelResponse.text_post_processed``: None when reasoning-tag removal is off, else
            a list (for a ``str`` text lighteval makes it a list of single characters, which is undone here).

    Returns:
        The report ("" for an empty or missing generation, which then scores 0).
    """
    if isinstance(text, str):
        # lighteval 0.13.0 runs its reasoning-tag pass over the characters of a str: redo it on the whole text.
        return text if text_post_processed is None else strip_reasoning(text)
    for candidate in (text_post_processed, text):
        if candidate is not None and not isinstance(candidate, str) and len(candidate) > 0:
            first = candidate[0]
            return first if isinstance(first, str) else ""
    return ""


def resolve_protocol(environ: Mapping[str, str] | None = None) -> str:
    """The tasks' scoring protocol: ``$PET2REP_PROTOCOL``, else ``"pet2rep"``; InputError naming the valid ones."""
    environ = os.environ if environ is None else environ
    return check_protocol(environ.get(PROTOCOL_ENV) or DEFAULT_PROTOCOL).name


def metric_names(protocol: str = DEFAULT_PROTOCOL) -> tuple[str, ...]:
    """The task's metric names: :data:`HEADLINE_METRICS`, or under another protocol its keys prefixed ``<protocol>_``.

    The prefix keeps a ``petrg3d`` run's numbers (x100) from being read as ``pet2rep`` ones in lighteval's tables.
    """
    if protocol == DEFAULT_PROTOCOL:
        return HEADLINE_METRICS
    return tuple(f"{protocol}_{key}" for key, _ in check_protocol(protocol).columns)


def corpus_scores(
    predictions: Sequence[str], references: Sequence[str], lang: str = "zh", protocol: str = DEFAULT_PROTOCOL
) -> dict[str, float]:
    """The task's corpus result: :func:`metric_names` and their ``_std`` from :func:`pet2rep.metrics.score`.

    The numbers are those of ``pet2rep.metrics.score(predictions, references, lang=lang, protocol=protocol)``
    (default bootstrap and seed), only the keys differ in number (and carry the protocol's prefix).
    """
    from pet2rep.metrics import score

    result = score(list(predictions), list(references), lang=lang, return_per_sample=False, protocol=protocol)
    keys = HEADLINE_METRICS if protocol == DEFAULT_PROTOCOL else [k for k, _ in check_protocol(protocol).columns]
    out = {}
    for name, key in zip(metric_names(protocol), keys, strict=True):
        out[name] = float(result[key])
        if f"{key}_std" in result:  # corpus-level numbers (petrg3d's corpus BLEU) have no spread
            out[f"{name}_std"] = float(result[f"{key}_std"])
    return out

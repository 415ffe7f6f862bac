"""The extractor's public face: :func:`extract_uptake`, :func:`explain_uptake` and :class:`UptakeStatement`.

The result of a report (``docs/ce.md`` §1) is what :func:`extract_uptake` returns: the union, per organ of
:data:`~pet2rep.vocab.ORGANS`, of the states of every statement about it (§9 A3); :func:`explain_uptake` returns
the statements themselves, with their cue words and the rules applied (the ``pet2rep ce explain`` view). Both read
the statements from :mod:`~pet2rep.text.ce.attachment`.
"""

from __future__ import annotations

from dataclasses import dataclass

from pet2rep.text.ce.attachment import report_statements
from pet2rep.vocab import ORGANS


@dataclass(frozen=True)
class UptakeStatement:
    """One uptake statement found in a report (for inspection, the audit view and tests).

    Attributes:
        sentence: the normalised sentence (NFKC, lower case, digits as 0).
        organs: the scored organs it is about (empty: unscored anatomy, or no subject).
        states: the states it asserts (empty: normal).
        cues: the words that decided it (uptake nouns, state words, negation and comparison cues), in text order.
        notes: the rules applied beyond plain reading (negation, comparison, physiological, lesion, locator).
    """

    sentence: str
    organs: frozenset
    states: frozenset
    cues: tuple = ()
    notes: tuple = ()


def extract_uptake(text: str, lang: str = "auto") -> dict[str, frozenset[str]]:
    """Uptake states per organ asserted by a report (the rules: ``docs/ce.md``).

    Args:
        text: the report (findings and/or impression).
        lang: ``"zh"``, ``"en"`` or ``"auto"`` (CJK share of the letters, see ``pet2rep.text.detect_lang``).

    Returns:
        ``{organ: frozenset(states)}`` for every organ of :data:`ORGANS`, in that order; an empty set is normal.

    Raises:
        InputError: ``text`` is not a string or ``lang`` is not valid.
    """
    labels: dict[str, set[str]] = {organ: set() for organ in ORGANS}
    for statement in report_statements(text, lang):
        if statement[2]:
            for organ in statement[1]:
                labels[organ] |= statement[2]
    return {organ: frozenset(states) for organ, states in labels.items()}


def explain_uptake(text: str, lang: str = "auto") -> list[UptakeStatement]:
    """Every uptake statement found, in text order: its normalised sentence (digits as 0), subject organs (scored
    only), states, the cue words that decided it and the rules applied (see :class:`UptakeStatement`)."""
    return [UptakeStatement(*statement) for statement in report_statements(text, lang)]

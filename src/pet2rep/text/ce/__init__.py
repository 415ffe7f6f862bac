"""Clinical efficacy (CE): organ-level FDG uptake states extracted from a report, and the CE score.

:func:`extract_uptake` reads a report (Chinese or English) and returns, for each of the 24 organs in
:data:`ORGANS`, the set of uptake states (:data:`STATES`) the report asserts; an empty set means normal (or not
mentioned). :func:`label_matrix`, :func:`ce_scores` and :func:`ce_bootstrap_std` turn the extracted labels of
prediction/reference pairs into precision, recall and F1 (macro over the states) and their bootstrap spread.

The extraction rules are specified in ``docs/ce.md`` (normative; the rule names below are its), and every example of
that document is a test. One module per step of the pipeline, each naming the sections it implements:

1. ``sentences`` (§3, T1-T3): sentences cut on the raw text (digits masked as ``0``, wrapped lines joined), each
   normalised (NFKC, lower case, brackets, traditional characters, spaces between ideographs), cut into clauses at
   ``,`` and ``:``.
2. ``lexicon`` (§2, §4): the term tables (data); ``grammar`` (§4) compiles them per language: terms found by longest
   match (one trie-shaped regex per language) and the gaps the rules test between two terms.
3. ``mentions`` (§5, P1-P6): per clause, the place words are read: comparison references, node phrases taking the
   stations listed before them, tissue phrases (brown fat, skin), stations named alone, adjacent places, positional
   suffixes.
4. ``statements`` (§6-§8, S1-S4, N1-N3, C, R): per clause, statement words form runs; a run with an uptake noun is a
   statement whose states follow from its state words, negations (scope, coordination across a CT phrase,
   resolution), physiological words and comparisons. The clause becomes a sequence of events: mentions, statements,
   comparisons, locators, lesions.
5. ``attachment`` (§9, A1-A2, L): per sentence, statements attach to their subjects: the clause's own places, then
   the places since the previous statement, then carry-over; comparisons and later physiological readings (S4)
   qualify the statement before them; located nodes take the statement's state. Sentence and clause analyses are
   memoised (templated reports repeat most sentences); :func:`clear_cache` empties the memos.
6. ``extract`` (§9, A3): the states of all statements about an organ accumulate (:func:`extract_uptake`);
   :func:`explain_uptake` returns the statements with the cue words and the rules applied.

``scoring`` computes the CE score from the labels (defined in the metric card, ``metrics/pet2rep_ce/README.md``);
``audit`` is the per-organ evidence view that ``pet2rep ce explain`` prints. Each module imports only modules
above it in this list (``scoring`` none of them, ``audit`` only ``extract``).
"""

from pet2rep.text.ce.attachment import clear_cache
from pet2rep.text.ce.extract import UptakeStatement, explain_uptake, extract_uptake
from pet2rep.text.ce.scoring import ce_bootstrap_std, ce_scores, label_matrix, prf
from pet2rep.vocab import ORGANS, STATES

__all__ = [
    "ORGANS",
    "STATES",
    "UptakeStatement",
    "ce_bootstrap_std",
    "ce_scores",
    "clear_cache",
    "explain_uptake",
    "extract_uptake",
    "label_matrix",
    "prf",
]

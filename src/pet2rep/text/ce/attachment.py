"""Attachment: which places each statement is about, and what a sentence hands on (``docs/ce.md`` §9, A1-A2, L).

:func:`report_statements` walks a report sentence by sentence (:mod:`~pet2rep.text.ce.sentences`); each sentence is
cut into clauses read by :func:`~pet2rep.text.ce.statements.clause_summary`, and its statements take as subjects the
clause's own places, then the places since the previous statement, then those after them, then the subjects carried
over from the previous statement or sentence (A1). Comparisons and later physiological readings qualify the
statement before them; located nodes take the statement's state (L); a bare lymph node takes the last located node
groups (P2). A comparison that opens a sentence qualifies the previous sentence's last statement (§8 C), and a
physiological reading stated later makes the statement before it normal (§6 S4).

Sentence and clause analyses are memoised (keyed on everything they depend on): templated reports repeat most
sentences, which is what makes extraction fast. :func:`clear_cache` empties the memos.
"""

from __future__ import annotations

from pet2rep.errors import InputError
from pet2rep.text.ce.grammar import DEC, INC, Grammar, grammar
from pet2rep.text.ce.sentences import CLAUSE_END_RE, DIGIT_RE, normalize, raw_sentences, resolve_lang
from pet2rep.text.ce.statements import clause_summary, compare, compare_note

_MEMO_MAX = 200_000  # a memo is emptied when it holds this many entries

# (lang, raw sentence[, node groups carried in]) -> (statements, subject and node groups carried out)
_sentence_memo: dict[tuple, tuple] = {}
# (lang, normalised clause) -> the clause's events (see clause_summary)
_clause_memo: dict[tuple, tuple] = {}


def clear_cache() -> None:
    """Forget memoised sentence and clause analyses (they only save time; results never depend on them)."""
    _sentence_memo.clear()
    _clause_memo.clear()


def report_statements(text: str, lang: str) -> list[tuple]:
    """The uptake statements of a report as (sentence, organs, states, cues, notes), sentence by sentence.

    A sentence's outcome depends only on its text and on what the previous sentences carry into it (the subject
    for carry-over, the node groups for a bare 淋巴结), so it is memoised on those: templated reports repeat most
    sentences. Numbers never matter here (sizes, SUV values): digits are masked first, for more memo hits.
    """
    if not isinstance(text, str):
        raise InputError(f"report must be a str; got {type(text).__name__}")
    lang = resolve_lang(text, lang)
    g = grammar(lang)
    memo = _sentence_memo
    subjects: frozenset = frozenset()
    groups: frozenset | None = None
    out = []
    for raw in raw_sentences(DIGIT_RE.sub("0", text)):
        # Most sentences do not depend on the node groups carried in: try the key without them first.
        key = (lang, raw)
        outcome = memo.get(key)
        if outcome is None:
            outcome = _analyse_sentence(raw, g, _INHERIT)
            if outcome is _DEPENDS_ON_GROUPS:
                memo[key] = outcome
        if outcome is _DEPENDS_ON_GROUPS:
            key = (lang, raw, groups)
            outcome = memo.get(key)
            if outcome is None:
                outcome = _analyse_sentence(raw, g, groups)
        if key not in memo:
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[key] = outcome
        statements, out_subjects, groups, leading = outcome
        for ev in leading:
            if out:
                s, organs, states, cues, notes = out[-1]
                new = compare(states, ev[1], ev[2])
                out[-1] = (s, organs, new, (*cues, ev[3]), (*notes, compare_note(ev, states, new)))
        for statement in statements:
            if statement[1] is _CARRY:
                statement = (statement[0], subjects, *statement[2:-1], (*statement[-1], "subject carried over"))
            else:
                subjects = statement[1]
            out.append(statement)
        if out_subjects is not _CARRY:
            subjects = out_subjects
    return out


class _Carry(frozenset):
    """Stands for the subject carried into a sentence (its value is filled in per report)."""


_CARRY = _Carry()
_INHERIT = object()  # node groups not known while analysing: a sentence that needs them says so
_DEPENDS_ON_GROUPS = object()


def _analyse_sentence(raw: str, g: Grammar, prev_groups):
    """Statements of one sentence, the subject it hands on (``_CARRY``: unchanged) and its located node groups.

    With ``prev_groups=_INHERIT`` a sentence whose bare lymph-node mention needs the previous sentence's node
    groups returns ``_DEPENDS_ON_GROUPS`` instead.
    """
    norm = normalize(raw)
    sentence = norm.strip()
    memo = _clause_memo
    last_groups = prev_groups
    located = None
    last_subjects: frozenset = _CARRY
    statements: list[tuple] = []
    pending: list[frozenset] = []  # subjects named since the last statement, earlier clauses included
    leading: list[tuple] = []  # comparisons before the sentence's first statement: they qualify the previous one
    lesion = False  # a lesion (结节, 肿块, 淋巴结 ...) named so far in the sentence
    node_context = False  # a lymph node named so far in the sentence: a locator places it
    named = False  # a place named so far in the sentence: a locator's places locate it
    physiological = False  # a physiological reading stated in the sentence: no lesion uptake is inferred after it
    start = 0
    for end in [m.end() for m in CLAUSE_END_RE.finditer(norm)] + [len(norm)]:
        text = norm[start:end]
        start = end
        key = (g.lang, text)
        events = memo.get(key)
        if events is None:
            events = clause_summary(text, g)
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[key] = events
        if not events:
            continue
        # Resolve lymph-node groups (a bare node mention takes the last located groups) and locators.
        resolved = []
        locating = False
        located_here: list[str] = []
        for ev in events:
            kind = ev[0]
            if kind == "n":
                value = ev[1]
                if value is None:
                    if last_groups is _INHERIT:
                        return _DEPENDS_ON_GROUPS
                    value = last_groups or frozenset()
                else:
                    last_groups = located = value
                node_context = named = True
                resolved.append(("m", frozenset(x for x in value if x is not None)))
            elif kind == "m":
                if locating and node_context:  # 淋巴结 ... 较大者位于胰腺后方: a place of the nodes
                    resolved.append(("m", frozenset(x for x in ev[2] if x is not None)))
                    located_here.append(ev[3])
                elif locating and named:  # 脾脏…，长轴位于左侧第0后肋之间: a place of what was named, not a subject
                    continue
                else:
                    resolved.append(("m", ev[1]))
                named = True
            elif kind == "l":
                locating = True
            elif kind == "x":
                lesion = True
            else:
                resolved.append(ev)
        clause_pending: list[frozenset] = []
        used: set[int] = set()
        for i, ev in enumerate(resolved):
            kind = ev[0]
            if kind == "m":
                if i not in used:
                    clause_pending.append(ev[1])
                continue
            if kind == "c":  # a comparison clause (约平肝脏, 高于肝脏) qualifies the statement before it
                if statements:
                    s, organs, states, cues, notes = statements[-1]
                    new = compare(states, ev[1], ev[2])
                    statements[-1] = (s, organs, new, (*cues, ev[3]), (*notes, compare_note(ev, states, new)))
                else:  # ... also across a sentence end (摄取弥漫性分布。高于肝脏)
                    leading.append(ev)
                continue
            _, states, flags, cues, notes = ev
            if "physio_only" in flags:
                physiological = True
            if "physio_only" in flags and statements and not clause_pending:
                # 局部放射性浓聚，考虑生理性摄取: the physiological reading stated later makes the statement normal
                s, organs, prev_states, prev_cues, prev_notes = statements[-1]
                statements[-1] = (
                    s,
                    organs,
                    prev_states - {INC, DEC},
                    (*prev_cues, *cues),
                    (*prev_notes, "physiological stated later: normal"),
                )
                continue
            if "weak" in flags and lesion and not physiological:
                states = frozenset({INC})
                notes = (*notes, "a lesion with an uptake noun and a degree or a SUV value, no state word: increased")
            post = []
            for j in range(i + 1, len(resolved)):
                if resolved[j][0] != "m":
                    break
                post.append(j)
            if clause_pending:
                subjects = clause_pending
            elif g.lang == "en" and post:
                subjects = [resolved[j][1] for j in post]
                used.update(post)
            elif pending:
                subjects = pending
            elif post:
                subjects = [resolved[j][1] for j in post]
                used.update(post)
            else:
                subjects = []
            pending = []
            clause_pending = []
            if subjects:
                last_subjects = frozenset().union(*subjects)
            statements.append((sentence, last_subjects, states, cues, notes))
        if located_here and clause_pending and statements:
            # the nodes' places named after their statement (较大者位于右侧髂血管旁) take the same states
            s, organs, states, cues, notes = statements[-1]
            groups = frozenset().union(*clause_pending)
            if groups - organs:
                note = f"locator: {'、'.join(located_here)} places the lymph nodes"
                statements.append((sentence, groups, states, cues, (*notes, note)))
            clause_pending = []
        pending = pending + clause_pending
    if pending:
        last_subjects = frozenset().union(*pending)
    return tuple(statements), last_subjects, located, tuple(leading)

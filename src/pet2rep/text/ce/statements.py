"""The statements of a clause: rules S1-S4 (``docs/ce.md`` §6), N1-N3 (§7 negation), C and R (§8 comparisons).

:func:`clause_summary` reads one normalised clause into a sequence of events: the terms are found
(:mod:`~pet2rep.text.ce.grammar`), the place words read (:mod:`~pet2rep.text.ce.mentions`), and the statement words
between them form runs (S1). A run with an uptake noun is a statement whose states follow from its state words (S2),
its negations (N1-N3), a physiological word (S2, S4), a comparison (C) and, for a lesion with a degree or a SUV value
and no state word, the lesion rule (S3); a run about a reference noun is a reference value, never a finding (R).
:func:`compare` applies a comparison to a statement's states (also across clauses, in
:mod:`~pet2rep.text.ce.attachment`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pet2rep.text.ce.grammar import ABS, DEC, INC, MENTION_KINDS, Element, Grammar
from pet2rep.text.ce.mentions import resolve_mentions

# the words a negation negates (N1); a negation over none of them but over an uptake noun is "absent"
_STATE_BEARING = {"state", "normal", "abnormal", "physio"}
# CT words that name a lesion (docs/ce.md §1)
_LESION_CT_WORDS = frozenset({"增厚", "肿大", "enlarged", "thickening"})
# 考虑炎性摄取或生理性摄取: physiological as one alternative does not cancel the statement
_ALTERNATIVE_RE = re.compile(r"或|\bor\b")
# what may stand between a post-negation and the words it negates (uptake is not seen)
_COPULA_RE = re.compile(r"(?:\s|\bis\b|\bare\b|\bwas\b|\bwere\b|\bbe\b|\bbeen\b)*")


def clause_summary(text: str, g: Grammar) -> tuple:
    """One clause as a sequence of events.

    ``("m", organs, node_groups, word)`` a place mention (organs empty: not scored), ``("n", groups, word)`` a
    lymph-node mention (groups ``None``: no location in the clause), ``("s", states, flags, cues, notes)`` an
    uptake statement, ``("c", relation, reference kind, cue)`` a comparison without an uptake noun, ``("x",)`` a
    lesion is named (not negated), ``("l",)`` a locator (位于).
    """
    table = g.table
    clause = [Element(m.start(), m.end(), table[m.group()], m.group()) for m in g.regex.finditer(text)]
    if not clause:
        return ()
    resolve_mentions(text, clause, g)
    return tuple(_clause_events(text, clause, g))


def _mention_event(el: Element) -> tuple:
    if el.term.kind == "node":
        return ("n", el.organs, el.text)
    return ("m", el.organs, el.groups, el.text)


def _is_lesion(el: Element) -> bool:
    kind = el.term.kind
    return kind in ("lesion", "node") or (kind == "ct" and el.text in _LESION_CT_WORDS)


def _clause_events(norm: str, clause: list[Element], g: Grammar) -> list:
    """The clause as an ordered list of events (see :func:`clause_summary`)."""
    out: list = []
    seen_neg = False
    for el in clause:
        if el.term.kind == "neg":
            seen_neg = True
        elif _is_lesion(el) and not seen_neg:
            out.append(("x",))
            break
    if not any(el.term.uptake for el in clause):  # no uptake noun: no statement; mentions, locators, comparisons
        ct = any(el.term.kind == "ct" for el in clause)  # 密度高于肝脏 compares densities, not uptake
        for el in clause:
            kind = el.term.kind
            if kind in MENTION_KINDS:
                if not (el.consumed and kind != "node"):
                    out.append(_mention_event(el))
            elif kind == "locator":
                out.append(("l",))
            elif el.term.rel is not None and not ct:
                out.append(("c", el.term.rel, el.ref_kind or "other", el.text))
        kinds = {el.term.kind for el in clause}
        if "physio" in kinds and "neg" not in kinds and not _ALTERNATIVE_RE.search(norm):
            # 考虑生理性 without an uptake noun: a physiological reading of what came before (S4)
            out.append(("s", frozenset(), frozenset({"physio_only"}), tuple(e.text for e in clause), ()))
        return out
    events: list = []
    cluster: list[Element] = []
    clusters: list[tuple[int, list[Element]]] = []  # (index in events, cluster)
    carry_neg: tuple[Element, int] | None = None  # a negation open across a CT phrase: 未见异常密度影或 ...

    def close():
        if cluster:
            clusters.append((len(events), list(cluster)))
            events.append(None)  # placeholder
            cluster.clear()

    for el in clause:
        kind = el.term.kind
        if kind in MENTION_KINDS:
            if el.reference:  # 摄取较肝脏增高: the reference neither ends the statement nor is its subject
                continue
            close()
            carry_neg = None
            if not (el.consumed and kind != "node"):
                events.append(el)
            continue
        if kind in ("lesion", "part"):
            continue
        if kind == "locator":
            close()
            carry_neg = None
            events.append(("l",))
            continue
        if kind in ("ct", "break"):
            carry_neg = _open_negation(cluster, el) if kind == "ct" else None
            close()
            continue
        if cluster and el.start - cluster[-1].end > g.max_gap:
            close()
        if not cluster and carry_neg is not None:
            neg, after = carry_neg
            if g.neg_coord_gap.fullmatch(norm, after, el.start):
                # N2: the negation governs both members of the coordination (未见异常密度影或异常放射性浓聚灶)
                cluster.append(Element(el.start, el.start, neg.term, neg.text + "…"))
            carry_neg = None
        cluster.append(el)
    close()

    # English: "FDG uptake in the liver is increased", "increased bone marrow uptake" -> one statement.
    if g.lang == "en":
        merged: list[tuple[int, list[Element]]] = []
        for idx, els in clusters:
            if merged:
                p_idx, p_els = merged[-1]
                between = events[p_idx + 1 : idx]
                if (
                    _has_uptake(p_els) != _has_uptake(els)
                    and _has_state(p_els) != _has_state(els)
                    and _has_uptake(p_els) != _has_state(p_els)
                    and all(isinstance(e, Element) for e in between)
                ):
                    events[p_idx] = "drop"
                    merged[-1] = (idx, p_els + els)
                    continue
            merged.append((idx, els))
        clusters = merged
    for idx, els in clusters:
        events[idx] = _cluster_statement(norm, els, g)
    for ev in events:
        if ev is None or isinstance(ev, str):
            continue
        out.append(_mention_event(ev) if isinstance(ev, Element) else ev)
    return out


def _open_negation(cluster: list[Element], ct: Element) -> tuple[Element, int] | None:
    """A negation cue still open when a CT word ends its cluster (未见[明显]异常 密度 ...), with the CT word's end."""
    for i in range(len(cluster) - 1, -1, -1):
        kind = cluster[i].term.kind
        if kind == "neg":
            return cluster[i], ct.end
        if kind not in ("abnormal", "degree"):
            return None
    return None


def _has_uptake(els: Sequence[Element]) -> bool:
    return any(e.term.uptake for e in els)


def _has_state(els: Sequence[Element]) -> bool:
    return any(e.term.kind in _STATE_BEARING for e in els)


def _cluster_statement(norm: str, els: list[Element], g: Grammar):
    """The statement event of a cluster of statement words, or "drop" when it is none (``docs/ce.md``, rules S, N)."""
    if not _has_uptake(els):
        return "drop"
    cmp_cue = any(e.term.cmp or e.term.rel is not None for e in els)
    if any(e.term.ref for e in els) and not cmp_cue:
        return "drop"  # R: a reference value (纵隔血池SUVmax 2.0, 肝脏本底) is never a finding
    negated = [False] * len(els)
    states: set[str] = set()
    notes: list[str] = []
    for i, el in enumerate(els):
        kind = el.term.kind
        if kind == "neg":
            scope = []
            j = i + 1
            while j < len(els) and g.neg_gap.fullmatch(norm, els[j - 1].end, els[j].start):
                scope.append(j)
                k = els[j].term.kind
                if k in ("state", "normal", "physio"):
                    nxt = j + 1
                    if nxt >= len(els):
                        break
                    # coordinated (增高或减低) or juxtaposed states (稀疏缺损) share the negation
                    juxtaposed = k == els[nxt].term.kind == "state" and els[j].end == els[nxt].start
                    if not juxtaposed and not g.coord.search(norm, els[j].end, els[nxt].start):
                        break
                j += 1
            if scope and scope[-1] == len(els) - 1 and all(els[j].term.kind in ("abnormal", "degree") for j in scope):
                # N1: a cue that ends the run after only 明显/异常 is predicative (放射性浓聚未见明显异常): it negates
                # the run before it, back to the previous negation
                back = []
                for j in range(i - 1, -1, -1):
                    if els[j].term.kind in ("neg", "postneg"):
                        break
                    back.append(j)
                scope = back + scope
            _apply_negation(els, scope, negated, states, notes, el)
        elif kind == "postneg":
            scope = []
            j = i - 1
            while j >= 0 and els[j].term.kind not in ("neg", "postneg"):
                if not g.neg_gap.fullmatch(norm, els[j].end, els[j + 1].start) and not _copula(
                    norm, els[j], els[j + 1]
                ):
                    break
                scope.append(j)
                j -= 1
            _apply_negation(els, scope, negated, states, notes, el)
    physiological = any(el.term.kind == "physio" and not negated[i] for i, el in enumerate(els))
    stated = False
    for i, el in enumerate(els):
        if el.term.state is not None and not negated[i]:
            stated = True
            if physiological and el.term.state != ABS:
                notes.append(f"physiological {el.text!r}: normal")
                continue  # 生理性浓聚, physiologic increased uptake: normal
            states.add(el.term.state)
    flags = set()
    rel_cues = [e for e in els if e.term.rel is not None and not negated[els.index(e)]]
    if rel_cues:
        cue = rel_cues[-1]
        ref_kind = cue.ref_kind or next((e.ref_kind for e in els if e.ref_kind), None) or "other"
        before = frozenset(states)
        states = set(compare(before, cue.term.rel, ref_kind))
        if states != before:
            notes.append(compare_note(("c", cue.term.rel, ref_kind, cue.text), before, frozenset(states)))
    elif physiological and not stated and not _ALTERNATIVE_RE.search(norm):
        flags.add("physio_only")
    if (
        not states
        and not _has_state(els)
        and not any(e.term.kind in ("neg", "postneg") or e.term.cmp for e in els)
        and any(
            e.term.intensity or (e.term.uptake and e.text.startswith("suv") and g.suv_value.match(norm, e.end))
            for e in els
        )
    ):
        flags.add("weak")
    cues = tuple(e.text for e in els)
    return ("s", frozenset(states), frozenset(flags), cues, tuple(notes))


def _copula(norm: str, a: Element, b: Element) -> bool:
    return bool(_COPULA_RE.fullmatch(norm, a.end, b.start))


def _apply_negation(els, scope, negated, states, notes, cue) -> None:
    bearing = [j for j in scope if els[j].term.kind in _STATE_BEARING]
    if bearing:
        for j in bearing:
            negated[j] = True
        notes.append(f"negation {cue.text!r} over {' '.join(els[j].text for j in bearing)}: normal")
    elif any(els[j].term.uptake for j in scope):
        states.add(ABS)
        notes.append(f"negation {cue.text!r} of an uptake noun: absent")


def compare(states: frozenset, rel: str | None, ref_kind: str | None) -> frozenset:
    """The states of a statement after a comparison with a reference (``docs/ce.md``, rule C)."""
    if rel == "above":
        return states | {INC}
    if rel in ("equal", "below"):
        if ref_kind == "liver":
            return states - {INC}  # at or below the liver: normal
        if ref_kind == "local" and rel == "below":
            return (states - {INC}) | {DEC}  # below the surrounding tissue: decreased
    return states


def compare_note(ev: tuple, before: frozenset, after: frozenset) -> str:
    """The note a comparison event ``("c", relation, reference kind, cue)`` leaves on the statement it qualifies."""
    _, rel, ref_kind, cue = ev
    return f"comparison {cue!r} ({rel}, reference {ref_kind}): {_states_word(before)} -> {_states_word(after)}"


def _states_word(states: frozenset) -> str:
    return "+".join(sorted(states)) or "normal"

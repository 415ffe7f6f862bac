"""Reading the place words of a clause (``docs/ce.md`` §5, rules P1-P6; §2 for the node groups).

:func:`resolve_mentions` decides, for every place word (mention) of a clause, what it names as a subject (its organs,
or for a lymph node its node groups) and what it names when it only locates a node, and marks the words that are
comparison references (P1) or only locate another place (P2 node phrases, P3 tissue phrases, P5 adjacent places) as
consumed; stations named alone count as their node group (P4) and an organ before a positional suffix names a place
beside it (P6).
"""

from __future__ import annotations

import itertools
import re

from pet2rep.text.ce import lexicon as lx
from pet2rep.text.ce.grammar import MENTION_KINDS, PLACE_KINDS, Element, Grammar

# P1: a reference after one of these is the lesion's own (local) tissue (较周围脾实质)
_LOCAL_RE = re.compile(r"周围|邻近|同侧|对侧|surrounding|adjacent")
# organs whose name, in a list of node places, is a nodal station (右侧腮腺、双颈部多发淋巴结: intraparotid nodes)
_STATION_ORGANS = frozenset({"salivary_gland"})


def resolve_mentions(norm: str, clause: list[Element], g: Grammar) -> None:
    """Read the place words of one clause (``docs/ce.md``, rules P1-P6).

    Sets ``organs`` on every mention (what it names as a subject; on a lymph-node mention the frozenset of node
    groups, ``None`` for a group that is not scored, or ``None`` when the clause names no location for it) and
    ``groups`` (the node groups it names when it locates a node); marks comparison references and the place words
    that only locate another one as consumed.
    """
    # P1: a comparison reference is not a subject (高于肝脏, 较周围脾实质, 肝脏本底, 与纵隔血池相仿)
    if any(e.term.cmp or e.term.kind == "cmp_after" for e in clause):
        for i, el in enumerate(clause):
            if el.term.kind not in PLACE_KINDS:
                continue
            before = clause[i - 1] if i else None
            if before is not None and before.term.kind == "normal" and i >= 2:  # 较正常肝组织: look past 正常
                before = clause[i - 2]
            after = clause[i + 1] if i + 1 < len(clause) else None
            hit_before = (
                before is not None and before.term.cmp and g.cmp_before_gap.fullmatch(norm, before.end, el.start)
            )
            hit_after = (
                after is not None
                and after.term.kind == "cmp_after"
                and g.cmp_after_gap.fullmatch(norm, el.end, after.start)
            )
            if hit_before or hit_after:
                el.consumed = el.reference = True
                local_from = before.end if hit_before else max(0, el.start - 4)
                local = _LOCAL_RE.search(norm, local_from, el.start) is not None
                kind = "local" if local else "liver" if "liver" in el.term.organs else "other"
                for cue in (before if hit_before else None, after if hit_after else None):
                    if cue is not None:
                        cue.ref_kind = kind
    mentions = [el for el in clause if el.term.kind in MENTION_KINDS and not el.consumed]
    for el in mentions:
        kind = el.term.kind
        if kind == "organ":
            el.organs = frozenset(el.term.organs)
            el.groups = frozenset(lx.ORGAN_NODE_GROUP[o] for o in el.term.organs)
        elif kind == "region":
            el.groups = frozenset(el.term.organs)
            if el.term.station:  # P4: a station named without 淋巴结 counts as its node group
                el.organs = el.groups - {None}
    # P2: a lymph node takes its groups from the places listed right before it (or, in English, right after it)
    last_groups = None
    for i, el in enumerate(mentions):
        if el.term.kind == "node":
            chain = _place_chain(norm, mentions, i, g, PLACE_KINDS)
            if not chain and g.forward_gap is not None:
                prev = el
                for cand in mentions[i + 1 :]:
                    if cand.term.kind not in ("organ", "region"):
                        break
                    gap = g.forward_gap if prev is el else g.region_gap
                    if not gap.fullmatch(norm, prev.end, cand.start):
                        break
                    chain.append(cand)
                    prev = cand
            if chain:
                groups = set()
                for cand in chain:
                    cand.consumed = True
                    groups.update(cand.groups)
                last_groups = frozenset(groups)
            el.organs = last_groups
    # P3: an unscored tissue heads the places listed before it (双侧颈部及椎旁脂肪间隙, 乳腺皮肤)
    for i, el in enumerate(mentions):
        if el.term.tissue and not el.consumed:
            for cand in _place_chain(norm, mentions, i, g, PLACE_KINDS):
                cand.consumed = True
    if g.part_gap is None:
        return
    # P5: of two place words with only sides and parts between them, the first locates the second (腹部胃, 第0腰椎水平
    # 左腰大肌); a station right after an organ and followed by a positional suffix lies in the organ (右肺中叶肺门旁)
    places = [el for el in mentions if not el.consumed and el.term.kind in PLACE_KINDS]
    for a, b in itertools.pairwise(places):
        if a.consumed or not g.part_gap.fullmatch(norm, a.end, b.start):
            continue
        if a.term.kind == "organ" and b.term.kind == "region" and g.position.match(norm, b.end):
            b.consumed = True
        else:
            a.consumed = True
    # P6: an organ followed by a positional suffix names a place beside it, not the organ (胰腺后方, 胃后方)
    for el in places:
        if not el.consumed and el.term.kind == "organ" and g.position.match(norm, el.end):
            el.organs = frozenset()


def _place_chain(norm: str, mentions: list[Element], i: int, g: Grammar, kinds: tuple) -> list[Element]:
    """The place words listed right before ``mentions[i]`` (joined by list words, sides, quantities, stations)."""
    chain: list[Element] = []
    nxt = mentions[i]
    for cand in reversed(mentions[:i]):
        if cand.consumed or cand.term.kind not in kinds:
            break
        station = cand.term.kind == "region" or (cand.term.kind == "organ" and cand.term.organs[0] in _STATION_ORGANS)
        gap = g.region_gap if station or cand.term.kind == "unscored" else g.organ_gap
        if not gap.fullmatch(norm, cand.end, nxt.start) and not (
            g.part_gap is not None and g.part_gap.fullmatch(norm, cand.end, nxt.start)
        ):
            break
        chain.append(cand)
        nxt = cand
    return chain

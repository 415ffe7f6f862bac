"""Which split each case goes to: ``test`` alone, or the splits of ``splits.json`` at the data root."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from pet2rep.errors import InputError
from pet2rep.imaging.cases import SPLITS, Case, read_split_file


def assign_splits(
    data_dir: str | Path, cases: Sequence[Case], failed_ids: Iterable[str] = ()
) -> tuple[dict[str, list[Case]], list[tuple[str, InputError]]]:
    """Cases per split: ``test`` alone, or the splits of ``splits.json`` at the data root.

    Args:
        data_dir: the data root.
        cases: the usable cases discovery found there.
        failed_ids: ids of the case folders discovery could not use (reported by the caller); ``splits.json`` may
            name them.

    Returns:
        ``(split -> cases sorted by id, failures)``, splits in :data:`~pet2rep.imaging.cases.SPLITS` order; a case that
        ``splits.json`` does not list is a failure (``(case_id, InputError)``), never silently dropped.
    """
    ordered = sorted(cases, key=lambda c: c.case_id)
    split_ids = read_split_file(data_dir, case_ids=[*(c.case_id for c in ordered), *failed_ids])
    if split_ids is None:
        return {"test": ordered}, []
    where = {cid: split for split, ids in split_ids.items() for cid in ids}
    out: dict[str, list[Case]] = {s: [] for s in SPLITS if s in split_ids}
    failures = []
    for case in ordered:
        split = where.get(case.case_id)
        if split is None:
            failures.append(
                (case.case_id, InputError(f"case {case.case_id!r} is in no split of {Path(data_dir) / 'splits.json'}"))
            )
        else:
            out[split].append(case)
    return out, failures


__all__ = ["assign_splits"]

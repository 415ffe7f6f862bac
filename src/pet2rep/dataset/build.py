"""``pet2rep build``: a folder of PET/CT cases -> the dataset in the Hub layout, streamed case by case.

The layout (what ``pet2rep publish`` uploads)::

    <out>/README.md                                  dataset card: YAML configs + dataset_info, then prose
    <out>/<config>/<split>-0000i-of-0000n.parquet    images / volumes embedded as bytes

Each case is loaded once and rendered in every requested config (:func:`pet2rep.dataset.rows.case_result`), in
this process or in ``num_proc`` worker processes; its rows go straight to the parquet writers of their config and
split (:class:`pet2rep.dataset.parquet.SplitWriter`), in case order, and are dropped. So memory does not grow with
the number of cases: the parent holds at most one row group per config and the results of the cases in flight.
A case that fails, for whatever reason, is reported and left out; the other cases are written.

The build is deterministic: cases are sorted by id (per split), PNG and gzip settings are fixed and carry no
timestamps, row groups hold a fixed number of rows and shards are cut by a fixed size rule, so two builds of the
same input give byte-identical parquet files (and README.md), whatever ``num_proc`` is.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pet2rep.checks import Integer, check
from pet2rep.dataset.card import card_metadata, card_text, split_counts
from pet2rep.dataset.failures import CaseFailure
from pet2rep.dataset.parquet import SplitWriter, content_hash, dataset_files
from pet2rep.dataset.rows import CaseResult, case_result
from pet2rep.dataset.schema import DATASET_CONFIGS, DATASET_NAME, DEFAULT_MAX_SHARD_BYTES, check_configs, dataset_info
from pet2rep.dataset.splits import assign_splits
from pet2rep.errors import InputError, LayoutError, MissingFileError, Pet2RepError, require
from pet2rep.imaging.cases import BUILD_MARKER, SPLITS, Case, scan_cases
from pet2rep.imaging.render_options import RenderOptions

#: Cases handed to the worker processes ahead of the one the writers wait for, per process.
CASES_IN_FLIGHT_PER_PROCESS = 2


@dataclass
class BuildSummary:
    """What a build wrote.

    Attributes:
        out: the dataset folder.
        configs: the configs built.
        cases: ids of the cases in the build (in at least one config).
        failures: cases left out, with reasons.
        skipped: folders under the data folder that pet2rep wrote (e.g. an earlier build), with what they are.
        files: the parquet files written.
        size_bytes: total size of the folder's parquet files and README.md.
        content_hash: :func:`~pet2rep.dataset.parquet.content_hash` of the folder.
        infos: config -> ``datasets.DatasetInfo`` (splits with num_examples / num_bytes).
        timings: seconds per phase (``cases``: load, render, encode and write every case; ``card``, ``register``).
        registered: the configs whose processed cache was refreshed for bare-name loading.
        no_report: ids of the built cases without a (Chinese) reference report: image-only cases.
        masks_dir: the folder of lesion masks given to the build, or None (the cases' own masks only).
    """

    out: Path
    configs: tuple[str, ...]
    cases: list[str] = field(default_factory=list)
    failures: list[CaseFailure] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    size_bytes: int = 0
    content_hash: str = ""
    infos: dict = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    registered: tuple[str, ...] = ()
    no_report: list[str] = field(default_factory=list)
    masks_dir: Path | None = None

    @property
    def rows(self) -> dict[str, dict[str, int]]:
        """config -> split -> number of rows."""
        return split_counts(self.infos)


def _check_out(out: Path) -> None:
    """Refuse to overwrite a folder that is not an earlier build (only README.md, config folders and dot entries)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError(f"--out {out} is a file; expected a folder to write the dataset into")
    entries = [p for p in out.iterdir() if not p.name.startswith(".")]
    if not entries:
        return
    readme = out / "README.md"
    is_build = readme.is_file() and BUILD_MARKER in readme.read_text(encoding="utf-8", errors="replace")
    foreign = [p.name for p in entries if p.name != "README.md" and not (p.is_dir() and p.name in DATASET_CONFIGS)]
    if not is_build or foreign:
        what = f"it holds {', '.join(sorted(foreign))}" if foreign else "README.md was not written by pet2rep build"
        raise InputError(f"--out {out} exists and is not a pet2rep build ({what}); choose an empty or new folder")


def _build_progress(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def build_dataset(
    data_dir: str | Path,
    out: str | Path,
    configs: Sequence[str] = DATASET_CONFIGS,
    *,
    num_proc: int = 1,
    options: RenderOptions | None = None,
    max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES,
    register: bool = True,
    cache_dir: str | Path | None = None,
    license: str = "other",
    pretty_name: str = "PET2Rep",
    progress: bool = True,
    work_dir: str | Path | None = None,
    allow_missing_reports: bool = True,
    reports_dir: str | Path | None = None,
    masks_dir: str | Path | None = None,
) -> BuildSummary:
    """Build the dataset from a folder of cases into the Hub layout at ``out``, streaming rows to parquet.

    Every requested config of a case is rendered from one load of its volumes. A case that fails (a
    :class:`~pet2rep.errors.Pet2RepError`, or any other exception, which then names where it was raised) is left
    out and reported in the summary and the card; the good cases are written.

    Args:
        data_dir: a case folder or a folder of cases (any layout of :mod:`pet2rep.imaging.cases`).
        out: the dataset folder (created; an earlier build there is replaced, anything else is refused).
        configs: some of :data:`~pet2rep.dataset.schema.DATASET_CONFIGS`.
        num_proc: processes rendering cases (1: this one; more: worker processes, the rows written here). The
            workers start from a ``forkserver``: a script that calls this with ``num_proc > 1`` needs the usual
            ``if __name__ == "__main__":`` guard, as with any ``multiprocessing`` start method but ``fork``.
        options: rendering options.
        max_shard_bytes: Arrow bytes per parquet shard at most.
        register: refresh the ``datasets`` cache of each config (``load_dataset(out, config)`` with
            ``download_mode="force_redownload"``) so that ``load_dataset("<basename of out>", config)`` works offline
            from any directory and returns this build.
        cache_dir: the ``datasets`` cache to register in (default: ``HF_DATASETS_CACHE``).
        license: the card's ``license:`` (the source cohort's license; ``other`` by default).
        pretty_name: the card's title in the Hub's metadata.
        progress: a progress bar and phase messages on stderr.
        work_dir: where the files are written before they replace ``out`` (default: a hidden folder beside ``out``).
        allow_missing_reports: build a cohort where some cases have a report and some do not (checked before any
            case is rendered; ``pet2rep build`` passes False unless ``--allow-missing-reports``). A cohort where no
            case has a report (an image-only build) is always allowed.
        reports_dir: where the reports of DICOM studies are (``<case id | StudyInstanceUID | AccessionNumber>.txt``;
            default ``data_dir/reports``), as :func:`~pet2rep.imaging.cases.scan_cases` reads it.
        masks_dir: a folder of lesion masks ``<case_id>.nii.gz`` (any segmentation tool) looked in before each case's
            own mask (:func:`pet2rep.imaging.masks.find_mask`); the masks drive ``options.slice_strategy="lesion"``,
            the ``lesion`` config, the rows' ``lesion_coverage`` and ``options.mask_overlay``.

    Returns:
        The :class:`BuildSummary`.

    Raises:
        InputError: bad arguments, an ``out`` that is not an earlier build, no case that could be built, or (without
            ``allow_missing_reports``) some cases with a report and some without.
        LayoutError, MissingFileError: ``data_dir`` holds no case; ``masks_dir`` is not a folder.
    """
    require("datasets", "hf")
    configs = check_configs(configs)
    options = options or RenderOptions()
    check("num_proc", num_proc, Integer(low=1))
    check("max_shard_bytes", max_shard_bytes, Integer(low=1))
    if masks_dir is not None:
        masks_dir = Path(masks_dir).expanduser().resolve()  # worker processes may start in another directory
        if not masks_dir.is_dir():
            raise MissingFileError(f"masks folder not found: {masks_dir} (expected a folder of <case_id>.nii.gz)")
    data_dir = Path(data_dir)
    out = Path(out).expanduser().resolve()
    _check_out(out)
    root = data_dir.resolve()
    # one discovery (DICOM discovery reads every file's header), on the absolute path: failures name absolute paths,
    # as the builder's do; fails early on a data_dir without any case
    scan = scan_cases(root, reports_dir=reports_dir)
    if not scan.cases:
        listing = "; ".join(str(e) for _, e in scan.failures)
        raise LayoutError(f"{data_dir}: no usable case ({listing})")
    no_report = check_reports(scan.cases, allow_missing_reports)
    splits, unassigned = assign_splits(root, scan.cases, [cid for cid, _ in scan.failures])
    in_order = tuple(c for c in DATASET_CONFIGS if c in configs)
    failures = [CaseFailure(cid, in_order, type(e).__name__, str(e)) for cid, e in [*scan.failures, *unassigned]]

    out.parent.mkdir(parents=True, exist_ok=True)
    work_parent = Path(work_dir) if work_dir is not None else out.parent
    work_parent.mkdir(parents=True, exist_ok=True)
    work = Path(_mkdtemp(work_parent, f".{out.name}.build-"))
    summary = BuildSummary(out=out, configs=configs, skipped=list(scan.skipped), masks_dir=masks_dir)
    writers: dict[tuple[str, str], SplitWriter] = {}
    try:
        staged = work / "staged"
        jobs = [(split, case) for split, cases in splits.items() for case in cases]
        _build_progress(
            f"pet2rep build: {len(jobs)} case(s) -> {', '.join(configs)} (num_proc={num_proc}); rows are written "
            "as each case is rendered",
            progress,
        )
        t0 = time.perf_counter()
        built: dict[str, set[str]] = {c: set() for c in configs}
        for split, result in _results(jobs, configs, options, num_proc, progress, masks_dir):
            if result.rows is None:
                failures.append(CaseFailure(result.case_id, in_order, result.error, result.message))
                continue
            for config in configs:
                writer = writers.get((config, split))
                if writer is None:
                    writer = writers[config, split] = SplitWriter(staged / config, split, config, max_shard_bytes)
                writer.add(result.rows[config])
                built[config].add(result.case_id)
        summary.timings["cases"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        for config in configs:
            names = [s for s in SPLITS if (config, s) in writers]
            if not names:  # every case of the config failed: it is left out of the layout and the card
                continue
            info = _split_info(config)
            written: list[Path] = []
            for split in names:
                writer = writers.pop((config, split))
                written += writer.close()
                info.splits.add(_split(split, writer.num_rows, writer.num_bytes))
            info.dataset_size = sum(info.splits[s].num_bytes for s in names)
            info.download_size = sum(p.stat().st_size for p in written)
            summary.infos[config] = info
            summary.files += [out / p.relative_to(staged) for p in written]
        summary.timings["parquet"] = time.perf_counter() - t0
        summary.configs = tuple(c for c in configs if c in summary.infos)
        summary.failures = sorted(failures, key=lambda f: f.case_id)
        _check_nothing_dropped(scan.cases, built, summary.failures, configs)
        summary.cases = sorted(set().union(*built.values()))
        summary.no_report = sorted(set(no_report) & set(summary.cases))
        if not summary.cases:
            raise InputError(
                f"{data_dir}: no case could be built; "
                + "; ".join(str(f) for f in summary.failures[:20])
                + (" ..." if len(summary.failures) > 20 else "")
            )

        t0 = time.perf_counter()
        summary.content_hash = content_hash(staged)
        split_names = {config: list(info.splits) for config, info in summary.infos.items()}
        metadata = card_metadata(
            summary.infos, split_names, license=license, pretty_name=pretty_name, content_hash=summary.content_hash
        )
        (staged / "README.md").write_text(card_text(metadata, summary=summary, options=options), encoding="utf-8")
        _install(staged, out)
        summary.files = dataset_files(out)
        summary.size_bytes = sum(p.stat().st_size for p in [*summary.files, out / "README.md"])
        summary.timings["card"] = time.perf_counter() - t0
    finally:
        for writer in writers.values():
            writer.abort()
        shutil.rmtree(work, ignore_errors=True)

    if register:
        from pet2rep.dataset.load import register_cache

        t0 = time.perf_counter()
        _build_progress(
            f"pet2rep build: refreshing the datasets cache so that load_dataset({out.name!r}, ...) works", progress
        )
        summary.registered = register_cache(out, summary.configs, cache_dir=cache_dir, progress=progress)
        summary.timings["register"] = time.perf_counter() - t0
    return summary


def _split_info(config: str):
    import datasets

    info = dataset_info(config)
    info.builder_name = info.dataset_name = DATASET_NAME
    info.config_name = config
    info.splits = datasets.SplitDict(dataset_name=DATASET_NAME)
    return info


def _split(name: str, num_examples: int, num_bytes: int):
    import datasets

    return datasets.SplitInfo(name=name, num_bytes=num_bytes, num_examples=num_examples, dataset_name=DATASET_NAME)


def _results(
    jobs: list[tuple[str, Case]],
    configs: tuple[str, ...],
    options: RenderOptions,
    num_proc: int,
    progress: bool,
    masks_dir: Path | None = None,
) -> Iterator[tuple[str, CaseResult]]:
    """``(split, result)`` of every job, in job order: rendered here (``num_proc == 1``) or by worker processes."""
    from tqdm.auto import tqdm

    with tqdm(total=len(jobs), desc="pet2rep build", unit="case", disable=not progress, file=sys.stderr) as bar:
        if num_proc == 1 or len(jobs) < 2:
            for split, case in jobs:
                result = case_result(case, configs, options, masks_dir)
                bar.update()
                yield split, result
            return
        for item in _pool_results(jobs, configs, options, min(num_proc, len(jobs)), masks_dir):
            bar.update()
            yield item


def _new_pool(workers: int):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # forkserver: workers start from a clean process that imported the rendering code once (no fork of a parent
    # that may run threads, no re-import per worker).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pet2rep.dataset.rows"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def _pool_results(
    jobs: list[tuple[str, Case]],
    configs: tuple[str, ...],
    options: RenderOptions,
    workers: int,
    masks_dir: Path | None = None,
) -> Iterator[tuple[str, CaseResult]]:
    """The worker-process side of :func:`_results`: a bounded window of cases in flight, results in job order.

    A worker that dies (killed for memory, a crash in native code) breaks the pool. The cases that were in flight
    are then built again one at a time, each in a fresh process of its own: a case whose process dies alone is
    reported as failed (``WorkerError``), the others give their rows. The rest goes on in a new pool.
    """
    from concurrent.futures.process import BrokenProcessPool

    pending = iter(jobs)
    window: deque = deque()
    pool = _new_pool(workers)

    def fill() -> None:
        while len(window) < workers * CASES_IN_FLIGHT_PER_PROCESS:
            job = next(pending, None)
            if job is None:
                return
            window.append((*job, pool.submit(case_result, job[1], configs, options, masks_dir)))

    try:
        fill()
        while window:
            split, case, future = window.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                pool.shutdown(wait=True, cancel_futures=True)
                in_flight = [(split, case, future), *window]
                window.clear()
                for s, c, f in in_flight:
                    yield s, _finished(f) or _alone(c, configs, options, masks_dir)
                pool = _new_pool(workers)
                fill()
                continue
            yield split, result
            fill()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _finished(future) -> CaseResult | None:
    """The result of a future that completed before its pool broke, else None."""
    if future.done() and not future.cancelled() and future.exception() is None:
        return future.result()
    return None


def _alone(case: Case, configs: tuple[str, ...], options: RenderOptions, masks_dir: Path | None = None) -> CaseResult:
    """:func:`case_result` in a process of its own; a process that dies is this case's failure."""
    from concurrent.futures.process import BrokenProcessPool

    with _new_pool(1) as pool:
        try:
            return pool.submit(case_result, case, configs, options, masks_dir).result()
        except BrokenProcessPool as e:
            return CaseResult(
                case.case_id,
                error="WorkerError",
                message=f"case {case.case_id!r}: the process building it died ({e}); out of memory, or a crash in "
                "native code?",
            )


def _check_nothing_dropped(cases, built: dict[str, set[str]], failures: list[CaseFailure], configs) -> None:
    """Every discovered case is a row or a reported failure of every config (an invariant of the build).

    Args:
        cases: the cases discovery found.
        built: config -> ids of the cases written.
        failures: the failures reported.
        configs: the configs built.
    """
    for config in configs:
        failed = {f.case_id for f in failures if config in f.configs}
        lost = sorted({c.case_id for c in cases} - built.get(config, set()) - failed)
        if lost:
            raise Pet2RepError(f"config {config!r}: case(s) {lost} were neither built nor reported as failed")


def _mkdtemp(parent: Path, prefix: str) -> str:
    import tempfile

    return tempfile.mkdtemp(prefix=prefix, dir=parent)


def _install(staged: Path, out: Path) -> None:
    """Replace the README.md and config folders of ``out`` with the staged ones (dot entries are left alone)."""
    out.mkdir(parents=True, exist_ok=True)
    for config in DATASET_CONFIGS:
        old = out / config
        if old.is_dir():
            shutil.rmtree(old)
    (out / "README.md").unlink(missing_ok=True)
    for entry in sorted(staged.iterdir()):
        os.replace(entry, out / entry.name)


def describe(summary: BuildSummary) -> str:
    """The end-of-build summary printed by ``pet2rep build``."""
    lines = [f"pet2rep build: wrote {summary.out}"]
    for config, splits in summary.rows.items():
        lines.append(f"  {config:<9} " + ", ".join(f"{s}: {n} rows" for s, n in splits.items()))
    lines.append(f"  cases: {len(summary.cases)} built, {len(summary.failures)} left out")
    if summary.no_report:
        lines.append(
            f"  reports: {len(summary.no_report)} of {len(summary.cases)} built case(s) have no report (image-only; "
            f"left out of scoring): {_show_ids(summary.no_report)}"
        )
    else:
        lines.append(f"  reports: every built case has one ({len(summary.cases)})")
    for f in summary.failures:
        lines.append(f"    FAILED {f.case_id} [{', '.join(f.configs)}] {f.error}: {f.message}")
    for folder, what in summary.skipped:
        lines.append(f"  skipped {folder}: {what}, not a case folder")
    lines.append(f"  size: {_human(summary.size_bytes)} in {len(summary.files)} parquet file(s) + README.md")
    lines.append(f"  content hash: {summary.content_hash}")
    if summary.timings:
        lines.append("  time: " + ", ".join(f"{k} {v:.1f}s" for k, v in summary.timings.items()))
    if summary.registered:
        name = summary.out.name
        lines.append(
            f"  load: load_dataset({str(summary.out)!r}, {summary.registered[0]!r}); offline also "
            f"load_dataset({name!r}, {summary.registered[0]!r}) from any directory (datasets cache)"
        )
    return "\n".join(lines)


def check_reports(cases, allow_missing: bool) -> list[str]:
    """The ids of the cases without a (Chinese) report; refuse a mix of cases with and without one.

    Args:
        cases: the :class:`~pet2rep.imaging.cases.Case` objects of a scan.
        allow_missing: accept a mix (its cases without a report are image-only, left out of scoring).

    Raises:
        InputError: some cases have a report and some not, and not ``allow_missing``.
    """
    missing = sorted(c.case_id for c in cases if c.report_path is None)
    if missing and len(missing) < len(cases) and not allow_missing:
        raise InputError(
            f"{len(missing)} of {len(cases)} case(s) have no report (report.txt, or an nnU-Net reports/<id>.json): "
            f"{_show_ids(missing)}; a build mixing cases with and without reports cannot be scored as one test set. "
            "Add their reports, move those cases out, or pass --allow-missing-reports to keep them as image-only "
            "cases (left out of scoring)"
        )
    return missing


def _show_ids(ids: list[str], k: int = 5) -> str:
    return ", ".join(ids[:k]) + (f" ... and {len(ids) - k} more" if len(ids) > k else "")


def _human(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


def parse_size(text: str) -> int:
    """``"500MB"``, ``"2GiB"``, ``"1000"`` -> bytes (decimal and binary units)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B?)?\s*", str(text), flags=re.I)
    if not m:
        raise InputError(f"size must be a number with an optional unit (KB, MB, GB, KiB, MiB, GiB), got {text!r}")
    unit = (m.group(2) or "").upper().rstrip("B")
    base = 1024 if unit.endswith("I") else 1000
    power = {"": 0, "K": 1, "M": 2, "G": 3, "T": 4}[unit.rstrip("I")]
    value = int(float(m.group(1)) * base**power)
    if value < 1:
        raise InputError(f"size must be at least 1 byte, got {text!r}")
    return value


__all__ = ["BuildSummary", "build_dataset", "describe", "parse_size"]

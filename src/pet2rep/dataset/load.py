"""The ONE loader of a built dataset: where it is (a local ``pet2rep build`` folder or a Hub id), one config's split
as a ``datasets.Dataset`` with clear errors, and the ``datasets`` cache registration that makes the bare name load.

Used by the CLI (``pet2rep baseline``, ``pet2rep submission``), the lighteval task and the demo.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from pet2rep.dataset.schema import WRITER_BATCH_SIZE
from pet2rep.errors import InputError, MissingFileError, require

DATASET_ENV = "PET2REP_DATASET"
#: The local build (``pet2rep build DATA --out data/pet2rep``), looked up in the working directory, then (for a
#: checkout's ``tasks/pet2rep.py``) in the repository that holds the task file.
DEFAULT_DATASET = "data/pet2rep"
SPLIT = "test"


def resolve_dataset(value: str | None = None, *, repo_root: str | Path | None = None) -> str:
    """Where the tasks read the dataset from.

    Args:
        value: a Hub dataset id or a local folder; default: ``$PET2REP_DATASET``, else :data:`DEFAULT_DATASET`.
        repo_root: where to look for the default folder when the working directory has none (the task file
            passes its repository).

    Returns:
        An absolute folder path when ``value`` names an existing folder (or is the default), else ``value``
        unchanged (a Hub id such as ``org/pet2rep``).
    """
    if value is None:
        value = os.environ.get(DATASET_ENV) or None
    if value is None:
        local = Path.cwd() / DEFAULT_DATASET
        if not local.is_dir() and repo_root is not None and (Path(repo_root) / DEFAULT_DATASET).is_dir():
            local = Path(repo_root) / DEFAULT_DATASET
        return str(local.resolve())
    path = Path(value).expanduser()
    if path.is_dir():
        return str(path.resolve())
    return value


def looks_local(dataset: str) -> bool:
    """True for what can only be a path (absolute, ``./``, ``../``, ``~``); Hub ids are ``name`` or ``org/name``."""
    return os.path.isabs(dataset) or dataset.startswith(("./", "../", "~", ".\\")) or dataset.count("/") > 1


def dataset_problem(dataset: str) -> str | None:
    """A message when ``dataset`` is a local path that does not exist, else None."""
    if looks_local(dataset) and not Path(dataset).expanduser().is_dir():
        return (
            f"pet2rep dataset folder {dataset} does not exist: build it with `pet2rep build DATA_DIR --out "
            f"{DEFAULT_DATASET}` or point ${DATASET_ENV} at a local build or a Hub dataset id"
        )
    return None


def load_split(
    dataset: str,
    config: str,
    *,
    split: str = SPLIT,
    columns: Sequence[str] = (),
    cache_dir: str | Path | None = None,
):
    """Load one config of the dataset with clear errors for a missing folder, config, split or column.

    A local folder is read straight from its parquet files (the ``configs:`` of its README.md say which), not
    through ``load_dataset``: datasets 5.2 caches a local folder under its base name and config only, so after a
    rebuild (or for another folder of the same name) ``load_dataset`` returns the old rows. A Hub id goes through
    ``load_dataset`` (its cache is keyed on the revision), as does a bare name registered by ``pet2rep build``
    (:func:`register_cache`), without the ``datasets`` cache chatter.

    Args:
        dataset: a local build folder, a Hub id (``org/name``) or a registered bare name (``pet2rep``).
        config: the config (``fused``, ``separate``, ``mip``, ``volumes``).
        split: the split.
        columns: columns the caller needs (a missing one is an error naming the ones there are).
        cache_dir: the ``datasets`` cache of a Hub id or bare name (default: ``HF_DATASETS_CACHE``).

    Returns:
        A ``datasets.Dataset`` (images decode to PIL on access).
    """
    datasets = require("datasets", "hf")
    problem = dataset_problem(dataset)
    if problem:
        raise MissingFileError(problem)
    if Path(dataset).expanduser().is_dir():
        ds = _read_local_split(Path(dataset).expanduser(), config, split)
    else:
        try:
            with quiet_datasets():
                ds = datasets.load_dataset(
                    dataset, config, split=split, cache_dir=None if cache_dir is None else str(cache_dir)
                )
        except ValueError as e:
            message = str(e)
            if "not found" in message or "Unknown split" in message or "Bad split" in message:
                raise InputError(
                    f"dataset {dataset!r} has no config {config!r} with a {split!r} split: {message}"
                ) from e
            raise
        except (ConnectionError, FileNotFoundError) as e:  # includes datasets' DatasetNotFoundError
            raise MissingFileError(
                f"dataset {dataset!r} is neither a local folder nor a Hub dataset reachable from here ({e}); "
                f"build one with `pet2rep build DATA_DIR --out {DEFAULT_DATASET}` or set ${DATASET_ENV}"
            ) from e
    missing = [c for c in columns if c not in ds.column_names]
    if missing:
        raise InputError(
            f"dataset {dataset!r} config {config!r} lacks column(s) {', '.join(missing)}; "
            f"it has {', '.join(ds.column_names)}"
        )
    return ds


def _readme_configs(folder: Path) -> dict[str, dict] | None:
    """config name -> its ``configs:`` entry in the README.md YAML header (None without such a header)."""
    readme = folder / "README.md"
    if not readme.is_file():
        return None
    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return None
    end = text.find("\n---", 3)
    yaml = require("yaml", "hf")
    try:
        meta = yaml.safe_load(text[3 : end if end > 0 else None]) or {}
    except yaml.YAMLError as e:
        raise InputError(f"{readme}: the YAML header does not parse ({e})") from e
    configs = meta.get("configs") if isinstance(meta, dict) else None
    if not configs:
        return None
    return {str(c.get("config_name", "default")): c for c in configs if isinstance(c, dict)}


def _split_patterns(entry: dict, split: str) -> list[str] | None:
    data_files = entry.get("data_files")
    if isinstance(data_files, str):
        data_files = [data_files]
    if isinstance(data_files, dict):
        data_files = [{"split": k, "path": v} for k, v in data_files.items()]
    if not isinstance(data_files, list):
        return None
    patterns: list[str] = []
    for item in data_files:
        if isinstance(item, str) and split == "train":
            patterns.append(item)
        elif isinstance(item, dict) and item.get("split", "train") == split:
            path = item.get("path")
            patterns.extend([path] if isinstance(path, str) else list(path or []))
    return patterns or None


def _read_local_split(folder: Path, config: str, split: str):
    import datasets
    import pyarrow as pa
    import pyarrow.parquet as pq

    configs = _readme_configs(folder)
    if configs is not None:
        if config not in configs:
            raise InputError(f"dataset {str(folder)!r} has no config {config!r}; its configs: {', '.join(configs)}")
        patterns = _split_patterns(configs[config], split)
        if patterns is None:
            raise InputError(f"dataset {str(folder)!r} config {config!r} has no {split!r} split in its README.md")
    else:
        if not (folder / config).is_dir():
            found = sorted(p.name for p in folder.iterdir() if p.is_dir())
            raise InputError(
                f"dataset {str(folder)!r} has no config {config!r} (no README.md configs and no {config}/ folder; "
                f"folders: {', '.join(found) or 'none'})"
            )
        patterns = [f"{config}/{split}-*.parquet"]
    files = sorted({p for pattern in patterns for p in folder.glob(pattern) if p.is_file()})
    if not files:
        raise InputError(f"dataset {str(folder)!r} config {config!r}: no {split!r} file matches {', '.join(patterns)}")
    try:
        table = pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")
    except (OSError, pa.ArrowInvalid) as e:
        raise InputError(f"dataset {str(folder)!r} config {config!r}: unreadable parquet ({e})") from e
    return datasets.Dataset(table, split=datasets.Split(split))


@contextlib.contextmanager
def quiet_datasets(progress: bool = True):
    """``datasets`` logs errors only inside the block (its cache-path chatter is noise here); ``progress=False``
    also hides its progress bars."""
    from datasets import utils as ds_utils
    from datasets.utils import logging as ds_logging

    was = ds_utils.are_progress_bars_disabled()
    level = ds_logging.get_verbosity()
    if not progress:
        ds_utils.disable_progress_bars()
    ds_logging.set_verbosity_error()
    try:
        yield
    finally:
        ds_logging.set_verbosity(level)
        if not progress and not was:
            ds_utils.enable_progress_bars()


def register_cache(
    out: str | Path,
    configs: Sequence[str] | None = None,
    *,
    cache_dir: str | Path | None = None,
    progress: bool = True,
) -> tuple[str, ...]:
    """Load each config of a built folder once by path, regenerating its ``datasets`` cache.

    ``datasets`` 5.2 resolves a bare name offline (``load_dataset("pet2rep", "fused")`` from a directory without a
    ``./pet2rep`` folder) to the most recently written processed cache of a folder with that base name; a cache is
    keyed on the folder's base name, the config and a hash of the card, not on the files' content, so a plain load
    after a rebuild can return the old rows. ``download_mode="force_redownload"`` rewrites the cache from the new
    files and makes it the most recent one.

    These are ``load_dataset``'s own steps (``load_dataset_builder`` then ``download_and_prepare``, same cache folder,
    same rows and tables) with two changes that keep memory flat in the number of cases, measured on 96 medium cases:

    - the config's ``writer_batch_size`` (:data:`~pet2rep.dataset.schema.WRITER_BATCH_SIZE`): by default ``datasets``
      keeps single-row tables, the row groups of ``volumes``, in memory up to 1,000 rows (645 MiB peak);
    - the shards are read one row group at a time, in this thread, without pre-buffering: ``datasets`` scans a whole
      shard with pyarrow's threaded read-ahead, which reads a shard into memory first (``pre_buffer``) or runs up to
      ~120 MB ahead of a slower writer.

    Neither changes the name of the cache folder, so a later ``load_dataset`` finds this cache.

    Returns:
        The configs registered.

    Raises:
        InputError: a config the folder's card does not list.
    """
    from pet2rep.dataset.card import read_card

    datasets = require("datasets", "hf")
    out = Path(out).resolve()
    meta, _ = read_card(out)
    available = [c.get("config_name") for c in meta.get("configs") or [] if isinstance(c, dict)]
    configs = tuple(available if configs is None else configs)
    done = []
    for config in configs:
        if config not in available:
            raise InputError(f"{out} has no config {config!r}; its configs: {', '.join(map(str, available))}")
        with quiet_datasets(progress):
            builder = datasets.load_dataset_builder(
                str(out),
                config,
                cache_dir=None if cache_dir is None else str(cache_dir),
                download_mode="force_redownload",
                writer_batch_size=WRITER_BATCH_SIZE.get(config),
            )
            _read_row_group_by_row_group(builder)
            builder.download_and_prepare(download_mode="force_redownload")
        done.append(config)
    return tuple(done)


def _read_row_group_by_row_group(builder) -> None:
    """Make a ``datasets`` Parquet builder read its shards one row group at a time (see :func:`register_cache`).

    The tables are those of its own reader (a row group is a batch there too), cast the same way; only the reading
    changes. A builder that is not ``datasets``' Parquet builder is left alone.
    """
    cast = getattr(builder, "_cast_table", None)
    if cast is None or not callable(getattr(builder, "_generate_tables", None)):
        return
    import pyarrow.parquet as pq

    def generate_tables(files, row_groups_list=None):
        for file_idx, (file, row_groups) in enumerate(zip(files, row_groups_list or [None] * len(files), strict=True)):
            with open(file, "rb") as f:
                reader = pq.ParquetFile(f, pre_buffer=False)
                for group in row_groups if row_groups is not None else range(reader.num_row_groups):
                    yield (file_idx, group), cast(reader.read_row_group(group, use_threads=False))

    builder._generate_tables = generate_tables


__all__ = [
    "DATASET_ENV",
    "DEFAULT_DATASET",
    "SPLIT",
    "dataset_problem",
    "load_split",
    "looks_local",
    "quiet_datasets",
    "register_cache",
    "resolve_dataset",
]

"""Deterministic parquet shards written as rows arrive, and the content hash of a built folder.

A :class:`SplitWriter` holds at most one row group of rows (:data:`~pet2rep.dataset.schema.ROW_GROUP_ROWS`: 100
picture rows, 1 volume row) before writing it, so memory does not grow with the number of cases. The bytes depend
only on the rows and their order: row groups hold a fixed number of rows, each built into fresh Arrow buffers; a
shard takes row groups until the next one would pass ``max_shard_bytes`` of Arrow data. Images and volumes are
stored uncompressed (their bytes are compressed already), the rest with snappy, as ``datasets`` does; the
``datasets`` features travel in the schema metadata, so ``load_dataset`` decodes images and volumes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from pet2rep import __version__
from pet2rep.dataset.schema import DEFAULT_MAX_SHARD_BYTES, ROW_GROUP_ROWS, features
from pet2rep.errors import require


class SplitWriter:
    """Write the rows of one split of one config as ``<folder>/<split>-0000i-of-0000n.parquet``, in the order given.

    Usage: :meth:`add` each row, then :meth:`close`; the shards get their final names on :meth:`close` (until then
    they are hidden ``.<split>-part-*.parquet`` files). Stale shards of the split in ``folder`` are removed on the
    first write.
    """

    def __init__(self, folder: str | Path, split: str, config: str, max_shard_bytes: int = DEFAULT_MAX_SHARD_BYTES):
        require("datasets", "hf")
        from datasets.arrow_writer import get_parquet_column_options

        self.folder = Path(folder)
        self.split = split
        self.config = config
        self.max_shard_bytes = max_shard_bytes
        self.features = features(config)
        self.schema = self.features.arrow_schema
        self._column_options = get_parquet_column_options(self.features, self.schema)
        self._rows_per_group = ROW_GROUP_ROWS.get(config, 100)
        self._pending: list[dict[str, Any]] = []
        self._parts: list[Path] = []
        self._writer = None
        self._shard_bytes = 0
        #: Rows written so far.
        self.num_rows = 0
        #: Arrow bytes of the row groups written so far (independent of how the rows were made).
        self.num_bytes = 0

    def add(self, row: dict[str, Any]) -> None:
        """Queue one row (the columns of the config's features); a full row group is written at once."""
        self._pending.append(self.features.encode_example(row))
        if len(self._pending) >= self._rows_per_group:
            self._write_group()

    def _write_group(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        from datasets import config as ds_config

        if not self._pending:
            return
        n = len(self._pending)
        group = pa.Table.from_pylist(self._pending, schema=self.schema)  # one chunk per column, fresh buffers
        self._pending = []
        size = int(group.nbytes)
        if self._writer is not None and self._shard_bytes + size > self.max_shard_bytes:
            self._close_shard()
        if self._writer is None:
            if not self._parts:
                self.folder.mkdir(parents=True, exist_ok=True)
                for stale in self.folder.glob(f"{self.split}-*.parquet"):
                    stale.unlink()
            self._parts.append(self.folder / f".{self.split}-part-{len(self._parts):05d}.parquet")
            self._writer = pq.ParquetWriter(
                str(self._parts[-1]),
                schema=self.schema,
                use_content_defined_chunking=ds_config.DEFAULT_CDC_OPTIONS,
                write_page_index=True,
                **self._column_options,
            )
            self._shard_bytes = 0
        self._writer.write_table(group, row_group_size=n)
        self._shard_bytes += size
        self.num_bytes += size
        self.num_rows += n

    def _close_shard(self) -> None:
        from datasets import config as ds_config

        writer, self._writer = self._writer, None
        try:
            writer.add_key_value_metadata(
                {
                    "content_defined_chunking": json.dumps(ds_config.DEFAULT_CDC_OPTIONS),
                    # which software made these rows: the benchmark version of each row set (the content hash of
                    # the files, which cannot be inside them, is in the card: pet2rep.dataset.card.benchmark_version)
                    "pet2rep": json.dumps(
                        {"pet2rep_version": __version__, "config": self.config, "split": self.split}, sort_keys=True
                    ),
                }
            )
        finally:
            writer.close()

    def close(self) -> list[Path]:
        """Write what is left, close the last shard and give the shards their final names.

        Returns:
            The files written, in order (none when no row was added).
        """
        self._write_group()
        if self._writer is not None:
            self._close_shard()
        files = []
        for index, part in enumerate(self._parts):
            path = self.folder / f"{self.split}-{index:05d}-of-{len(self._parts):05d}.parquet"
            os.replace(part, path)
            files.append(path)
        self._parts = []
        return files

    def abort(self) -> None:
        """Close and delete what was written (after an error)."""
        self._pending = []
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()
        for part in self._parts:
            part.unlink(missing_ok=True)
        self._parts = []


def dataset_files(folder: str | Path) -> list[Path]:
    """The parquet files of a built dataset folder (``<config>/*.parquet``), sorted."""
    root = Path(folder)
    return sorted(p for p in root.glob("*/*.parquet") if p.is_file())


def content_hash(folder: str | Path) -> str:
    """``sha256:<hex>`` over the sorted relative paths and contents of the folder's parquet files."""
    root = Path(folder)
    total = hashlib.sha256()
    for path in dataset_files(root):
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        total.update(f"{path.relative_to(root).as_posix()}\t{digest.hexdigest()}\n".encode())
    return f"sha256:{total.hexdigest()}"


def folder_content_hash(dataset: str | Path) -> str | None:
    """:func:`content_hash` of ``dataset`` when it is a local folder (a ``pet2rep build``), else None (a Hub id)."""
    path = Path(dataset).expanduser()
    return content_hash(path) if path.is_dir() else None


__all__ = ["SplitWriter", "content_hash", "dataset_files", "folder_content_hash"]

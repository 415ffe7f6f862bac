"""Files of (prediction, reference) pairs, as other benchmarks release their results: CSV or JSONL.

PETRG-3D, for instance, releases ``valid_infer_ckpt1260_autopet.csv`` with one row per study: ``AccNum``,
``GT_report`` (the reference) and ``Cleaned_Pred_report`` (the prediction it scores). :func:`read_pairs` reads such a
file by column names; ``pet2rep score --pairs`` is its command-line face.

- CSV (``.csv``): RFC 4180 as Python's ``csv`` module and pandas read it (quoted fields may span lines), UTF-8
  with or without a byte order mark; an empty cell is an empty report (it scores 0; pandas-based scorers such as
  PETRG-3D's would read it as the string "nan");
- JSONL (any other name): one JSON object per line holding the columns as keys.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from pet2rep.errors import InputError, MissingFileError
from pet2rep.files import iter_json_lines, read_text

DEFAULT_COLUMNS = {"id": "id", "prediction": "prediction", "reference": "reference"}
_CSV_FIELD_LIMIT = 64 * 1024 * 1024  # csv's default (128 KiB) is below a long generated report with a prompt


def read_pairs(
    path: str | os.PathLike,
    *,
    prediction_column: str = DEFAULT_COLUMNS["prediction"],
    reference_column: str = DEFAULT_COLUMNS["reference"],
    id_column: str | None = DEFAULT_COLUMNS["id"],
) -> tuple[list[str], list[str], list[str]]:
    """Read a CSV or JSONL file with one (prediction, reference) pair per row.

    Args:
        path: the file; ``.csv`` is read as CSV, anything else as JSONL.
        prediction_column: the column (key) of the generated report.
        reference_column: the column (key) of the reference report.
        id_column: the column of the case id; when the file has no such column the ids are the row numbers
            ``"1"``, ``"2"``, ... (None: always row numbers).

    Returns:
        ``(case_ids, predictions, references)`` in file order.

    Raises:
        MissingFileError: no such file.
        InputError: not UTF-8, not CSV/JSONL, a missing column (the message lists the file's columns), a value that
            is not a string, or no rows.
    """
    path = Path(path)
    if not path.exists():
        raise MissingFileError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: expected a CSV or JSONL file, got a directory or special file")
    text = read_text(path)
    rows = _csv_rows(text, path) if path.suffix.lower() == ".csv" else _jsonl_rows(text, path)
    if not rows:
        raise InputError(f"{path}: no rows; expected one (prediction, reference) pair per row")
    columns = list(rows[0][1])
    for name, column in (("prediction", prediction_column), ("reference", reference_column)):
        if column not in columns:
            raise InputError(
                f"{path}: no {name} column {column!r}; the file's columns are: {', '.join(map(repr, columns))}"
            )
    use_ids = id_column is not None and id_column in columns
    case_ids: list[str] = []
    predictions: list[str] = []
    references: list[str] = []
    for number, (where, row) in enumerate(rows, start=1):
        values = []
        for column in (prediction_column, reference_column, *((id_column,) if use_ids else ())):
            if column not in row:
                raise InputError(f"{path}: {where}: no {column!r}")
            value = row[column]
            if not isinstance(value, str):
                raise InputError(f"{path}: {where}: {column!r} must be a string; got {type(value).__name__}")
            values.append(value)
        predictions.append(values[0])
        references.append(values[1])
        case_ids.append(values[2] if use_ids else str(number))
    return case_ids, predictions, references


def _csv_rows(text: str, path: Path) -> list[tuple[str, dict]]:
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, _CSV_FIELD_LIMIT))
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        rows = []
        for row in reader:
            if None in row or None in row.values():
                raise InputError(
                    f"{path}: line {reader.line_num}: a row with a different number of fields than the header's "
                    f"{len(reader.fieldnames or ())}"
                )
            rows.append((f"line {reader.line_num}", row))
        return rows
    except csv.Error as e:
        raise InputError(f"{path}: not valid CSV ({e})") from e
    finally:
        csv.field_size_limit(limit)


def _jsonl_rows(text: str, path: Path) -> list[tuple[str, dict]]:
    return [(f"line {number}", record) for number, record in iter_json_lines(text, str(path))]

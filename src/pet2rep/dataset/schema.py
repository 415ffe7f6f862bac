"""The dataset's shape: configs, columns (``datasets.Features``), the per-config info and the fixed encoding settings.

``datasets`` is imported inside :func:`features` and :func:`dataset_info`, so importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable

from pet2rep.errors import InputError, require
from pet2rep.paper import CITATION, PAPER_URL
from pet2rep.vocab import DATASET_CONFIGS, FINDINGS_KEY, IMAGE_CONFIGS

#: ``fused`` is the default config (the configs themselves, in card order: :data:`pet2rep.vocab.DATASET_CONFIGS`).
DEFAULT_CONFIG = "fused"
VOLUME_CONFIG = "volumes"
#: The config whose planes always go through the lesions (every picture config's rows carry ``slice_strategy``,
#: ``lesion_coverage`` and ``mask_overlay``).
LESION_CONFIG = "lesion"
CONFIG_DESCRIPTIONS = {
    "fused": "3 fused PET/CT coronal key slices (hot-iron PET over soft-tissue-window CT), the benchmark's default.",
    "separate": "6 images: the grayscale CT slice and the hot-iron PET slice of each of the 3 key locations.",
    "mip": "a coronal PET maximum intensity projection (inverted gray) followed by the 3 fused key slices.",
    "lesion": "3 fused PET/CT coronal slices on planes chosen through the lesions (the study's lesion mask, else SUV "
    "hot spots), with the lesion coverage of the planes.",
    "volumes": "the CT resampled onto the PET grid (HU, int16) and the SUV volume (float32) as NIfTI, for 3-D models.",
}
#: The builder's name and version (``dataset_info`` of the card, the ``datasets`` cache of the builder).
DATASET_NAME = "pet2rep"
DATASET_VERSION = "0.1.0"

#: PNG encoder settings of every image (zlib level, no optimiser pass, no text or time chunks).
PNG_COMPRESS_LEVEL = 6
#: gzip level of the NIfTI bytes of the ``volumes`` config (the gzip header carries no time stamp or name). Level 1:
#: on realistic volumes it is several times faster than 6 for a few percent more bytes.
NIFTI_COMPRESS_LEVEL = 1
#: Rows held in memory by the datasets writer before a flush (small for whole-body volumes).
WRITER_BATCH_SIZE = {"fused": 32, "separate": 32, "mip": 32, "lesion": 32, "volumes": 2}
#: Rows per parquet row group (reading one row reads its row group).
ROW_GROUP_ROWS = {"fused": 100, "separate": 100, "mip": 100, "lesion": 100, "volumes": 1}
#: Shards are cut so that none holds more than this many bytes of Arrow data (the ``push_to_hub`` default).
DEFAULT_MAX_SHARD_BYTES = 500 * 1024 * 1024

DESCRIPTION = (
    "PET2Rep: whole-body FDG PET/CT radiology report generation. Each row is one PET/CT study: coronal key slices "
    "(or the volumes) and the reference structured report, for zero-shot evaluation of vision-language models."
)

#: The card's field table: (column, type, meaning).
FIELD_DOCS = (
    ("case_id", "string", "the study's id (case folder name; `<patient>_<study>` for autoPET)"),
    ("images", "list of Image (PNG)", "picture configs: the key slices in model order (see the configs above)"),
    (
        "image_names",
        "list of string",
        "file names of the images (`<case>_fused_<plane>.png`, `<case>_ct_<plane>.png`)",
    ),
    ("ct", "Nifti", "`volumes`: the CT sampled on the PET grid, HU, int16, RAS+ grid"),
    ("suv", "Nifti", "`volumes`: the PET in SUV (body weight), float32, same grid and affine as `ct`"),
    (
        "report",
        "string",
        f"the reference report in Chinese (`report.txt`, or `{FINDINGS_KEY}` of an nnU-Net report JSON); null if none",
    ),
    ("report_en", "string", "the English report (`report_en.txt`), or null"),
    (
        "ce_labels",
        "struct of 24 lists of string",
        "per organ, the FDG uptake states (`increased`, `decreased`, `absent`) that the clinical-efficacy extractor "
        "(`pet2rep.text.ce.extract_uptake`) reads in `report`, in that order; an empty list means normal or not "
        "mentioned; null "
        'without a report. Query: `"increased" in row["ce_labels"]["liver"]`',
    ),
    (
        "slice_indices",
        "list of int32",
        "the coronal key planes: indices along the front-back axis of the PET grid in RAS+ (0 = most posterior)",
    ),
    (
        "slice_strategy",
        "string",
        "picture configs: how the planes were chosen: `center` (the paper's planes; also the fallback for an empty "
        "mask or no hot spot), `lesion` (through the lesion mask) or `hotspot` (SUV hot spots: `lesion` without a "
        "mask). `lesion` always asks for `lesion`; the others use the build's `--slices`",
    ),
    (
        "lesion_coverage",
        "struct",
        "picture configs: fraction of the mask's lesion components a plane cuts (`components`), their share of the "
        "lesion volume (`volume`), the lesion voxels on the planes (`in_plane_volume`), counts and volume in mL, for "
        "whatever strategy (so `center` rows show what the paper's planes miss); null without a lesion mask",
    ),
    (
        "mask_overlay",
        "bool",
        "picture configs: the lesion mask's outline is drawn in cyan on the fused pictures (`--mask-overlay`, a "
        "mask-prompted setting); false without the flag, without a mask, and for `separate`",
    ),
    ("sex", "string", "`M`, `F` or null (from `meta.json`)"),
    ("age", "int32", "age in completed years, or null"),
    ("suv_factor", "float64", "Bq/mL -> SUV factor applied to a PET in Bq/mL; null when the input was SUV already"),
    ("pet_shape", "list of int32", "PET grid size (x, y, z) in RAS+ orientation"),
    ("pet_spacing_mm", "list of float32", "PET voxel size in mm (x, y, z)"),
    ("source_format", "string", "`nifti` or `dicom`: what the volumes were read from"),
    ("study_instance_uid", "string", "DICOM cases: the StudyInstanceUID (no patient identifier is kept); else null"),
    ("pet_series_instance_uid", "string", "DICOM cases: the SeriesInstanceUID of the PET series used; else null"),
    ("ct_series_instance_uid", "string", "DICOM cases: the SeriesInstanceUID of the CT series used; else null"),
)
#: The DICOM identifiers a row carries (null for a NIfTI case), as the case metadata names them.
DICOM_UID_FIELDS = ("study_instance_uid", "pet_series_instance_uid", "ct_series_instance_uid")


def check_configs(configs: Iterable[str]) -> tuple[str, ...]:
    """``configs`` as a tuple, checked: some of :data:`DATASET_CONFIGS`, none twice.

    Raises:
        InputError: an unknown or repeated config, or none.
    """
    configs = tuple(configs)
    unknown = [c for c in configs if c not in DATASET_CONFIGS]
    if unknown or not configs:
        raise InputError(f"unknown dataset config(s) {unknown}; expected some of {list(DATASET_CONFIGS)}")
    if len(set(configs)) != len(configs):
        raise InputError(f"dataset configs listed twice: {list(configs)}")
    return configs


def features(config: str):
    """The ``datasets.Features`` of a config (column order as in the parquet files)."""
    datasets = require("datasets", "hf")
    from pet2rep.text.ce import ORGANS

    check_configs([config])
    string = datasets.Value("string")
    planes: dict = {"slice_indices": datasets.List(datasets.Value("int32"))}
    if config in IMAGE_CONFIGS:  # how the pictured planes were chosen, beside them
        f64, i32 = datasets.Value("float64"), datasets.Value("int32")
        planes.update(
            slice_strategy=string,
            lesion_coverage={
                "components": f64,
                "volume": f64,
                "in_plane_volume": f64,
                "n_components": i32,
                "n_components_hit": i32,
                "lesion_volume_ml": f64,
            },
            mask_overlay=datasets.Value("bool"),
        )
    common = {
        "report": string,
        "report_en": string,
        "ce_labels": {organ: datasets.List(string) for organ in ORGANS},
        **planes,
        "sex": string,
        "age": datasets.Value("int32"),
        "suv_factor": datasets.Value("float64"),
        "pet_shape": datasets.List(datasets.Value("int32")),
        "pet_spacing_mm": datasets.List(datasets.Value("float32")),
        "source_format": string,
        **dict.fromkeys(DICOM_UID_FIELDS, string),
    }
    if config == VOLUME_CONFIG:
        head = {"case_id": string, "ct": datasets.Nifti(), "suv": datasets.Nifti()}
    else:
        head = {"case_id": string, "images": datasets.List(datasets.Image()), "image_names": datasets.List(string)}
    return datasets.Features({**head, **common})


def dataset_info(config: str):
    """The ``datasets.DatasetInfo`` of a config, without splits (the builder's ``_info`` and the card's start)."""
    datasets = require("datasets", "hf")
    return datasets.DatasetInfo(
        description=f"{DESCRIPTION} Config {config!r}: {CONFIG_DESCRIPTIONS[config]}",
        features=features(config),
        homepage=PAPER_URL,
        citation=CITATION,
    )


__all__ = [
    "CONFIG_DESCRIPTIONS",
    "DATASET_CONFIGS",
    "DEFAULT_CONFIG",
    "DEFAULT_MAX_SHARD_BYTES",
    "DESCRIPTION",
    "DICOM_UID_FIELDS",
    "FIELD_DOCS",
    "IMAGE_CONFIGS",
    "LESION_CONFIG",
    "NIFTI_COMPRESS_LEVEL",
    "PNG_COMPRESS_LEVEL",
    "ROW_GROUP_ROWS",
    "VOLUME_CONFIG",
    "WRITER_BATCH_SIZE",
    "check_configs",
    "dataset_info",
    "features",
]

"""The demo's pictures: a contact sheet of one case in every dataset config, and a per-organ CE bar chart."""

from __future__ import annotations

import re
from pathlib import Path

from pet2rep.dataset.load import load_split
from pet2rep.vocab import IMAGE_CONFIGS, ORGANS

_TEMPLATE_COLOUR = (150, 150, 150)
_READER_COLOUR = (232, 116, 59)
_MARK_COLOUR = (0, 220, 255)
_INK = (30, 30, 30)
_FAINT = (160, 160, 160)
_TILE_SCALE = 2


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def pick_case(fused) -> str:
    """The contact sheet's subject: the first case with the most kinds of abnormal uptake, then the most labels."""

    def richness(labels: dict) -> tuple[int, int]:
        states = [s for organ_states in labels.values() for s in organ_states]
        return len(set(states)), len(states)

    ranks = [richness(labels) for labels in fused["ce_labels"]]
    return fused["case_id"][ranks.index(max(ranks))]


def _abnormal(labels: dict) -> str:
    items = [f"{organ} {'/'.join(states)}" for organ, states in labels.items() if states]
    return ", ".join(items) if items else "none"


def contact_sheet(dataset: str, case_id: str, readings: dict, *, reader_config: str, cache_dir: Path | None = None):
    """One case's pictures in every config, labelled, with the image reader's foci circled and numbered on the
    ``mip`` row."""
    from PIL import Image, ImageDraw

    rows = []
    for config in IMAGE_CONFIGS:
        ds = load_split(dataset, config, cache_dir=cache_dir)
        row = ds[list(ds["case_id"]).index(case_id)]
        rows.append((config, row))
    reading = readings[case_id]
    w, h = rows[0][1]["images"][0].size
    tw, th = w * _TILE_SCALE, h * _TILE_SCALE
    gap, left, label_h, top = 14, 120, 24, 96
    columns = max(len(r["images"]) for _, r in rows)
    sheet = Image.new("RGB", (left + columns * (tw + gap) + gap, top + len(rows) * (th + label_h + gap) + 30), "white")
    draw = ImageDraw.Draw(sheet)
    reference = rows[0][1]["ce_labels"]
    found = [f"{n} {f.organ} {f.state} ({f.picture})" for n, f in enumerate(reading.findings, start=1)]
    draw.text((gap, 8), f"{case_id}: the pictures of every dataset config", fill=_INK, font=_font(24))
    draw.text((gap, 42), f"reference report (CE labels): {_abnormal(reference)}", fill=_INK, font=_font(17))
    draw.text((gap, 66), "image reader: " + ("; ".join(found) or "nothing"), fill=_READER_COLOUR, font=_font(17))
    for r, (config, row) in enumerate(rows):
        y = top + r * (th + label_h + gap)
        draw.text((gap, y + label_h + th // 2 - 12), config, fill=_INK, font=_font(22))
        for c, (image, image_name) in enumerate(zip(row["images"], row["image_names"], strict=True)):
            x = left + gap + c * (tw + gap)
            sheet.paste(image.convert("RGB").resize((tw, th), Image.Resampling.NEAREST), (x, y + label_h))
            draw.text((x, y + 2), _tile_label(image_name), fill=_INK, font=_font(16))
            if config == reader_config:
                _mark_findings(draw, (x, y + label_h), image_name, reading)
    note = (
        f"Circles: foci the image reader found on the {reader_config} pictures (SUV decoded from the colours), "
        "numbered as listed at the top. Head at the top, patient's right on the left."
    )
    draw.text((gap, sheet.height - 26), note, fill=_INK, font=_font(15))
    return sheet


def _tile_label(image_name: str) -> str:
    m = re.search(r"_(ct|pet|fused)_(\d+)\.png$", image_name)
    if m:
        return f"{m.group(1).upper() if m.group(1) != 'fused' else 'fused PET/CT'}, plane {m.group(2)}"
    return "PET MIP (coronal)" if image_name.endswith("_mip.png") else image_name


def _mark_findings(draw, origin: tuple[int, int], image_name: str, reading) -> None:
    m = re.search(r"_fused_(\d+)\.png$", image_name)
    picture = f"slice {m.group(1)}" if m else ("mip" if image_name.endswith("_mip.png") else None)
    x0, y0 = origin
    for n, f in enumerate(reading.findings, start=1):
        if f.picture != picture:
            continue
        cx, cy = x0 + (f.col + 0.5) * _TILE_SCALE, y0 + (f.row + 0.5) * _TILE_SCALE
        radius = max(9.0, (f.pixels**0.5) * _TILE_SCALE * 0.75)
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=_MARK_COLOUR, width=2)
        label = (cx + radius * 0.7 + 1, cy - radius * 0.7 - 15)  # the number at the circle's upper right
        draw.text(label, str(n), fill=_MARK_COLOUR, font=_font(16), stroke_width=2, stroke_fill=_INK)


def organ_chart(scores: dict[str, dict], n_cases: int, *, reader_config: str):
    """Per-organ CE F1 of both models as grouped horizontal bars (organs without any abnormal label in the
    references and none predicted have no bars: their F1 is undefined, not 0)."""
    from PIL import Image, ImageDraw

    t, r = scores["template_baseline"]["per_organ"], scores["image_reader"]["per_organ"]
    row_h, bar_h, left, plot_w, top = 30, 11, 250, 620, 96
    width, height = left + plot_w + 150, top + len(ORGANS) * row_h + 84
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    draw.text((16, 10), f"Per-organ clinical efficacy (CE F1), {n_cases} synthetic cases", fill=_INK, font=_font(22))
    for i, (label, colour, key) in enumerate(
        (
            ("template baseline", _TEMPLATE_COLOUR, "template_baseline"),
            (f"image reader ({reader_config} pictures)", _READER_COLOUR, "image_reader"),
        )
    ):
        x = 16 + i * 330
        draw.rectangle((x, 46, x + 18, 60), fill=colour)
        draw.text((x + 26, 43), f"{label}: CE F1 {scores[key]['ce_f1']:.3f}", fill=_INK, font=_font(16))
    for k in range(5):  # grid and axis
        x = left + plot_w * k / 4
        draw.line((x, top - 6, x, top + len(ORGANS) * row_h), fill=(225, 225, 225), width=1)
        draw.text((x - 12, top + len(ORGANS) * row_h + 6), f"{k / 4:.2f}", fill=_INK, font=_font(14))
    draw.text((left + plot_w / 2 - 20, top + len(ORGANS) * row_h + 26), "CE F1", fill=_INK, font=_font(15))
    draw.text(
        (16, height - 22),
        "n: abnormal (case, uptake state) labels of the organ in the reference reports; F1 over its three states.",
        fill=_INK,
        font=_font(13),
    )
    for j, organ in enumerate(ORGANS):
        y = top + j * row_h
        support = sum(t[organ]["support"].values())
        predicted = sum(t[organ]["predicted"].values()) + sum(r[organ]["predicted"].values())
        shown = support > 0 or predicted > 0
        draw.text((16, y + 6), organ, fill=_INK if shown else _FAINT, font=_font(15))
        draw.text((left - 52, y + 6), f"n={support}", fill=_INK if shown else _FAINT, font=_font(13))
        if not shown:
            draw.text(
                (left + 6, y + 6), "no abnormal label in the references, none predicted", fill=_FAINT, font=_font(13)
            )
            continue
        for k, (stats, colour) in enumerate(((t[organ], _TEMPLATE_COLOUR), (r[organ], _READER_COLOUR))):
            y0 = y + 3 + k * (bar_h + 2)
            x1 = left + plot_w * stats["f1"]
            draw.rectangle((left, y0, max(x1, left + 1), y0 + bar_h), fill=colour)
            draw.text((max(x1, left) + 5, y0 - 2), f"{stats['f1']:.2f}", fill=_INK, font=_font(11))
    return img

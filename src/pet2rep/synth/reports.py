"""The phantom's reports: Chinese and English structured reports written from a case's lesions.

Phrase tables per organ (normal findings, uptake statements, impressions) and :func:`write_reports`, which writes
a report that the clinical-efficacy extractor reads back as exactly the case's labels
(:func:`pet2rep.synth.lesions.labels_of`).
"""

from __future__ import annotations

import numpy as np

from pet2rep.synth.lesions import Lesion
from pet2rep.vocab import ORGANS, STATES

_ZH_NORMAL: dict[str, tuple[str, ...]] = {
    "brain": (
        "脑形态、结构正常，脑实质内未见异常密度影，双侧大脑皮质放射性分布均匀、对称，FDG摄取未见明显异常。",
        "脑实质密度未见异常，双侧大脑皮质FDG摄取均匀、对称，未见异常。",
    ),
    "eye": ("双侧眼球形态和轮廓无异常，FDG摄取未见异常。", "双侧眼球对称，FDG摄取未见明显异常。"),
    "sinus": ("双侧上颌窦及筛窦黏膜未见增厚，FDG摄取未见异常。", "鼻窦窦壁完好，黏膜未见增厚，FDG摄取未见明显异常。"),
    "pharynx": (
        "鼻咽壁未见增厚，两侧咽隐窝对称，FDG呈生理性摄取。",
        "鼻咽及口咽壁未见增厚，FDG摄取未见异常。",
        "喉咽形态、结构未见异常，FDG摄取未见明显异常。",
    ),
    "salivary_gland": (
        "双侧腮腺、颌下腺形态、密度正常，FDG呈生理性摄取。",
        "双侧腮腺及颌下腺未见异常密度影，FDG摄取未见异常。",
    ),
    "thyroid": (
        "甲状腺形态、大小正常，密度均匀，FDG摄取未见异常。",
        "甲状腺两叶对称，密度均匀，FDG摄取未见明显异常。",
    ),
    "cervical_lymph_node": (
        "双侧颈部未见肿大淋巴结，FDG摄取未见异常。",
        "双侧颈深间隙及锁骨上区未见肿大淋巴结，FDG代谢未见异常。",
    ),
    "lung": (
        "两肺纹理清晰，未见明显实质性病变，FDG摄取未见异常。",
        "两肺透亮度正常，未见明显结节及肿块影，FDG代谢未见异常。",
    ),
    "mediastinal_lymph_node": (
        "纵隔及两侧肺门未见肿大淋巴结，FDG摄取未见异常。",
        "纵隔内未见肿大淋巴结，FDG代谢未见异常。",
    ),
    "breast": ("双侧乳腺腺体密度未见异常，未见明显肿块，FDG摄取未见异常。", "双侧乳腺对称，FDG摄取未见明显异常。"),
    "esophagus": ("食管未见扩张，管壁未见明显增厚或肿块，FDG摄取未见增高。", "食管管壁未见增厚，FDG摄取未见异常。"),
    "liver": (
        "肝脏形态、大小未见明显异常，肝缘光整，肝实质密度均匀，FDG摄取未见异常。",
        "肝脏大小、形态正常，肝裂未见增宽，FDG摄取未见明显异常。",
    ),
    "gallbladder": (
        "胆囊形态大小未见异常，胆囊壁未见增厚，FDG摄取未见异常。",
        "胆囊不大，胆囊壁未见增厚，FDG摄取未见明显异常。",
    ),
    "pancreas": ("胰腺形态正常，主胰管未见增宽，FDG摄取未见明显异常。", "胰腺实质密度均匀，FDG摄取未见异常。"),
    "spleen": ("脾脏形态、大小、密度未见异常，FDG摄取未见异常。", "脾脏不大，密度均匀，FDG摄取未见明显异常。"),
    "kidney": (
        "双肾形态、大小正常，实质未见明显异常密度影，肾盂肾盏及输尿管未见增宽，FDG摄取未见明显异常。",
        "双肾大小、形态未见异常，FDG呈生理性排泄。",
    ),
    "adrenal": ("双侧肾上腺未见明显增粗，FDG摄取未见异常。", "双侧肾上腺显影未见明显异常，FDG摄取未见异常。"),
    "stomach": ("胃充盈尚可，胃壁未见明显增厚，FDG摄取未见异常。", "胃充盈欠佳，胃壁FDG呈生理性摄取。"),
    "intestine": (
        "肠道充盈欠佳，肠壁未见明显增厚或肿块，FDG呈生理性摄取。",
        "部分肠管FDG呈生理性摄取，肠壁未见明显增厚。",
    ),
    "abdominal_lymph_node": (
        "腹腔、腹膜后及盆腔未见肿大淋巴结，FDG摄取未见异常。",
        "腹膜后及肠系膜区未见肿大淋巴结，FDG代谢未见异常。",
    ),
    "prostate": ("前列腺大小正常，密度均匀，FDG摄取未见异常增高。", "前列腺不大，FDG摄取未见异常。"),
    "uterus_adnexa": (
        "子宫及双侧附件区未见明显异常密度影，FDG摄取未见异常。",
        "子宫大小、形态正常，双侧附件区未见明显肿块，FDG摄取未见明显异常。",
    ),
    "bladder": ("膀胱充盈良好，膀胱壁未见增厚，FDG摄取未见异常。", "膀胱充盈可，腔内FDG呈生理性摄取。"),
    "bone": (
        "骨质密度未见异常，脊柱序列如常，FDG摄取未见异常。",
        "全身骨骼未见明显骨质破坏，FDG摄取未见异常。",
        "脊柱序列如常，部分椎体边缘骨质增生，FDG摄取未见异常。",
    ),
}
# Sentences without an uptake statement, placed after the organ named.
_ZH_EXTRA = {
    "brain": "各脑室、脑沟、脑裂、脑池未见增宽，中线结构无偏移。",
    "lung": "心影未见异常。两侧胸膜未见增厚，两侧胸腔未见积液。",
    "liver": "门静脉主干未见增宽，肝内外胆管未见扩张。",
}
_ZH_UP = {
    "increased": (
        "FDG摄取增高",
        "FDG摄取明显增高",
        "FDG代谢增高",
        "FDG摄取异常增高",
        "呈FDG高代谢",
        "FDG摄取轻度增高",
    ),
    "decreased": ("FDG摄取较本底减低", "FDG摄取减低", "FDG代谢减低", "FDG摄取较周围正常组织降低", "放射性分布稀疏"),
    "absent": ("FDG摄取缺失", "FDG摄取缺损", "呈放射性缺损区", "未见FDG摄取"),
}
_SEX_ORGANS = {"breast": "F", "uterus_adnexa": "F", "prostate": "M"}
_ZH_SHORT = {"increased": "伴FDG摄取增高", "decreased": "伴FDG摄取减低", "absent": "伴FDG摄取缺失"}
_EN_UP = {
    "increased": "increased FDG uptake",
    "decreased": "decreased FDG uptake",
    "absent": "no FDG uptake (photopenic)",
}
_EN_NORMAL = {
    "brain": "Brain: normal morphology and symmetric cortical activity; no abnormal FDG uptake.",
    "eye": "Eyes: unremarkable; no abnormal FDG uptake.",
    "sinus": "Paranasal sinuses: clear; no abnormal FDG uptake.",
    "pharynx": "Pharynx: no wall thickening; no abnormal FDG uptake.",
    "salivary_gland": "Salivary glands (parotid and submandibular): unremarkable; no abnormal FDG uptake.",
    "thyroid": "Thyroid: normal size and density; no abnormal FDG uptake.",
    "cervical_lymph_node": "Cervical lymph nodes: not enlarged; no abnormal FDG uptake.",
    "lung": "Lungs: no nodule or mass; no abnormal FDG uptake.",
    "mediastinal_lymph_node": "Mediastinal and hilar lymph nodes: not enlarged; no abnormal FDG uptake.",
    "breast": "Breasts: no mass; no abnormal FDG uptake.",
    "esophagus": "Esophagus: no wall thickening; no abnormal FDG uptake.",
    "liver": "Liver: normal size and homogeneous density; no abnormal FDG uptake.",
    "gallbladder": "Gallbladder: unremarkable; no abnormal FDG uptake.",
    "pancreas": "Pancreas: unremarkable; no abnormal FDG uptake.",
    "spleen": "Spleen: normal size; no abnormal FDG uptake.",
    "kidney": "Kidneys: normal size and shape; no abnormal FDG uptake.",
    "adrenal": "Adrenal glands: unremarkable; no abnormal FDG uptake.",
    "stomach": "Stomach: no wall thickening; no abnormal FDG uptake.",
    "intestine": "Intestine: no wall thickening; no abnormal FDG uptake.",
    "abdominal_lymph_node": "Abdominal and pelvic lymph nodes: not enlarged; no abnormal FDG uptake.",
    "prostate": "Prostate: normal size; no abnormal FDG uptake.",
    "uterus_adnexa": "Uterus and adnexa: unremarkable; no abnormal FDG uptake.",
    "bladder": "Bladder: well filled; no abnormal FDG uptake.",
    "bone": "Bones: no destruction; no abnormal FDG uptake.",
}


def _side(x: float) -> tuple[str, str]:
    return ("右", "right") if x >= 0 else ("左", "left")


def _vertebra(d: float) -> str:
    if d < 300:
        return f"C{int(np.clip(1 + (d - 205) / 16, 1, 7))}"
    if d < 620:
        return f"T{int(np.clip(1 + (d - 300) / 26.7, 1, 12))}"
    return f"L{int(np.clip(1 + (d - 620) / 36, 1, 5))}"


def _describe(lesion: Lesion, rng: np.random.Generator) -> tuple[str, str, str, str]:
    """(Chinese location, Chinese CT finding, English location, English CT finding) of a lesion."""
    x, _, d = lesion.centre_body
    zh, en = _side(x)
    size = round(2 * lesion.radius_mm)
    size2 = max(5, size - int(rng.integers(1, 6)))
    o, s, part = lesion.organ, lesion.state, lesion.part
    cyst = s != "increased"
    if o == "brain":
        lobe, lobe_en = ("额叶", "frontal") if d < 85 else ("颞叶", "temporal")
        ct = "见低密度软化灶" if s == "absent" else ("见片状低密度影" if cyst else "见结节状等密度影")
        return f"{zh}侧大脑{lobe}", ct, f"brain, {en} {lobe_en} lobe", "a hypodense area" if cyst else "a nodule"
    if o == "thyroid":
        return f"甲状腺{zh}叶", "见低密度结节", f"{en} thyroid lobe", "a hypodense nodule"
    if o == "cervical_lymph_node":
        where = rng.choice(["颈部", "颈深部"])
        return f"{zh}侧{where}", f"见肿大淋巴结，短径约{size}mm", f"{en} cervical lymph nodes", f"enlarged ({size} mm)"
    if o == "lung":
        lobe, lobe_en = ("上叶", "upper") if d < 430 else ("下叶", "lower")
        return (
            f"{zh}肺{lobe}",
            f"见一软组织密度结节，大小约{size}mm×{size2}mm，边缘见分叶",
            f"{en} lung {lobe_en} lobe",
            f"a {size} mm soft-tissue nodule",
        )
    if o == "mediastinal_lymph_node":
        return "纵隔内", f"见肿大淋巴结，短径约{size}mm", "mediastinal lymph nodes", f"enlarged ({size} mm)"
    if o == "breast":
        return f"{zh}侧乳腺", "见软组织肿块", f"{en} breast", "a soft-tissue mass"
    if o == "esophagus":
        seg, seg_en = ("中段", "middle") if d < 480 else ("下段", "lower")
        return f"食管{seg}", "管壁增厚", f"{seg_en} esophagus", "wall thickening"
    if o == "liver":
        lobe = "右" if x > 50 else "左"
        lobe_en = "right" if lobe == "右" else "left"
        ct = {
            "increased": "见稍低密度肿块，边界欠清",
            "decreased": "见低密度结节，边界尚清",
            "absent": "见囊状低密度灶，边界清",
        }[s]
        ct_en = {"increased": "an ill-defined hypodense mass", "decreased": "a hypodense nodule", "absent": "a cyst"}[
            s
        ]
        return f"肝{lobe}叶", ct, f"{lobe_en} lobe of the liver", ct_en
    if o == "gallbladder":
        return "胆囊", "壁增厚", "gallbladder", "wall thickening"
    if o == "pancreas":
        seg, seg_en = ("胰头", "head") if x > 0 else (("胰尾", "tail") if x < -40 else ("胰体", "body"))
        return seg, "见低密度肿块", f"pancreatic {seg_en} (pancreas)", "a hypodense mass"
    if o == "spleen":
        ct = {"increased": "见稍低密度结节", "decreased": "见片状低密度影", "absent": "见楔形低密度影"}[s]
        return "脾脏", ct, "spleen", "a hypodense lesion"
    if o == "kidney":
        ct = "见囊状低密度影" if s == "absent" else "见低密度灶"
        return f"{zh}肾", ct, f"{en} kidney", "a cystic lesion" if s == "absent" else "a hypodense lesion"
    if o == "adrenal":
        return f"{zh}侧肾上腺", "见结节", f"{en} adrenal gland", "a nodule"
    if o == "stomach":
        seg, seg_en = ("胃体部", "body") if d < 600 else ("胃窦部", "antrum")
        return seg, "胃壁增厚", f"gastric {seg_en} (stomach)", "wall thickening"
    if o == "intestine":
        return f"{zh}下腹部肠管", "局部肠壁增厚", f"{en} lower abdominal intestine", "focal wall thickening"
    if o == "abdominal_lymph_node":
        if part == "paraaortic_nodes":
            loc, loc_en = "腹膜后", "retroperitoneal lymph nodes"
        elif part == "mesenteric_nodes":
            loc, loc_en = "肠系膜区", "mesenteric lymph nodes"
        else:
            loc, loc_en = f"{zh}侧髂血管旁", f"{en} iliac lymph nodes"
        return loc, f"见肿大淋巴结，短径约{size}mm", loc_en, f"enlarged ({size} mm)"
    if o == "prostate":
        return f"前列腺{zh}侧叶", "见结节状影", f"prostate, {en} lobe", "a nodule"
    if o == "uterus_adnexa":
        if part == "uterus":
            return "子宫", "宫腔内见软组织密度影", "uterus", "an intracavitary soft-tissue mass"
        return f"{zh}侧附件区", "见软组织结节", f"{en} adnexa (ovary)", "a soft-tissue nodule"
    if o == "pharynx":
        return f"口咽{zh}侧", "壁增厚", f"{en} oropharynx (pharynx)", "wall thickening"
    if o == "salivary_gland":
        return f"{zh}侧腮腺", "见结节", f"{en} parotid gland", "a nodule"
    if o == "bone":
        ct = "见成骨性骨质改变" if lesion.hu > 500 else "见溶骨性骨质破坏"
        ct_en = "sclerotic bone lesion" if lesion.hu > 500 else "lytic bone destruction"
        if part == "spine":
            v = _vertebra(d)
            return f"{v}椎体", ct, f"{v} vertebral body", ct_en
        names = {
            "pelvis": ("髂骨", "iliac bone"),
            "sacrum": ("骶骨", "sacral bone"),
            "femoral_head": ("股骨头", "femoral head"),
        }
        key = part.rsplit("_", 1)[0] if part.endswith(("_right", "_left")) else part
        zh_name, en_name = names[key]
        if key == "sacrum":
            return zh_name, ct, en_name, ct_en
        return f"{zh}侧{zh_name}", ct, f"{en} {en_name}", ct_en
    raise ValueError(f"no description for organ {o!r}")


_DIAGNOSIS = {
    "lung": "考虑肺癌可能",
    "cervical_lymph_node": "考虑淋巴结转移可能",
    "mediastinal_lymph_node": "考虑淋巴结转移可能",
    "abdominal_lymph_node": "考虑淋巴结转移可能",
    "bone": "考虑骨转移可能",
    "thyroid": "甲状腺癌不除外",
    "breast": "考虑乳腺癌可能",
}


def _impression_noun(lesion: Lesion) -> str:
    o, s = lesion.organ, lesion.state
    if o.endswith("lymph_node"):
        return "肿大淋巴结"
    if o == "bone":
        return "成骨性骨质改变" if lesion.hu > 500 else "骨质破坏"
    if s == "absent":
        return "囊状低密度灶"
    if s == "decreased":
        return "低密度灶"
    nouns = {
        "esophagus": "管壁增厚",
        "stomach": "胃壁增厚",
        "intestine": "肠壁增厚",
        "pharynx": "壁增厚",
        "gallbladder": "壁增厚",
        "breast": "肿块",
        "liver": "肿块",
        "pancreas": "肿块",
        "uterus_adnexa": "软组织密度影",
    }
    return nouns.get(o, "结节")


def _diagnosis(lesion: Lesion) -> str:
    if lesion.state == "increased":
        return _DIAGNOSIS.get(lesion.organ, "考虑恶性病变可能")
    if lesion.state == "decreased":
        return "考虑良性病变可能"
    return "考虑陈旧性软化灶" if lesion.organ == "brain" else "考虑囊肿"


def write_reports(lesions: list[Lesion], sex: str, rng: np.random.Generator) -> tuple[str, str]:
    """Chinese structured report (findings head to toe + impression) and its English counterpart."""
    by_organ: dict[str, list[Lesion]] = {}
    for les in lesions:
        by_organ.setdefault(les.organ, []).append(les)
    described = {id(les): _describe(les, rng) for les in lesions}
    zh = ["影像所见：禁食状态下静脉注射18F-FDG，静息60分钟后行全身PET/CT断层显像，全身断层影像显示："]
    en = ["FINDINGS: Whole-body PET/CT was acquired 60 minutes after intravenous 18F-FDG in the fasting state."]
    for organ in ORGANS:
        if _SEX_ORGANS.get(organ, sex) != sex:
            continue
        if organ in by_organ:
            for les in by_organ[organ]:
                loc, ct, loc_en, ct_en = described[id(les)]
                up = str(rng.choice(_ZH_UP[les.state]))
                tail = ""
                if les.state == "increased" and rng.random() < 0.6:
                    tail = f"，SUVmax约{les.suv:.1f}"
                if les.state == "increased" and organ not in ("liver", "brain") and rng.random() < 0.2:
                    tail += "，高于肝脏本底"
                zh.append(f"{loc}{ct}，{up}{tail}。")
                suv_en = f" (SUVmax {les.suv:.1f})" if les.state == "increased" else ""
                en.append(f"{loc_en[0].upper()}{loc_en[1:]}: {ct_en}, with {_EN_UP[les.state]}{suv_en}.")
        else:
            zh.append(str(rng.choice(_ZH_NORMAL[organ])))
            en.append(_EN_NORMAL[organ])
        if organ in _ZH_EXTRA:
            zh.append(_ZH_EXTRA[organ])
        if organ == "lung":
            en.append("Heart: normal size.")
    zh_imp = ["影像诊断："]
    en_imp = ["IMPRESSION:"]
    ordered = sorted(lesions, key=lambda les: (ORGANS.index(les.organ), STATES.index(les.state)))
    for n, les in enumerate(ordered, start=1):
        loc, ct, loc_en, ct_en = described[id(les)]
        zh_imp.append(f"{n}.{loc}{_impression_noun(les)}{_ZH_SHORT[les.state]}，{_diagnosis(les)}。")
        en_imp.append(f"{n}. {loc_en[0].upper()}{loc_en[1:]}: {ct_en} with {_EN_UP[les.state]}.")
    if not ordered:
        zh_imp.append("1.全身PET/CT检查未见明显异常。")
        en_imp.append("1. No abnormal finding on whole-body PET/CT.")
    zh_text = "".join(zh) + "\n" + "".join(zh_imp) + "\n"
    en_text = " ".join(en) + "\n" + " ".join(en_imp) + "\n"
    return zh_text, en_text

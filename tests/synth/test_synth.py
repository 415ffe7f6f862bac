import json
import re

import numpy as np
import pytest

from pet2rep.errors import InputError
from pet2rep.imaging.cases import discover_cases
from pet2rep.imaging.io import load_volume
from pet2rep.imaging.render import load_case_volumes, render_all
from pet2rep.imaging.suv import suv_parameters
from pet2rep.synth import load_truth, organ_mask, organ_regions, synthesize_cohort
from pet2rep.synth.anatomy import ANATOMY
from pet2rep.synth.lesions import Lesion, labels_of
from pet2rep.synth.reports import write_reports
from pet2rep.vocab import ORGANS, STATES

# ---------------------------------------------------------------- a minimal extractor following issue 3's rules
# (organ terms, uptake words, negation, lymph-node groups, comparison references, carry-over). It checks that the
# synthetic reports are phrased so that rule-following extraction recovers labels.json.
_NODE_GROUPS = {
    "cervical_lymph_node": ("颈部", "颈深", "锁骨上", "颌下"),
    "mediastinal_lymph_node": ("纵隔", "肺门"),
    "abdominal_lymph_node": ("腹腔", "腹膜后", "门腔间隙", "肝胃间隙", "肠系膜", "盆腔", "髂血管旁", "胃周"),
}
_TERMS = {
    "brain": ("脑", "大脑", "小脑", "脑实质"),
    "eye": ("眼球", "眼眶"),
    "sinus": ("鼻窦", "上颌窦", "筛窦", "额窦", "蝶窦"),
    "pharynx": ("鼻咽", "口咽", "喉咽", "咽", "扁桃体", "喉"),
    "salivary_gland": ("腮腺", "颌下腺"),
    "thyroid": ("甲状腺",),
    "lung": ("肺", "两肺", "肺叶"),
    "breast": ("乳腺", "乳房"),
    "esophagus": ("食管",),
    "liver": ("肝", "肝脏", "肝左叶", "肝右叶"),
    "gallbladder": ("胆囊",),
    "pancreas": ("胰腺", "胰头", "胰体", "胰尾"),
    "spleen": ("脾", "脾脏"),
    "kidney": ("肾", "双肾", "左肾", "右肾"),
    "adrenal": ("肾上腺",),
    "stomach": ("胃", "胃窦", "胃壁"),
    "intestine": ("肠", "肠道", "肠管", "结肠", "直肠", "回盲部"),
    "prostate": ("前列腺",),
    "uterus_adnexa": ("子宫", "宫颈", "附件", "卵巢"),
    "bladder": ("膀胱",),
    "bone": ("骨", "骨骼", "骨质", "骨髓", "脊柱", "椎体", "肋骨", "骨盆"),
}
_UPTAKE = ("摄取", "代谢", "放射性", "浓聚", "示踪剂", "FDG", "SUV")
_STATE_WORDS = {
    "absent": ("缺失", "缺损", "无摄取", "未见FDG摄取", "未见摄取"),
    "increased": ("增高", "升高", "增加", "浓聚", "高代谢", "高摄取", "活跃"),
    "decreased": ("减低", "降低", "减少", "稀疏", "低代谢"),
}
_NEGATION = ("未见", "无", "未", "不", "没有")


def _organs_in(sentence: str) -> set[str]:
    s = re.sub(r"(高于|低于|较)(肝脏|肝|纵隔)(血池)?本底", "", sentence)  # comparison references
    found = set()
    if "淋巴结" in s:
        for organ, words in _NODE_GROUPS.items():
            if any(w in s for w in words):
                found.add(organ)
        s = re.sub(r"[^，。；]*淋巴结", "", s)  # the node's location is not an organ finding
    s_no_adrenal = s.replace("肾上腺", "")
    for organ, words in _TERMS.items():
        text = s_no_adrenal if organ == "kidney" else s
        if any(w in text for w in words):
            found.add(organ)
    return found


def _states_in(sentence: str) -> set[str]:
    if not any(w in sentence for w in _UPTAKE):
        return set()
    states = set()
    for clause in re.split(r"[，；,]", sentence):
        for state, words in _STATE_WORDS.items():
            for w in words:
                for m in re.finditer(re.escape(w), clause):
                    before = clause[: m.start()]
                    negated = state != "absent" and any(n in before[-8:] for n in _NEGATION)
                    if not negated:
                        states.add(state)
    return states


def mini_extract(report: str) -> dict[str, list[str]]:
    out: dict[str, set[str]] = {o: set() for o in ORGANS}
    previous: set[str] = set()
    for sentence in re.split(r"[。\n]", report):
        organs = _organs_in(sentence)
        states = _states_in(sentence)
        target = organs or previous
        for organ in target:
            out[organ] |= states
        if organs:
            previous = organs
    return {o: sorted(v, key=STATES.index) for o, v in out.items()}


# ---------------------------------------------------------------- tests


def test_organs_and_states_literals():
    assert len(ORGANS) == 24 and len(set(ORGANS)) == 24
    assert ORGANS[0] == "brain" and ORGANS[-1] == "bone"
    assert STATES == ("increased", "decreased", "absent")
    assert {p.organ for p in ANATOMY if p.organ} == set(ORGANS)
    assert len({p.name for p in ANATOMY}) == len(ANATOMY)


def test_cohort_layout_and_labels(synth_cohort):
    cases = discover_cases(synth_cohort)
    assert [c.case_id for c in cases] == [f"synth_{i:04d}" for i in range(6)]
    for i, case in enumerate(cases):
        truth = load_truth(case)
        labels = case.read_labels()
        assert list(labels) == sorted(ORGANS) and labels == truth["labels"]
        assert all(set(v) <= set(STATES) for v in labels.values())
        assert labels == labels_of_truth(truth)
        assert case.read_report("zh").startswith("影像所见：") and "影像诊断：" in case.read_report("zh")
        assert case.read_report("en").startswith("FINDINGS:")
        assert case.sex in ("M", "F") and case.age is not None
        if i % 2:  # PET in Bq/mL with SUV metadata
            assert case.pet_path is not None and case.suv_path is None
            assert suv_parameters(case.meta).factor == pytest.approx(truth["suv_factor"])
        else:
            assert case.suv_path is not None and case.pet_path is None and truth["suv_factor"] is None
    # several lesion kinds across the cohort
    states = {les["state"] for c in cases for les in load_truth(c)["lesions"]}
    assert states == set(STATES)


def labels_of_truth(truth):
    out = {o: [] for o in ORGANS}
    for les in truth["lesions"]:
        if les["state"] not in out[les["organ"]]:
            out[les["organ"]].append(les["state"])
    return {o: sorted(v, key=STATES.index) for o, v in out.items()}


def test_grids_differ_and_volumes_are_plausible(synth_cohort):
    case = discover_cases(synth_cohort / "synth_0001")[0]
    ct = load_volume(case.ct_path)
    pet = load_volume(case.pet_path)
    assert ct.data.dtype == np.int16 and pet.data.dtype == np.float32
    assert ct.shape == (96, 96, 100) and pet.shape == (64, 100, 87)
    assert ct.affine[0, 0] < 0 and ct.affine[1, 1] < 0  # stored LPS-like
    assert not np.allclose(np.abs(np.diag(ct.affine))[:3], np.abs(np.diag(pet.affine))[:3])
    vols = load_case_volumes(case)
    truth = load_truth(case)
    assert np.allclose(vols.pet_affine, truth["pet_grid"]["affine"])
    assert ct.data.min() >= -1024 and ct.data.max() < 3072
    regions = organ_regions(truth)
    suv = vols.suv

    def region_max(organ):
        (i0, i1), (j0, j1), (k0, k1) = regions[organ].box_vox
        return float(suv[i0:i1, j0:j1, k0:k1].max())

    assert region_max("brain") > 5 and region_max("kidney") > 2.5 and region_max("bladder") > 10
    assert suv.max() > 10 and float(np.median(suv[suv > 0.2])) < 2.0


def test_render_agrees_with_truth(synth_cohort):
    for case in discover_cases(synth_cohort):
        truth = load_truth(case)
        out = render_all(case, ("separate", "mip"))
        assert out["mip"].slice_indices == truth["key_slices"]
        assert out["mip"].suv_factor == (pytest.approx(truth["suv_factor"]) if truth["suv_factor"] else None)


def test_lesions_are_visible(synth_cohort):
    checked = 0
    for case in discover_cases(synth_cohort):
        truth = load_truth(case)
        vols = load_case_volumes(case)
        parts = {a["name"]: a for a in truth["anatomy"]}
        rendered = render_all(case, ("mip",))["mip"]
        mip = np.asarray(rendered.images[0])[..., 0]
        for les in truth["lesions"]:
            i, j, k = les["centre_vox"]
            value = float(vols.suv[i, j, k])
            bg = parts[les["part"]]["suv"] or 0.7
            if les["location"] is not None:
                assert j == les["key_slice"] == truth["key_slices"][les["location"] - 1]
                if les["state"] == "increased":
                    assert value > max(2 * bg, 4.0), les
                elif les["state"] == "decreased":
                    assert value < 0.75 * bg, les
                else:
                    assert value < 0.35 * bg, les
                checked += 1
            else:
                assert les["state"] == "increased" and les["on_mip"]
            if les["on_mip"]:
                col, row = les["picture_xy"]
                assert mip[row, col] < 40, les  # inverted gray: saturated uptake is (near) black
                checked += 1
    assert checked >= 6


def test_regions_and_masks(synth_cohort):
    truth = load_truth(synth_cohort / "synth_0002")
    regions = organ_regions(truth)
    assert "liver" in regions and "prostate" not in regions  # synth_0002 is female
    for les in truth["lesions"]:
        box = regions[les["organ"]].box_vox
        assert all(lo <= v < hi for v, (lo, hi) in zip(les["centre_vox"], box, strict=True)), les
        if les["location"]:
            mask = organ_mask(truth, les["organ"], les["key_slice"])
            col, row = les["picture_xy"]
            assert mask[row, col]
            assert les["key_slice"] in regions[les["organ"]].slices
    liver = organ_mask(truth, "liver")
    nx, _, nz = truth["pet_grid"]["shape"]
    assert liver.shape == (nz, nx)
    _, cols = np.nonzero(liver)
    assert cols.mean() < nx / 2  # the liver is on the patient's right: the picture's left
    with pytest.raises(InputError, match="organ 'prostate' is not in this phantom"):
        organ_mask(truth, "prostate")


def test_deterministic_and_independent_of_n(tmp_path, synth_cohort):
    synthesize_cohort(tmp_path / "a", 2, seed=0, progress=False)
    for name in sorted(p.name for p in (tmp_path / "a" / "synth_0001").iterdir()):
        assert (tmp_path / "a" / "synth_0001" / name).read_bytes() == (synth_cohort / "synth_0001" / name).read_bytes()
    synthesize_cohort(tmp_path / "b", 1, seed=1, progress=False)
    assert (tmp_path / "b" / "synth_0000" / "ct.nii.gz").read_bytes() != (
        synth_cohort / "synth_0000" / "ct.nii.gz"
    ).read_bytes()


def test_reports_recover_labels_with_rule_based_extraction(synth_cohort):
    for case in discover_cases(synth_cohort):
        assert mini_extract(case.read_report("zh")) == case.read_labels()


def _lesion(organ, state, part, x=40.0, d=500.0, hu=40.0):
    return Lesion(organ, state, part, np.zeros(3), np.array([x, 0.0, d]), 12.0, 8.0, hu)


ALL_KINDS = [
    ("brain", "decreased", "brain"),
    ("brain", "absent", "brain"),
    ("thyroid", "increased", "thyroid_right"),
    ("cervical_lymph_node", "increased", "cervical_nodes_left"),
    ("lung", "increased", "lung_right"),
    ("mediastinal_lymph_node", "increased", "mediastinal_nodes"),
    ("breast", "increased", "breast_left"),
    ("esophagus", "increased", "esophagus"),
    ("liver", "increased", "liver"),
    ("liver", "decreased", "liver"),
    ("liver", "absent", "liver"),
    ("gallbladder", "increased", "gallbladder"),
    ("pancreas", "increased", "pancreas"),
    ("spleen", "increased", "spleen"),
    ("spleen", "decreased", "spleen"),
    ("spleen", "absent", "spleen"),
    ("kidney", "decreased", "kidney_left"),
    ("kidney", "absent", "kidney_right"),
    ("adrenal", "increased", "adrenal_left"),
    ("stomach", "increased", "stomach"),
    ("intestine", "increased", "intestine"),
    ("abdominal_lymph_node", "increased", "paraaortic_nodes"),
    ("abdominal_lymph_node", "increased", "mesenteric_nodes"),
    ("abdominal_lymph_node", "increased", "iliac_nodes_right"),
    ("prostate", "increased", "prostate"),
    ("uterus_adnexa", "increased", "uterus"),
    ("uterus_adnexa", "increased", "ovary_left"),
    ("pharynx", "increased", "pharynx"),
    ("salivary_gland", "increased", "parotid_right"),
    ("bone", "increased", "spine"),
    ("bone", "increased", "pelvis_left"),
    ("bone", "increased", "sacrum"),
    ("bone", "increased", "femoral_head_right"),
]


@pytest.mark.parametrize("seed", range(12))
def test_every_lesion_kind_and_wording_is_extractable(seed):
    rng = np.random.default_rng(seed)
    for organ, state, part in ALL_KINDS:
        sex = (
            "M"
            if organ == "prostate"
            else "F"
            if organ in ("breast", "uterus_adnexa")
            else str(rng.choice(["M", "F"]))
        )
        hu = 900.0 if organ == "bone" and seed % 2 else 40.0
        lesions = [_lesion(organ, state, part, x=float(rng.uniform(-80, 80)), d=float(rng.uniform(200, 900)), hu=hu)]
        zh, en = write_reports(lesions, sex, rng)
        assert mini_extract(zh) == labels_of(lesions), (organ, state, zh)
        phrase = {"increased": "increased FDG uptake", "decreased": "decreased FDG uptake"}.get(
            state, "no FDG uptake (photopenic)"
        )
        assert phrase in en and "no abnormal FDG uptake" in en


def test_normal_report_has_no_positive_state():
    zh, en = write_reports([], "M", np.random.default_rng(0))
    assert mini_extract(zh) == {o: [] for o in ORGANS}
    assert "影像诊断：1.全身PET/CT检查未见明显异常。" in zh
    assert "increased" not in en and "photopenic" not in en


def test_multi_state_organ():
    rng = np.random.default_rng(5)
    lesions = [_lesion("liver", "increased", "liver", x=90), _lesion("liver", "decreased", "liver", x=10)]
    zh, _ = write_reports(lesions, "M", rng)
    assert mini_extract(zh)["liver"] == ["increased", "decreased"]


def test_wording_varies_between_cases(synth_cohort):
    normals = set()
    for case in discover_cases(synth_cohort):
        normals.add(case.read_report("zh").split("。")[0])
    assert len(normals) >= 2


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"n": 0}, "n must be an integer >= 1; got 0"),
        ({"n": 1, "size": "huge"}, "size must be one of"),
        ({"n": 1, "seed": -1}, "seed"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, fragment):
    with pytest.raises(InputError, match=fragment):
        synthesize_cohort(tmp_path, progress=False, **kwargs)


def test_truth_json_is_complete(synth_cohort):
    truth = json.loads((synth_cohort / "synth_0003" / "truth.json").read_text(encoding="utf-8"))
    for key in ("anatomy", "lesions", "labels", "pet_grid", "ct_grid", "key_slices", "suv_factor", "sex"):
        assert key in truth
    for les in truth["lesions"]:
        assert {"organ", "state", "centre_mm", "centre_vox", "radius_mm", "suv", "key_slice", "on_mip"} <= set(les)

"""The benchmark's prompt: the official system prompt, instruction and structured-report template.

PET2Rep prompts a model with a system prompt, one user turn (the instruction, the images and an example
structured report to adapt) and nothing else (zero-shot). The Chinese texts below are the official ones
(``prompt_system`` and ``prompt_user_text`` of the released Qwen2.5-VL demo prompt); they are held here once
and every consumer (the lighteval task, the template baseline, the demo) builds its prompt from them.

In the template, ``[...]`` holds CT findings and ``【...】`` the PET (FDG uptake) findings; the instruction asks
the model to adapt both to the patient. The English variant is a translation for English reports (same
structure, same markers).

Image placeholders: the official text inlines ``<image>`` where the images go. Chat front-ends such as
lighteval's VLM backend add the images as separate message parts, so :func:`user_prompt` leaves the placeholders
out unless asked (``image_placeholder="<image>"`` reproduces the official text for the ``fused`` setting).

Image order per setting (the order of ``images`` in the dataset, see the dataset card):

- ``fused``: 3 fused PET/CT coronal slices;
- ``separate``: for each of the 3 coronal slice locations the grayscale CT, then the pseudo-coloured PET (6);
- ``mip``: the whole-body coronal PET MIP, then the 3 fused slices (4).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pet2rep.checks import Integer, Options, check
from pet2rep.errors import InputError
from pet2rep.vocab import IMAGE_CONFIGS, check_lang

#: Bump when any text below changes: the lighteval task version follows it (cached predictions are keyed on it).
PROMPT_VERSION = 1

#: Default number of images per setting (3 coronal locations).
NUM_IMAGES = {"fused": 3, "separate": 6, "mip": 4, "lesion": 3}

SYSTEM_PROMPT_ZH = "你是一位经验丰富的核医学科医师，擅长结合PET图像和临床信息撰写诊断报告。"
SYSTEM_PROMPT_EN = (
    "You are an experienced nuclear medicine physician, skilled at writing diagnostic reports from PET images "
    "and clinical information."
)

_INSTRUCTION_ZH_HEAD = "请你根据提供的全身FDG-PET/CT图像"
_INSTRUCTION_ZH_TAIL = (
    "，按照结构化格式生成核医学报告。基于模版修改，需详细描述异常18F-FDG摄取病灶的位置、大小和程度（增高/降低/无异常）等。"
    "同时给出PET异常区域异常区域的CT所见。以下是参考的结构化报告输出模板，请根据患者PET/CT影像调整[]和【】中结论。\n"
    "参考结构化报告示例如下，严格按照以下格式输出：\n"
)
_INSTRUCTION_EN_HEAD = "Based on the provided whole-body FDG PET/CT images"
_INSTRUCTION_EN_TAIL = (
    ", write a nuclear medicine report in the structured format. Modify the template: describe in detail the "
    "location, size and degree (increased/decreased/normal) of every lesion with abnormal 18F-FDG uptake, and "
    "give the CT findings of the abnormal PET regions. Below is the reference structured report template; adjust "
    "the conclusions in [] and 【】 to the patient's PET/CT images.\n"
    "The reference structured report example follows; output strictly in this format:\n"
)

# Describes the image order where the official text has none (it only exists for the fused setting).
_IMAGE_NOTE = {
    "zh": {
        "fused": "",
        "separate": "（{n}个冠状位层面，每个层面依次为CT图像和PET图像）",
        "mip": "（第1张为全身PET最大密度投影（MIP）图像，其后为{n}个冠状位PET/CT融合图像）",
        "lesion": "（{n}个经病灶选取的冠状位PET/CT融合图像，层面不一定包含全部病灶）",
    },
    "en": {
        "fused": "",
        "separate": " ({n} coronal slice locations; for each location the CT image, then the PET image)",
        "mip": " (first the whole-body PET maximum intensity projection (MIP), then {n} fused PET/CT coronal slices)",
        "lesion": " ({n} fused PET/CT coronal slices chosen through the lesions; they need not show every lesion)",
    },
}

REPORT_TEMPLATE_ZH = (
    "禁食状态下静脉注射18F-FDG，静息60分钟后行全身PET断层显像，全身断层影像显示：脑形态、结构[正常]，"
    "双侧大脑皮质放射性分布【均匀、对称】，FDG【摄取未见明显异常】。各脑室、脑沟、脑裂、脑池[形态增宽，两侧脑室对称，"
    "中线结构无偏移。]\n"
    "双侧眼球形态和轮廓[无异常]，FDG【无异常摄取】。右侧上颌窦黏膜[稍增厚伴部分钙化]，FDG【摄取未见异常】。"
    "鼻咽壁[未见增厚，两侧腭扁桃体对称]，FDG【呈生理性摄取】。喉咽[形态、结构未见异常]。双侧腮腺、颌下腺[形态、密度正常]，"
    "FDG【生理性摄取】。甲状腺[形态、大小正常，密度均匀]，FDG【摄取未见异常】。双侧颈深间隙、颌下[见数枚小淋巴结显示]，"
    "部分淋巴结FDG【摄取增高】。\n"
    "两肺[透亮度增加，两肺上叶胸膜下见囊状透亮影。右肺中叶体积缩小，右肺中叶肺门旁见片状密度增高影]，FDG【摄取增高】。"
    "心影[未见异常。部分动脉管壁钙化（包括冠状动脉）。]\n"
    "食管[未见扩张，管壁未见明显增厚或肿块]，FDG【摄取未见增高】。肝缘[欠光整，肝裂未见明显增宽，"
    "CT平扫肝右叶下段见巨大稍低密度肿块影，边界欠清]，FDG【摄取增高】。肝左叶[见稍低密度结节，边界尚清晰]，"
    "FDG【摄取较本底摄取减低】。肝右叶[膈顶区另见结节状致密影]。门静脉主干及左右支[明显增粗，密度增高]，FDG【摄取增高】。"
    "门腔间隙、肝胃间隙、腹膜后[见淋巴结显示]，FDG【摄取轻度增高】。\n"
    "胆囊[稍饱满，胆囊壁未见增厚]，局部FDG【摄取未见异常】。胰腺[形态正常，胰体部见小结节状钙化灶，主胰管未见增宽]，"
    "FDG【摄取未见明显异常】。脾脏[形态、大小密度未见异常]，FDG【摄取未见异常】。双侧泌尿系统【见对比剂残留影】；"
    "左肾[体积缩小，左肾见多枚囊状低密度影及稍高密度小结节，边界清]，FDG【摄取缺失】；右肾[上极见一脂肪密度结节]，"
    "FDG【摄取未见异常】。双侧肾盂肾盏及输尿管[未见增宽。双侧肾上腺显影未见明显异常]，FDG【摄取未见异常】。\n"
    "胃[充盈尚可，胃壁未见明显增厚]，部分胃壁FDG【摄取增高】。肠道[充盈欠佳，肠壁未见明显增厚或肿块]，FDG【呈生理性摄取】。"
    "前列腺[稍增大，实质内见数枚钙化灶]，FDG【摄取未见异常增高】。膀胱[充盈欠佳]，内【见对比剂残留影】。\n"
    "骨质密度[不均匀减低]，脊柱[部分椎体边缘骨质增生]。FDG【摄取未见异常】。"
)

REPORT_TEMPLATE_EN = (
    "After fasting, 18F-FDG was injected intravenously and whole-body PET tomography was performed after 60 minutes "
    "of rest. The whole-body tomographic images show: brain morphology and structure [normal]; radioactivity "
    "distribution of the bilateral cerebral cortex 【uniform and symmetric】, FDG 【no obvious abnormal uptake】. "
    "Ventricles, sulci, fissures and cisterns [widened; the lateral ventricles are symmetric and the midline "
    "structures are not shifted.]\n"
    "Bilateral eyeballs: shape and contour [unremarkable], FDG 【no abnormal uptake】. Mucosa of the right maxillary "
    "sinus [slightly thickened with partial calcification], FDG 【no abnormal uptake】. Nasopharyngeal wall [not "
    "thickened; palatine tonsils symmetric], FDG 【physiological uptake】. Hypopharynx [shape and structure "
    "unremarkable]. Bilateral parotid and submandibular glands [normal shape and density], FDG 【physiological "
    "uptake】. Thyroid [normal shape and size, homogeneous density], FDG 【no abnormal uptake】. Bilateral deep "
    "cervical spaces and submandibular region [several small lymph nodes are seen], FDG uptake of some lymph nodes "
    "【increased】.\n"
    "Both lungs [increased lucency, cystic lucencies beneath the pleura of both upper lobes; the right middle lobe "
    "is reduced in volume, with a patchy opacity next to the right middle lobe hilum], FDG 【increased uptake】. "
    "Cardiac silhouette [unremarkable. Calcification of some arterial walls (including the coronary arteries).]\n"
    "Esophagus [not dilated, no obvious wall thickening or mass], FDG 【no increased uptake】. Liver margin [slightly "
    "irregular, hepatic fissures not obviously widened; non-contrast CT shows a large slightly hypodense mass in the "
    "inferior segment of the right lobe with ill-defined margins], FDG 【increased uptake】. Left lobe of the liver "
    "[a slightly hypodense nodule with fairly clear margins], FDG 【uptake decreased compared with background】. "
    "Right lobe of the liver [another dense nodule at the dome]. Main portal vein and its left and right branches "
    "[markedly enlarged with increased density], FDG 【increased uptake】. Portocaval space, hepatogastric space and "
    "retroperitoneum [lymph nodes are seen], FDG 【mildly increased uptake】.\n"
    "Gallbladder [slightly distended, wall not thickened], local FDG 【no abnormal uptake】. Pancreas [normal shape, "
    "a small nodular calcification in the pancreatic body, main pancreatic duct not dilated], FDG 【no obvious "
    "abnormal uptake】. Spleen [shape, size and density unremarkable], FDG 【no abnormal uptake】. Bilateral urinary "
    "system 【residual contrast medium】; left kidney [reduced in volume, several cystic hypodensities and slightly "
    "hyperdense small nodules with clear margins], FDG 【absent uptake】; right kidney [a fat-density nodule at the "
    "upper pole], FDG 【no abnormal uptake】. Bilateral renal pelvis, calyces and ureters [not dilated. Both adrenal "
    "glands unremarkable], FDG 【no abnormal uptake】.\n"
    "Stomach [adequately filled, no obvious wall thickening], FDG uptake of part of the gastric wall 【increased】. "
    "Intestine [poorly filled, no obvious wall thickening or mass], FDG 【physiological uptake】. Prostate [slightly "
    "enlarged, several calcifications in the parenchyma], FDG 【no abnormally increased uptake】. Bladder [poorly "
    "filled], 【residual contrast medium】 inside.\n"
    "Bone density [heterogeneously decreased], spine [marginal osteophytes on some vertebral bodies]. FDG 【no "
    "abnormal uptake】."
)

_SYSTEM = {"zh": SYSTEM_PROMPT_ZH, "en": SYSTEM_PROMPT_EN}
_TEMPLATE = {"zh": REPORT_TEMPLATE_ZH, "en": REPORT_TEMPLATE_EN}
_HEAD = {"zh": _INSTRUCTION_ZH_HEAD, "en": _INSTRUCTION_EN_HEAD}
_TAIL = {"zh": _INSTRUCTION_ZH_TAIL, "en": _INSTRUCTION_EN_TAIL}
_MARKERS = re.compile(r"[\[\]【】]")


def _check_config(config: str) -> str:
    return check("config", config, Options(*IMAGE_CONFIGS))


def check_num_images(config: str, num_images: int) -> int:
    """Validate an image count for a setting: separate needs CT/PET pairs, mip a MIP plus at least one slice.

    Returns:
        The number of coronal slice locations the images cover.
    """
    _check_config(config)
    check("num_images", num_images, Integer())
    if config in ("fused", "lesion") and num_images >= 1:
        return num_images
    if config == "separate" and num_images >= 2 and num_images % 2 == 0:
        return num_images // 2
    if config == "mip" and num_images >= 2:
        return num_images - 1
    expected = {
        "fused": "at least 1",
        "lesion": "at least 1",
        "separate": "an even number >= 2 (CT, PET per location)",
        "mip": ">= 2",
    }
    raise InputError(f"config {config!r} takes {expected[config]} images; got {num_images}")


def system_prompt(lang: str = "zh") -> str:
    """The system prompt (the official Chinese one, or its English translation)."""
    return _SYSTEM[check_lang(lang, allow_auto=False)]


def report_template(lang: str = "zh") -> str:
    """The example structured report of the prompt, with its ``[...]`` (CT) and ``【...】`` (FDG) markers."""
    return _TEMPLATE[check_lang(lang, allow_auto=False)]


def user_prompt(
    config: str = "fused", lang: str = "zh", *, image_placeholder: str | None = None, num_images: int | None = None
) -> str:
    """The user turn: instruction, image references and the report template.

    Args:
        config: ``fused``, ``separate`` or ``mip`` (sets how the images are described).
        lang: ``zh`` (official text) or ``en``.
        image_placeholder: a token inlined once per image, space separated, where the official text puts
            ``<image>``; ``None`` (default) inlines nothing, for front-ends that add the images themselves.
        num_images: images in the turn; default :data:`NUM_IMAGES` of the setting.

    Returns:
        The prompt text. ``user_prompt("fused", "zh", image_placeholder="<image>")`` is the official
        ``prompt_user_text`` character for character.
    """
    _check_config(config)
    check_lang(lang, allow_auto=False)
    n = NUM_IMAGES[config] if num_images is None else num_images
    locations = check_num_images(config, n)
    placeholders = " ".join([image_placeholder] * n) if image_placeholder else ""
    note = _IMAGE_NOTE[lang][config].format(n=locations)
    return _HEAD[lang] + placeholders + note + _TAIL[lang] + _TEMPLATE[lang]


def template_report(lang: str = "zh", *, keep_markers: bool = False) -> str:
    """The paper's "Template Baseline" prediction: the prompt's example report, identical for every case.

    The ``[...]`` and ``【...】`` markers tell the model what to adapt; they are not report text. By default the
    bracket characters are removed and their content kept, so the baseline reads like a report (and a model that
    followed the instruction literally, changing nothing, would output this). ``keep_markers=True`` returns the
    template verbatim.
    """
    template = report_template(lang)
    return template if keep_markers else _MARKERS.sub("", template)


def baseline_predictions(case_ids: Iterable[str], lang: str = "zh", *, keep_markers: bool = False) -> dict[str, str]:
    """The template baseline as a model (``pet2rep baseline``, the demo): case_id -> :func:`template_report`, in the
    given order."""
    report = template_report(lang, keep_markers=keep_markers)
    return dict.fromkeys(case_ids, report)

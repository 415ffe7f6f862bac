"""Terms the CE extractor recognises (Chinese and English), kept as data apart from the extraction logic.

Every term is matched on the normalised text (NFKC, lower case, template brackets removed) with a
longest-match rule, so a longer term shadows the terms inside it: ``肝胃间隙`` (a lymph-node region) is not
``肝`` (liver), ``肾上腺`` is not ``肾``, ``肺门`` is not ``肺``, ``锁骨上`` is not ``锁骨`` (bone). English terms
match whole words only.

Kinds of term:

- organ terms (``ORGAN_TERMS_ZH/EN``): a scored organ key;
- ``UNSCORED_TERMS_*``: anatomy that is not scored (heart, pleura, vessels ...). Naming it makes it the subject of
  the sentence, so a following uptake statement does not fall back on an earlier organ;
- ``REGION_TERMS_*``: lymph-node regions -> node group (``None``: a node group that is not scored, e.g. axilla).
  Without a lymph-node word they are unscored anatomy;
- ``NODE_TERMS_*``: lymph node;
- statement words: uptake nouns, increased / decreased / absent words, negation cues, post-negations
  (``增高不明显``), abnormal / normal words, degree words, CT attribute words (``密度``: what follows is not uptake),
  comparison cues (``高于``, ``较``, ``than``) and comparison nouns (``本底``, ``血池``, ``background``), breaks
  (``但``, ``but``) and uncertainty cues (``不除外``: never a negation);
- issue 10 added: tissue heads (``TISSUE_TERMS_*``: 皮下, 脂肪间隙, 胸膜), comparison relations (above, below, equal),
  reference nouns, intensity degrees, lesion words, parts (包膜下), locators (位于) and positional suffixes (旁, 后方).

What each kind does is specified in ``docs/ce.md`` (§2 organs and node groups, §4 terms);
:mod:`pet2rep.text.ce.grammar` compiles these tables.
"""

from __future__ import annotations

from pet2rep.vocab import NODE_GROUPS, ORGANS, STATES  # noqa: F401 - their home is pet2rep.vocab; importable here as before

CERVICAL, MEDIASTINAL, ABDOMINAL = NODE_GROUPS

# The node group of a lymph node named after an organ (胰头旁淋巴结, 胃小弯淋巴结); None: not scored.
ORGAN_NODE_GROUP = {
    "brain": None,
    "eye": None,
    "sinus": CERVICAL,
    "pharynx": CERVICAL,
    "salivary_gland": CERVICAL,
    "thyroid": CERVICAL,
    "lung": MEDIASTINAL,
    "breast": None,
    "esophagus": MEDIASTINAL,
    "liver": ABDOMINAL,
    "gallbladder": ABDOMINAL,
    "pancreas": ABDOMINAL,
    "spleen": ABDOMINAL,
    "kidney": ABDOMINAL,
    "adrenal": ABDOMINAL,
    "stomach": ABDOMINAL,
    "intestine": ABDOMINAL,
    "prostate": ABDOMINAL,
    "uterus_adnexa": ABDOMINAL,
    "bladder": ABDOMINAL,
    "bone": None,
}

ORGAN_TERMS_ZH = {
    "brain": (
        "脑 大脑 小脑 脑实质 颅脑 脑干 脑桥 丘脑 基底节 大脑皮质 "
        "大脑皮层 脑皮质 额叶 顶叶 颞叶 枕叶 脑室 脑沟 脑裂 脑池 脑白质 脑灰质"
    ),
    "eye": "眼球 眼眶 眼 眼环 视神经 眼外肌",
    "sinus": "鼻窦 上颌窦 筛窦 额窦 蝶窦 副鼻窦 筛小房",
    "pharynx": (
        "鼻咽 口咽 喉咽 下咽 咽 咽部 咽壁 咽隐窝 扁桃体 腭扁桃体 咽扁桃体 舌扁桃体 喉 喉部 会厌 声带 声门 梨状窝 舌根"
    ),
    "salivary_gland": "腮腺 颌下腺 下颌下腺 舌下腺 唾液腺 涎腺",
    "thyroid": "甲状腺",
    "lung": "肺 两肺 双肺 左肺 右肺 肺叶 肺野 肺内 肺实质 肺尖 肺底 肺组织 胸膜下 胸膜下区 舌段 舌叶",
    "breast": "乳腺 乳房 乳头 左乳 右乳 双乳 两乳 乳晕",
    "esophagus": "食管 食道",
    "liver": "肝 肝脏 肝左叶 肝右叶 肝尾叶 肝内 肝实质 肝缘",
    "gallbladder": "胆囊",
    "pancreas": "胰腺 胰头 胰体 胰尾 胰颈 胰 钩突 胰管",
    "spleen": "脾 脾脏",
    "kidney": "肾 肾脏 双肾 左肾 右肾 两肾 肾实质 肾皮质 肾盂 肾盏 肾乳头",
    "adrenal": "肾上腺 左肾上腺 右肾上腺 双肾上腺 两肾上腺",  # the side forms: 右肾 must not win
    "stomach": "胃 胃窦 胃壁 胃底 胃体 胃角 贲门 幽门 胃小弯 胃大弯 胃腔",
    "intestine": (
        "肠 肠道 肠管 肠壁 结肠 直肠 回盲部 小肠 大肠 十二指肠 空肠 回肠 盲肠 乙状结肠 升结肠 降结肠 横结肠 阑尾 "
        "结直肠 肛管 肝曲 脾曲 十二指肠乳头"
    ),
    "prostate": "前列腺",
    "uterus_adnexa": "子宫 宫颈 宫体 子宫颈 子宫内膜 附件 卵巢 输卵管",
    "bladder": "膀胱",
    "bone": (
        "骨 骨骼 骨质 骨髓 脊柱 脊椎 椎体 椎 肋 肋骨 前肋 后肋 肋软骨 骨盆 颈椎 胸椎 腰椎 骶椎 骶骨 尾骨 胸骨 锁骨 "
        "肩胛骨 髂骨 股骨 肱骨 颅骨 耻骨 坐骨 椎弓 椎板 棘突 横突 骨皮质 下颌骨 上颌骨 中轴骨 长骨 四肢骨 "
        "四肢长骨 髓腔 椎体附件 骨盆骨 脊柱骨 股骨头 肋骨头"
    ),
}
# 胃肠 / 胃肠道: both organs.
MULTI_ORGAN_TERMS_ZH = {"胃肠": ("stomach", "intestine"), "胃肠道": ("stomach", "intestine")}

UNSCORED_TERMS_ZH = (
    "心脏 心影 心肌 心包 心腔 心房 心室 胸腔 主动脉 动脉 静脉 血管 门静脉 脾静脉 肾静脉 肾动脉 肝静脉 肝动脉 "
    "肺动脉 肺静脉 冠状动脉 腔静脉 肠系膜上动脉 肠系膜上静脉 骨骼肌 "
    "胸腺 腹壁 胸壁 输尿管 尿道 精囊 精囊腺 睾丸 阴囊 膈 膈肌 网膜 大网膜 胆管 胆总管 肝内外胆管 肝内胆管 "
    "泌尿系统 泌尿系 颞下窝 翼腭窝 咽鼓管 鼻腔 鼻甲 口腔 舌 牙 牙龈 下颌 上颌 气管 支气管 "
    "椎间盘 椎管 关节 关节腔 肩关节 髋关节 膝关节 骶髂关节 "
    "中线 中线结构 腹水 积液 胸部 颈部软组织 肾周 肝周 脾周 "
    "肝肾隐窝 脊髓 肋间隙 肋间肌 肋膈隐窝 鞘膜 鞘膜腔 外阴 会阴 体表 尿液 "
    "上颚 硬腭 软腭 上肢 下肢 肩部 腿部 大腿 小腿 臀部 膝 竖脊肌 腰大肌 颞肌 心包膜 节育器 胆囊窝 胸膜周围 胸膜旁"
)
# (bare 心 is left out: it is part of 中心 and names the heart only in compounds)
# Unscored tissues that head a place phrase: "双侧颈部及椎旁脂肪间隙", "乳腺皮肤", "盆腔前腹壁皮下" name the
# tissue, and every place listed before them only locates it (brown fat, skin, subcutis, muscle, pleura, peritoneum).
TISSUE_TERMS_ZH = "皮下 皮肤 脂肪 脂肪间隙 皮下脂肪 皮下脂肪间隙 皮下间隙 肌 肌肉 肌层 肌间隙 胸膜 腹膜 被膜 包膜 胸肌"
# parts that neither name a place nor end a phrase: 肝右叶包膜下区 is the liver (its capsule, 肝包膜, is not)
PART_TERMS_ZH = "包膜下 被膜下 包膜下区 被膜下区"

# lymph-node regions -> node group (None: not scored)
REGION_TERMS_ZH = {
    CERVICAL: (
        "颈部 颈深 颈深间隙 颈 颈根部 颈静脉 颈内静脉 颈血管鞘 颈动脉鞘 颈后三角 颈前 锁骨上 锁骨上窝 锁骨上区 锁骨区 "
        "颌下 颏下 咽后 咽后间隙 胸锁乳突肌 双颈 两颈 咽旁 咽旁间隙 腮腺区 枕后 耳前 耳后 颈后 颌下区 颏下区"
    ),
    MEDIASTINAL: (
        "纵隔 纵膈 肺门 气管旁 气管前 隆突下 隆突 主肺动脉窗 血管前间隙 腔静脉后 主动脉弓旁 主动脉窗 支气管旁 食管旁 "
        "上纵隔 前纵隔 后纵隔 心膈角 膈上 上纵膈 前纵膈 后纵膈 内乳 内乳区 乳内 前肋膈角 胸骨后 胸腺区 膈周 "
        "上腔静脉旁 上腔静脉 主动脉弓 心包旁 食管周围"
    ),
    ABDOMINAL: (
        "腹腔 腹膜后 后腹膜 门腔间隙 肝胃间隙 肠系膜 系膜 盆腔 "
        "腹盆腔 盆壁 髂血管旁 髂血管 髂内 髂外 髂总 髂 胃周 肝门 "
        "脾门 胰周 胰头周围 肾门 腹主动脉旁 主动脉旁 下腔静脉旁 闭孔 骶前 膈脚后 膈下 胃左 肝十二指肠韧带 "
        "肝胃韧带 椎前 髂总血管 髂内血管 髂外血管 腹主动脉 下腔静脉 腹膜腔 胃脾韧带 "
        "脾胃韧带 胃结肠韧带 腹腔干 肠系膜根部"
    ),
    None: (
        "腋窝 腋下 腋 腹股沟 胸壁下 肌间 腘窝 滑车上 纵隔外 胸肌间 胸肌间隙 锁骨下 锁骨下区 锁骨下窝 椎旁 脊柱旁 肋间 "
        "枕部"
    ),
}
# node places that name their group only in a node phrase (纵隔、肋膈角多发淋巴结, 腹部多发淋巴结); alone they are
# unscored anatomy: 肋膈角 is pleural as often (肋膈角变钝, 积液), 腹部 names the whole abdomen (腹部术后)
NODE_ONLY_REGION_TERMS_ZH = {MEDIASTINAL: "肋膈角 肋膈窦", ABDOMINAL: "腹部 上腹部 下腹部 中腹部"}
NODE_TERMS_ZH = "淋巴结 淋巴结影 淋巴结节"

UPTAKE_TERMS_ZH = (
    "摄取 代谢 放射性 放射性分布 放射性摄取 示踪剂 示踪剂分布 示踪剂摄取 "
    "显像剂 显像剂分布 fdg suv suvmax suvmean suvpeak "
    "葡萄糖代谢 糖代谢 代谢活性 浓聚水平 浓集水平 摄取水平 代谢水平 放射性分布水平 放射性浓聚水平 示踪剂浓聚水平 "
    "示踪剂浓集水平"
)
INC_TERMS_ZH = "增高 升高 增加 增强 活跃 稍高 略高 偏高 较高 增多 明显增高 异常增高"
# terms that are both an uptake noun and a state
INC_UPTAKE_TERMS_ZH = (
    "浓聚 高代谢 高摄取 摄取高 代谢高 异常浓聚 放射性浓聚 浓聚灶 高代谢灶 浓集 浓集灶 异常浓集 摄聚 增浓 浓聚影 "
    "高代谢影 高代谢病灶 代谢活跃 avid"
)
DEC_TERMS_ZH = "减低 降低 减少 减弱 稀疏 稍低 略低 偏低 较低 减"
DEC_UPTAKE_TERMS_ZH = "低代谢 低摄取 摄取低 代谢低 放射性稀疏 放射性减低"
ABS_TERMS_ZH = "缺失 缺损 缺如"
ABS_UPTAKE_TERMS_ZH = "放射性缺损 放射性缺失 无摄取 无代谢 代谢缺失 摄取缺失"
# increased + comparison cue (高于肝脏本底: the liver is the reference, not the subject)
INC_CMP_TERMS_ZH = "高于 略高于 稍高于 明显高于 显著高于 摄取高于 代谢高于 超过"
# comparison cues before the reference, by relation: below, equal, none (较肝脏 + a state word)
CMP_BELOW_TERMS_ZH = "低于 略低于 稍低于 明显低于 摄取低于 代谢低于"
CMP_EQUAL_TERMS_ZH = "约平 平于 接近 近似 相当于 类似于 等于 约等于"
CMP_BEFORE_TERMS_ZH = "较 对比 参照 相比于 相较于"
# ... and the 与X相比 / 与X相仿 construction: the organ right before 相比 is the reference
CMP_AFTER_TERMS_ZH = "相比 相较"
CMP_AFTER_EQUAL_TERMS_ZH = "相仿 相似 相近 持平 一致 相当"
# reference nouns: 肝脏本底, 纵隔血池. A statement about a reference (no comparison cue) is a reference value, never a
# finding: "纵隔血池SUVmax为2.0", "肝脏本底SUVmax 3.7", "纵膈血池放射性摄取水平升高"
REFERENCE_TERMS_ZH = "本底 血池 背景 本底水平 生理性本底 血池本底"
NEG_TERMS_ZH = "未见 未发现 未显示 未探及 未 无 没有 不伴 非 不 否认 未再"
POSTNEG_TERMS_ZH = "不明显 不显著 不确切 消失 已消失 基本消失"
ABNORMAL_TERMS_ZH = "异常 特殊"
NORMAL_TERMS_ZH = "正常 均匀 对称 如常 不高 尚均匀 大致正常"
# physiological: cancels an increase or decrease in the same statement (膀胱内生理性放射性浓聚 is normal)
PHYSIO_TERMS_ZH = "生理性 生理"
PHYSIO_UPTAKE_TERMS_ZH = "生理性摄取 生理性浓聚 生理性分布 生理性蓄积 生理性代谢 生理性浓集"
DEGREE_TERMS_ZH = "局灶性 弥漫性 弥漫 局部 明确 确切 程度 环形 结节状 团块状 片状 乳头状 局限性 不规则"
# intensity degrees: with an uptake noun and a lesion they make an increase (部分伴轻度放射性摄取)
INTENSITY_TERMS_ZH = "轻度 中度 重度 明显 显著 稍 略 轻微 轻 高度"
# lesion words: a lesion with an uptake noun and a degree or a SUV value, and no state word, is increased
# (CT words 增厚, 肿大 and lymph-node words count as lesions too)
LESION_TERMS_ZH = (
    "结节 肿块 灶 病灶 病变 占位 软组织 肿物 实变 骨质破坏 团块 软组织影 结节影 肿块影 条索影 索条影 条片影 斑片影 "
    "片状影 磨玻璃影 实变影 斑片 条索 索条"
)
# a locator introduces the place of what was just described: 较大者位于肝门区
LOCATOR_TERMS_ZH = "位于 分别位于 亦位于 主要位于"
# a place word followed by one of these only locates what follows or what is there (胰腺后方, 第3腰椎水平左腰大肌)
POSITION_SUFFIXES_ZH = (
    "旁 周 周围 后方 前方 上方 下方 深面 后缘 前缘 旁区 水平 层面 右缘 左缘 右旁 左旁 右前 右后方 左前 左后方"
)
CT_TERMS_ZH = "密度 体积 厚度 信号 透亮度 强化 ct值 回声 大小 形态 增厚 增大 肿大 缩小 减小 钙化 扩张 增宽 致密"
BREAK_TERMS_ZH = "而 但 但是 却 反而 伴 伴有 并"
UNCERTAIN_TERMS_ZH = "不除外 不排除 除外 可能 考虑 可疑 疑似"

# ---------------------------------------------------------------------------------------------------- English
ORGAN_TERMS_EN = {
    "brain": (
        "brain|cerebral|cerebrum|cerebellum|cerebellar|cerebral cortex|basal ganglia|thalamus|"
        "thalami|brainstem|brain stem|frontal lobe|parietal lobe|temporal lobe|occipital lobe|intracranial"
    ),
    "eye": "eye|eyes|eyeball|eyeballs|orbit|orbits|orbital|globe|globes|ocular|optic nerve",
    "sinus": (
        "sinus|sinuses|paranasal sinus|paranasal sinuses|maxillary sinus|maxillary sinuses|ethmoid|ethmoidal|"
        "ethmoid sinus|frontal sinus|sphenoid sinus|sphenoid|sinonasal"
    ),
    "pharynx": (
        "pharynx|nasopharynx|nasopharyngeal|oropharynx|oropharyngeal|hypopharynx|hypopharyngeal|pharyngeal|tonsil|"
        "tonsils|tonsillar|palatine tonsil|palatine tonsils|larynx|laryngeal|epiglottis|vocal cord|vocal cords|"
        "tongue base|base of tongue|piriform sinus|pyriform sinus|throat"
    ),
    "salivary_gland": (
        "parotid|parotids|parotid gland|parotid glands|submandibular gland|submandibular glands|sublingual gland|"
        "sublingual glands|salivary|salivary gland|salivary glands"
    ),
    "thyroid": "thyroid|thyroid gland|thyroid lobe",
    "lung": (
        "lung|lungs|pulmonary|upper lobe|lower lobe|middle lobe|lingula|lingular|lung parenchyma|apex of the lung|"
        "lobe of the lung|lung field|lung fields"
    ),
    "breast": "breast|breasts|mammary gland|mammary glands|nipple",
    "esophagus": "esophagus|esophageal|oesophagus|oesophageal|gastroesophageal junction",
    "liver": "liver|hepatic|hepatic parenchyma|lobe of the liver|liver lobe|caudate lobe",
    "gallbladder": "gallbladder|gall bladder|gallbladders",
    "pancreas": (
        "pancreas|pancreatic|pancreatic head|pancreatic body|pancreatic tail|uncinate process|head of the pancreas|"
        "tail of the pancreas|body of the pancreas|pancreatic duct"
    ),
    "spleen": "spleen|splenic",
    "kidney": "kidney|kidneys|renal|renal cortex|renal parenchyma|renal pelvis|renal collecting system",
    "adrenal": "adrenal|adrenals|adrenal gland|adrenal glands|suprarenal",
    "stomach": "stomach|gastric|gastric wall|gastric antrum|antrum|gastric fundus|gastric body|cardia|pylorus|pyloric",
    "intestine": (
        "intestine|intestines|intestinal|bowel|bowels|small bowel|large bowel|colon|colonic|rectum|rectal|"
        "ileocecal|ileocaecal|cecum|caecum|duodenum|duodenal|jejunum|jejunal|ileum|ileal|sigmoid|sigmoid colon|"
        "appendix|gut|rectosigmoid|hepatic flexure|splenic flexure|anal canal"
    ),
    "prostate": "prostate|prostatic|prostate gland",
    "uterus_adnexa": (
        "uterus|uterine|cervix|uterine cervix|adnexa|adnexal|adnexae|ovary|ovaries|ovarian|endometrium|"
        "endometrial|fallopian tube|fallopian tubes|myometrium"
    ),
    "bladder": "bladder|urinary bladder|vesical",
    "bone": (
        "bone|bones|skeleton|skeletal|osseous|bone marrow|marrow|spine|spinal|vertebra|vertebrae|vertebral|"
        "vertebral body|vertebral bodies|rib|ribs|pelvic bone|pelvic bones|bony pelvis|sternum|sternal|sacrum|"
        "sacral|coccyx|iliac bone|iliac bones|ilium|femur|femoral head|humerus|scapula|clavicle|skull|calvarium|"
        "calvaria|cervical spine|thoracic spine|lumbar spine|cervical vertebra|cervical vertebrae|thoracic vertebra|"
        "lumbar vertebra|pubis|ischium|acetabulum"
    ),
}
MULTI_ORGAN_TERMS_EN = {
    "gastrointestinal": ("stomach", "intestine"),
    "gastrointestinal tract": ("stomach", "intestine"),
}

UNSCORED_TERMS_EN = (
    "heart|cardiac|myocardium|myocardial|pericardium|pericardial|pleura|pleural|pleural space|aorta|aortic|artery|"
    "arteries|vein|veins|vessel|vessels|vascular|portal vein|hepatic vein|hepatic veins|hepatic artery|splenic vein|"
    "renal vein|renal artery|pulmonary artery|pulmonary arteries|pulmonary vein|coronary|coronary artery|"
    "coronary arteries|vena cava|inferior vena cava|superior vena cava|muscle|muscles|muscular|skeletal muscle|"
    "skeletal muscles|subcutaneous|skin|fat|soft tissue|soft tissues|thymus|peritoneum|peritoneal|abdominal wall|"
    "chest wall|ureter|ureters|ureteral|urethra|seminal vesicle|seminal vesicles|testis|testes|testicle|testicles|"
    "testicular|scrotum|scrotal|diaphragm|omentum|omental|bile duct|bile ducts|biliary|common bile duct|trachea|"
    "tracheal|bronchus|bronchi|bronchial|nasal cavity|oral cavity|tongue|teeth|mandible|maxilla|intervertebral disc|"
    "intervertebral discs|disc|joint|joints|shoulder|shoulders|hip|hips|knee|knees|ascites|effusion|chest|thorax|"
    "urinary tract|urinary system|midline|spinal canal|spinal cord"
)

REGION_TERMS_EN = {
    CERVICAL: (
        "cervical|neck|deep cervical|supraclavicular|submandibular|submental|retropharyngeal|jugular|"
        "jugulodigastric|level ii|level iii|level iv|level v|posterior triangle|parotid region"
    ),
    MEDIASTINAL: (
        "mediastinal|mediastinum|hilar|hilum|hila|hilus|paratracheal|pretracheal|subcarinal|aortopulmonary|"
        "aortopulmonary window|prevascular|paraesophageal|paraoesophageal|precarinal|retrocaval|pulmonary hilum|"
        "pulmonary hila|cardiophrenic|prevascular space"
    ),
    ABDOMINAL: (
        "abdominal|abdomen|retroperitoneal|retroperitoneum|portacaval|portocaval|gastrohepatic|mesenteric|"
        "mesentery|pelvic|pelvis|pelvic cavity|iliac|external iliac|internal iliac|common iliac|para-aortic|"
        "paraaortic|periaortic|para aortic|aortocaval|celiac|coeliac|perigastric|peripancreatic|porta hepatis|"
        "hepatic hilum|splenic hilum|renal hilum|obturator|presacral|paracaval|retrocrural|peritoneal cavity|"
        "perirectal|mesorectal"
    ),
    None: "axilla|axillae|axillary|inguinal|groin|internal mammary|popliteal|epitrochlear|intramammary",
}
NODE_ONLY_REGION_TERMS_EN: dict = {}
NODE_TERMS_EN = "lymph node|lymph nodes|node|nodes|nodal|lymphadenopathy|adenopathy|lymph nodal"

UPTAKE_TERMS_EN = (
    "uptake|uptakes|fdg|suv|suvmax|suv max|suvmean|suvpeak|metabolism|metabolic|metabolic activity|"
    "tracer|radiotracer|tracer uptake|tracer activity|activity|avidity|accumulation|glucose metabolism|"
    "fdg uptake|fdg activity|radioactivity"
)
INC_TERMS_EN = (
    "increased|increase|increasing|elevated|elevation|high|intense|intensely|heightened|raised|"
    "markedly increased|mildly increased|slightly increased|moderately increased|higher"
)
INC_UPTAKE_TERMS_EN = "hypermetabolic|hypermetabolism|fdg-avid|fdg avid|avid|hot spot|hotspot|hot spots"
DEC_TERMS_EN = "decreased|decrease|reduced|reduction|low|diminished|lower|lowered|hypoactive"
DEC_UPTAKE_TERMS_EN = "hypometabolic|hypometabolism"
ABS_TERMS_EN = "absent|absence|lack|lacking|lack of|defect|missing"
ABS_UPTAKE_TERMS_EN = "photopenic|photopenia|photon-deficient|cold defect|non-avid uptake"
INC_CMP_TERMS_EN = "higher than|greater than|more than|above that of|exceeding|exceeds|in excess of"
CMP_BELOW_TERMS_EN = "lower than|less than|below that of|below"
CMP_EQUAL_TERMS_EN = "similar to|equal to|comparable to|equivalent to|close to|same as"
CMP_BEFORE_TERMS_EN = (
    "than|than that of|than those of|compared to|compared with|relative to|in comparison with|in comparison to|"
    "versus|vs|that of"
)
CMP_AFTER_TERMS_EN = ""
CMP_AFTER_EQUAL_TERMS_EN = ""
REFERENCE_TERMS_EN = "background|blood pool|reference|baseline|background activity|background uptake"
TISSUE_TERMS_EN = ""
LOCATOR_TERMS_EN = ""
POSITION_SUFFIXES_EN = ""
PART_TERMS_EN = "subcapsular"
LESION_TERMS_EN = "nodule|nodules|mass|masses|lesion|lesions|focus|foci|tumor|tumour|consolidation"
NEG_TERMS_EN = "no|not|without|negative for|nor|none|never|free of|no evidence of|neither"
POSTNEG_TERMS_EN = (
    "not seen|not identified|not demonstrated|not present|not observed|not detected|not noted|not evident|"
    "not appreciated|not visualized|not visualised|not found|not significant"
)
ABNORMAL_TERMS_EN = "abnormal|abnormally|pathologic|pathological|suspicious|malignant"
NORMAL_TERMS_EN = (
    "normal|homogeneous|homogenous|homogeneously|symmetric|symmetrical|symmetrically|unremarkable|"
    "within normal limits|expected|normally|benign"
)
PHYSIO_TERMS_EN = "physiologic|physiological|physiologically"
PHYSIO_UPTAKE_TERMS_EN = "physiologic uptake|physiological uptake|physiologic activity|physiological activity"
DEGREE_TERMS_EN = (
    "focal|focally|diffuse|diffusely|heterogeneous|heterogeneously|definite|appreciable|obvious|evident|faint|minimal|"
    "very|irregular|nodular|patchy|linear|ring-like|rim|some|any"
)
INTENSITY_TERMS_EN = "mild|mildly|moderate|moderately|marked|markedly|slight|slightly|significant|significantly"
CT_TERMS_EN = (
    "density|densities|attenuation|hypodense|hyperdense|hypoattenuating|hyperattenuating|enhancement|enhancing|"
    "signal|size|volume|thickness|thickening|thickened|enlarged|enlargement|calcification|calcified|dilated|"
    "dilatation|hu"
)
BREAK_TERMS_EN = "but|however|whereas|while|although|though|yet"
UNCERTAIN_TERMS_EN = (
    "cannot be excluded|cannot be ruled out|not excluded|not ruled out|possibly|probably|likely|suspected"
)

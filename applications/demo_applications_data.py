"""The tables of the demo applications (``applications/demo_applications.py``): more fictional
units, how many applications per task and in which states, names, titles and texts. Plain
values, like ``demo_data.py``."""

# More fictional units, in the format of ``demo_data.UNITS``, so that every field has leads and
# partners of its own trade in both provinces.
# fmt: off
EXTRA_UNITS: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    ("shancheng", "山城数智科技有限公司", "Shancheng Digital Intelligence Technology Co., Ltd.",
     "enterprise", "CQ", "CQ", "91500112MA61C4K7X", "重庆市渝北区"),
    ("geleshan", "歌乐山医科大学", "Geleshan Medical University",
     "university", "CQ", "CQ", "12500106450927381", "重庆市沙坪坝区"),
    ("yuxi", "渝西农业科学研究院", "Yuxi Academy of Agricultural Sciences",
     "institute", "CQ", "CQ", "12500118709342615", "重庆市永川区"),
    ("emei", "峨眉智能科技有限公司", "Emei Intelligent Technology Co., Ltd.",
     "enterprise", "SC", "SC", "91511100MA62W5P3R", "四川省乐山市"),
    ("rongcheng", "蓉城生态环境科学研究院", "Rongcheng Academy of Eco-environmental Sciences",
     "institute", "SC", "SC", "12510105450813927", "四川省成都市青羊区"),
    ("minshan", "岷山农林大学", "Minshan University of Agriculture and Forestry",
     "university", "SC", "SC", "12511800451236870", "四川省雅安市"),
)
# fmt: on

EXTRA_UNIT_KEYS = frozenset(row[0] for row in EXTRA_UNITS)

# Per field: the units that lead or join its applications, Chongqing's then Sichuan's.
FIELD_UNITS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "ai": (("bayu", "liangjiang", "shancheng"), ("shudu", "jincheng", "emei")),
    "health": (("jialing", "chaotianmen", "geleshan"), ("minjiang", "kanghua", "shudu")),
    "eco": (("jinyun", "bayu", "yuxi"), ("rongcheng", "minshan", "shudu")),
    "agri": (("yudong", "yuxi", "bayu"), ("tianfu_agri", "chuanxi", "minshan")),
}

# Applications per guide task, in turn over the tasks: 89 over the 32 tasks of 2021.
PER_TASK = (3, 2, 4, 2, 3)

# Where each application ends, in turn; every third accepted one was returned and submitted again.
STATE_CYCLE = (
    "accepted",
    "submitted",
    "endorsed",
    "draft",
    "accepted",
    "returned",
    "endorsed",
    "submitted",
    "accepted",
    "withdrawn",
)
PATHS: dict[str, tuple[str, ...]] = {
    "draft": (),
    "submitted": ("submit",),
    "returned": ("submit", "return"),
    "endorsed": ("submit", "endorse"),
    "accepted": ("submit", "endorse", "accept"),
    "resubmitted": ("submit", "return", "revise", "submit", "endorse", "accept"),
    "withdrawn": ("submit", "withdraw"),
    "withdrawn_endorsed": ("submit", "endorse", "withdraw"),
}

RETURN_REASONS = (
    "预算说明不够详细：请补充设备费的测算依据，并说明合作单位经费的具体用途后重新提交。",
    "考核指标偏笼统：请将技术指标量化，并写明每项指标的考核方式。",
    "合作协议未加盖合作单位公章，请上传盖章后的协议扫描件后重新提交。",
    "项目组成员的工作时间合计偏高，请核实各成员的投入比例。",
)
WITHDRAW_REASON = "项目团队调整，本年度暂不申报。"
REVISED_NOTE = "（已按单位审核意见修改预算说明与考核方式。）"

PROVINCE_ZH = {"SC": "四川省", "CQ": "重庆市"}

# Counties for the first six digits of ID numbers (GB 2260).
ID_REGIONS = {
    "CQ": ("500101", "500103", "500105", "500106", "500107", "500108", "500112", "500118"),
    "SC": ("510104", "510105", "510106", "510107", "510108", "510112", "511102", "511802"),
}
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN_NAMES = [
    "志强",
    "秀兰",
    "建国",
    "海燕",
    "晓明",
    "丽娟",
    "文博",
    "雨婷",
    "国庆",
    "静怡",
    "俊杰",
    "思远",
    "红梅",
    "振华",
    "佳琪",
    "德明",
    "晓燕",
    "子涵",
    "永刚",
    "春花",
    "立新",
    "梦瑶",
    "宏伟",
    "凤英",
    "嘉豪",
    "婷婷",
    "世杰",
    "明轩",
    "淑珍",
    "浩然",
    "欣怡",
    "建军",
    "玉兰",
    "天宇",
    "晨曦",
    "家乐",
    "慧敏",
    "国栋",
    "雪梅",
    "鹏飞",
]

# Titles by unit type: the project leader's, a core member's, a member's.
TITLES = {
    "university": ("教授", "副教授", "讲师"),
    "institute": ("研究员", "副研究员", "助理研究员"),
    "hospital": ("主任医师", "副主任医师", "主治医师"),
    "enterprise": ("正高级工程师", "高级工程师", "工程师"),
    "other": ("研究员", "副研究员", "助理研究员"),
}

TITLE_SUFFIXES = ("研究与示范", "研究及应用", "集成创新与示范应用", "攻关与产业化")
TITLE_PREFIXES = {
    "ai": ("", "基于深度学习的", "云边端协同的", "多源数据融合驱动的"),
    "health": ("", "基于多中心队列的", "基于多组学的", "中西医结合的"),
    "eco": ("", "基于天空地一体化监测的", "基于数值模拟的", "川渝协同的"),
    "agri": ("", "基于分子育种的", "基于物联网的", "川渝协同的"),
}
METHODS = {
    "ai": (
        "采用深度学习与知识图谱相结合的方法",
        "构建云边端协同的计算架构",
        "融合多源异构数据开展建模与优化",
        "结合仿真测试与实景验证",
    ),
    "health": (
        "开展多中心临床研究与真实世界数据分析",
        "结合多组学与生物信息学方法",
        "运用中西医结合的循证研究方法",
        "建立标准化样本库与随访队列",
    ),
    "eco": (
        "构建天空地一体化监测体系并结合数值模拟",
        "采用野外定位观测与室内模拟相结合的方法",
        "运用遥感与地理信息系统技术",
        "开展示范工程与长期效果评估",
    ),
    "agri": (
        "综合运用分子标记辅助选育与常规育种",
        "集成物联网感知与智能决策技术",
        "开展多点田间试验与技术集成示范",
        "建立标准化生产与加工技术体系",
    ),
}

# Indicators: (kind, metric, targets to choose from, unit of measure); the field's own first.
FIELD_INDICATORS = {
    "ai": (
        ("technical", "研制软件系统或平台", (1, 2), "套"),
        ("social", "示范应用企业或单位", (10, 20, 30), "家"),
    ),
    "health": (
        ("technical", "形成临床诊疗规范、标准或新产品", (1, 2, 3), "项"),
        ("social", "覆盖基层医疗机构", (20, 30, 50), "家"),
    ),
    "eco": (
        ("technical", "建设技术示范工程或示范点", (1, 2, 3), "个"),
        ("social", "开展技术培训", (200, 300, 500), "人次"),
    ),
    "agri": (
        ("technical", "选育新品种（系）或制定技术规程", (2, 3, 4), "个"),
        ("social", "带动农户增收", (500, 1000, 2000), "户"),
    ),
}
COMMON_INDICATORS = (
    ("technical", "申请发明专利", (3, 4, 5, 6), "项"),
    ("technical", "发表高水平学术论文", (4, 5, 6, 8), "篇"),
    ("economic", "新增销售收入（产值）", (300, 500, 800, 1200), "万元"),
)

ABSTRACT = (
    "本项目面向“{task}”指南任务，由{lead_province}{lead}牵头，联合{partner_province}{partner}共同实施。"
    "项目{method}，主要目标是：{description}"
    "项目将发挥川渝两地产学研协同优势，形成可复制、可推广的技术方案与示范应用，"
    "为成渝地区双城经济圈建设提供科技支撑。"
)
AIMS = (
    "一、研究目标\n{description}\n\n"
    "二、国内外研究现状\n近年来，{field}领域相关技术发展迅速，国内外围绕“{topic}”已开展了大量研究，"
    "但在川渝地区复杂自然条件与产业场景下的系统集成、工程化验证和规模化应用仍显不足，"
    "跨区域的数据、标准与资源共享机制尚不完善。\n\n"
    "三、拟解决的关键问题\n（1）{topic}中的关键共性技术瓶颈；\n"
    "（2）川渝两地数据、资源与标准的互联互通；\n（3）技术成果的工程化验证与示范推广。"
)
ROUTE = (
    "项目按“需求调研—技术攻关—集成验证—示范应用”的总体路线实施：\n"
    "1. 需求调研与方案设计：{lead}与{partner}联合梳理川渝两地应用需求，确定技术指标与总体方案；\n"
    "2. 关键技术攻关：{method}，突破{topic}中的核心技术；\n"
    "3. 集成与验证：依托双方试验平台开展联合测试，迭代优化技术方案；\n"
    "4. 示范应用：在川渝两地各选取示范点开展应用，形成标准规范与推广方案。\n"
    "任务分工：{lead}负责总体设计与关键技术攻关，{partner}负责在{partner_province}的示范应用与验证。"
)
FOUNDATION = (
    "{lead}长期从事{field}领域研究，拥有省部级重点实验室和工程技术研究中心等科研平台，"
    "近五年承担相关国家和省部级科研项目十余项。{partner}在{topic}方面具有良好的研究积累和应用场景。"
    "双方已签订合作协议，明确任务分工、经费安排与知识产权归属。"
    "项目负责人{pi}（{pi_title}）长期从事相关研究，团队成员专业结构合理，具备完成本项目的条件。"
)
MILESTONES = (
    "需求调研与方案设计：梳理川渝两地需求，完成总体方案与技术指标论证",
    "关键技术攻关：完成核心技术研究与原型研制",
    "集成与验证：开展联合测试与中试验证，迭代优化",
    "示范应用与总结：在川渝两地开展示范应用，完成考核指标并准备验收",
)

# Unit administrators' sequence numbers of ID numbers start at 800, above the researchers' ones.
ADMIN_ROSTER_START = 700

# The applicant logins of the demo (PEOPLE in demo_data): who plays what.
DEMO_APPLICANT_CQ = "applicant.cq@demo.test"
DEMO_APPLICANT_SC = "applicant.sc@demo.test"

# Experts some demo applications ask to avoid (fictional people of competing units).
AVOID_NAMES = ("欧阳明远", "司马静怡", "上官浩然", "诸葛清和")
AVOID_REASONS = ("与本项目存在直接竞争关系", "")

"""The demo data of the 2021 joint call, as plain values: ``applications/demo.py`` writes them.

Units are fictional; their credit codes and the persons' ID numbers get valid check characters
from ``portal.validators`` when they are written.
"""

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from applications.models import CallStatus
from portal.accounts.roles import Role

DEMO_PASSWORD = "demo-pass-2021"  # noqa: S105 — the published password of the demo logins (README)

# code, Chinese name, English name, quota of funded projects, prefix of the task codes
FIELDS: tuple[tuple[str, str, str, int, str], ...] = (
    ("ai", "人工智能", "Artificial intelligence", 5, "AI"),
    ("health", "大健康", "Healthcare", 2, "HEALTH"),
    ("eco", "生态环保", "Eco-environmental protection", 3, "ECO"),
    ("agri", "现代农业", "Modern agriculture", 6, "AGRI"),
)

CALL: dict = {
    "year": 2021,
    "title_zh": "2021年川渝联合实施重点研发项目",
    "title_en": "2021 Sichuan–Chongqing Joint Key R&D Projects",
    "description_zh": (
        "为推动成渝地区双城经济圈建设，重庆市科学技术局与四川省科学技术厅联合组织实施重点研发项目，"
        "聚焦人工智能、大健康、生态环保、现代农业四个领域，支持川渝两地单位联合开展关键核心技术攻关。"
        "项目须由一省（市）单位牵头、另一省（市）单位参与合作，各方单位向本省（市）科技主管部门申报。"
    ),
    "description_en": (
        "The Chongqing Science and Technology Bureau and the Sichuan Department of Science and "
        "Technology jointly fund key R&D projects for the Chengdu–Chongqing economic circle in four "
        "fields: artificial intelligence, healthcare, eco-environmental protection and modern "
        "agriculture. A unit of one province leads, with at least one partner unit of the other; "
        "each unit applies to the bureau of its own province."
    ),
    "status": CallStatus.OPEN,
    "budget_sc": Decimal("20000000.00"),
    "budget_cq": Decimal("20000000.00"),
    "per_project_cap": Decimal("2000000.00"),
    "cross_funding_allowed": False,
    "pi_limit": 1,
    "member_limit": 2,
    "pi_born_after": date(1961, 1, 1),
    "senior_title_from": Decimal("1000000.00"),
    "min_duration_months": 12,
    "max_duration_months": 36,
    "min_self_raised_ratio": Decimal("0"),
    "max_indirect_rate": Decimal("0.2"),
    "reviewers_per_application": 5,
    "min_reviewers_per_province": 2,
    "disagreement_threshold": Decimal("20"),
    "publicity_working_days": 5,
    "notice_number_format": "川渝联研〔{year}〕{number}号",
}

# The call's calendar, counted from the day the seed runs (Asia/Shanghai).
CALL_TIMEZONE = ZoneInfo("Asia/Shanghai")
OPENED_DAYS_AGO = 10
OPENING_HOUR = 9
SUBMIT_IN_DAYS = 30
DEADLINE_HOUR = 17
ENDORSE_DAYS_AFTER_SUBMIT = 7
ACCEPTANCE_DAYS_AFTER_ENDORSE = 14
REVIEW_DAYS_AFTER_ACCEPTANCE = 3
REVIEW_DAYS = 21
PUBLICITY_DAYS_AFTER_REVIEW = 14

# Per field: (Chinese title, English title, research content and targets in Chinese and in
# English, demand source). Codes are CY2021-<prefix>-NN in this order.
TASKS: dict[str, tuple[tuple[str, str, str, str, str], ...]] = {
    "ai": (
        (
            "成渝地区双城经济圈智能制造工业互联网平台关键技术",
            "Industrial internet platform for smart manufacturing in the Chengdu–Chongqing economic circle",
            "面向川渝汽车、电子信息等重点产业链，研究跨区域工业互联网标识解析、设备互联与数据共享技术。"
            "建成覆盖两地不少于200家企业的协同制造平台并开展示范应用。",
            "Cross-regional identifier resolution, device interconnection and data sharing for the "
            "automotive and electronics supply chains; a collaborative manufacturing platform serving "
            "at least 200 companies in both provinces.",
            "重庆市经济和信息化委员会",
        ),
        (
            "山地城市智能网联汽车测试评价关键技术",
            "Testing and evaluation of connected and automated vehicles in mountainous cities",
            "研究山地城市复杂道路场景下自动驾驶感知与决策算法及测试评价方法。"
            "建设川渝互认的智能网联汽车测试场景库，场景不少于1000个。",
            "Perception and decision algorithms and test methods for automated driving on complex "
            "mountain-city roads; a scenario library of at least 1,000 scenarios recognised by both provinces.",
            "四川省经济和信息化厅",
        ),
        (
            "面向电子信息产业的机器视觉缺陷检测技术",
            "Machine-vision defect inspection for the electronic information industry",
            "研究显示面板、集成电路封装等产品的小样本缺陷检测深度学习模型，检测准确率不低于99%，"
            "并在川渝两地产线开展应用验证。",
            "Few-shot deep-learning models for defects of display panels and chip packages with at "
            "least 99% accuracy, validated on production lines in both provinces.",
            "四川省经济和信息化厅",
        ),
        (
            "城市治理大数据智能分析与决策支持",
            "Big-data analysis and decision support for urban governance",
            "融合川渝两地政务、交通与公共安全数据，研究跨域数据安全共享与智能研判技术，"
            "支撑成渝城市治理“一网统管”试点应用。",
            "Secure cross-regional sharing and intelligent analysis of government, traffic and "
            "public-safety data, piloted in the joint urban-governance platform of Chengdu and Chongqing.",
            "重庆市大数据应用发展管理局",
        ),
        (
            "面向川渝方言的语音识别与政务智能问答",
            "Speech recognition for Sichuan–Chongqing dialects and question answering for public services",
            "研究面向川渝方言与政务领域的语音识别和智能问答技术，实现“川渝通办”事项智能咨询，"
            "问答准确率不低于90%。",
            "Dialect speech recognition and question answering for the services both governments "
            "offer jointly, with at least 90% correct answers.",
            "四川省大数据中心",
        ),
        (
            "川渝电网一体化边缘计算与负荷预测技术",
            "Edge computing and load forecasting for the integrated Sichuan–Chongqing power grid",
            "研究川渝电网一体化背景下的分布式边缘计算与短期负荷预测模型，预测误差不高于3%，"
            "在两地变电站开展示范。",
            "Distributed edge computing and short-term load forecasting with an error of at most 3%, "
            "demonstrated in substations of both provinces.",
            "重庆市能源局",
        ),
        (
            "工业机器人视觉力觉融合与人机协作技术",
            "Vision–force fusion and human–robot collaboration for industrial robots",
            "研究基于视觉与力觉融合的机器人柔性装配与安全协作技术，研制样机不少于2台（套），"
            "在川渝装备制造企业示范应用。",
            "Flexible assembly and safe collaboration based on vision and force sensing; at least "
            "two prototypes demonstrated at equipment makers in both provinces.",
            "重庆市经济和信息化委员会",
        ),
        (
            "西部陆海新通道多式联运智能调度技术",
            "Intelligent multimodal scheduling for the New Western Land–Sea Corridor",
            "研究铁路、公路、水运多式联运智能调度与货物全程追踪技术，使川渝联运平均中转时间缩短15%以上。",
            "Intelligent scheduling and end-to-end tracking of rail, road and waterway freight, "
            "cutting average transfer time between the two provinces by at least 15%.",
            "四川省交通运输厅",
        ),
        (
            "低功耗人工智能芯片与端侧智能计算",
            "Low-power AI chips and on-device intelligent computing",
            "研究低功耗神经网络加速器架构与编译工具链，研制面向智能终端的人工智能芯片原型，"
            "能效比不低于5 TOPS/W。",
            "A low-power neural-network accelerator architecture and compiler tool chain; an AI "
            "chip prototype for smart devices reaching at least 5 TOPS/W.",
            "四川省经济和信息化厅",
        ),
        (
            "山地城市交通信号区域协同控制技术",
            "Coordinated regional traffic-signal control for mountainous cities",
            "研究山地城市路网交通流感知与区域信号协同优化算法，示范区域高峰时段平均通行时间缩短10%以上。",
            "Traffic-flow sensing and coordinated signal optimisation for mountain-city road "
            "networks, cutting peak-hour travel time in the pilot area by at least 10%.",
            "重庆市大数据应用发展管理局",
        ),
    ),
    "health": (
        (
            "川渝道地药材品质评价与中医药大健康产品开发",
            "Quality evaluation of genuine regional medicinal herbs and TCM health products",
            "围绕川芎、黄连、川贝母等川渝道地药材，建立品质评价标准体系，开发中医药大健康产品3个以上。",
            "A quality-evaluation standard for regional herbs such as chuanxiong, coptis and "
            "fritillaria, and at least three new TCM health products.",
            "四川省中医药管理局",
        ),
        (
            "智慧医疗：常见病人工智能辅助诊断与远程会诊",
            "Smart healthcare: AI-aided diagnosis of common diseases and remote consultation",
            "构建川渝医疗机构互联的远程会诊平台，研发肺结节、糖尿病视网膜病变等辅助诊断模型，"
            "覆盖基层医疗机构不少于50家。",
            "A remote-consultation platform linking hospitals of both provinces, with aided "
            "diagnosis of lung nodules and diabetic retinopathy in at least 50 primary-care sites.",
            "重庆市卫生健康委员会",
        ),
        (
            "老年慢性病综合防控与健康管理",
            "Integrated prevention and management of chronic diseases in older people",
            "研究川渝老年人群高血压、慢阻肺等慢性病风险预测与社区综合干预模式，建立不少于1万人的随访队列。",
            "Risk prediction and community intervention for hypertension, COPD and other chronic "
            "diseases of older people, with a follow-up cohort of at least 10,000 people.",
            "四川省卫生健康委员会",
        ),
        (
            "重大呼吸道传染病快速检测与联防联控技术",
            "Rapid testing and joint control of major respiratory infectious diseases",
            "研发重大呼吸道传染病多重核酸快速检测试剂与现场检测设备，检测时间不超过40分钟，"
            "建立川渝联防联控监测预警模型。",
            "Multiplex rapid nucleic-acid tests and point-of-care devices giving results within "
            "40 minutes, and a joint surveillance and early-warning model for both provinces.",
            "重庆市卫生健康委员会",
        ),
    ),
    "eco": (
        (
            "长江上游生态屏障生物多样性监测与保护",
            "Biodiversity monitoring and protection for the ecological barrier of the upper Yangtze",
            "构建长江上游川渝段天空地一体化生物多样性监测网络，提出重点物种栖息地保护与修复方案。",
            "An integrated satellite, aerial and ground biodiversity monitoring network for the "
            "upper Yangtze, with habitat protection and restoration plans for key species.",
            "四川省生态环境厅",
        ),
        (
            "三峡库区消落带生态修复技术",
            "Ecological restoration of the Three Gorges Reservoir's fluctuation zone",
            "研究消落带适生植物筛选配置与土壤侵蚀防控技术，建设生态修复示范区不少于500亩。",
            "Selection of plants suited to the water-level fluctuation zone and erosion control, "
            "with a restoration demonstration area of at least 500 mu.",
            "重庆市生态环境局",
        ),
        (
            "成渝地区大气污染物协同减排与区域联防联控",
            "Coordinated reduction of air pollutants and joint control in the Chengdu–Chongqing region",
            "解析成渝地区细颗粒物与臭氧复合污染成因，构建区域空气质量预报与协同减排决策系统，"
            "预报准确率不低于80%。",
            "Sources of combined PM2.5 and ozone pollution, and a regional air-quality forecast and "
            "emission-reduction decision system with at least 80% forecast accuracy.",
            "重庆市生态环境局",
        ),
        (
            "嘉陵江、沱江流域跨界水环境综合治理",
            "Integrated management of cross-border water quality in the Jialing and Tuo river basins",
            "研究跨界河流污染溯源与水质预警技术，建立川渝跨界断面水质联合监测平台。",
            "Pollution source tracing and water-quality early warning for cross-border rivers, and "
            "a joint monitoring platform for the border sections.",
            "四川省生态环境厅",
        ),
        (
            "固体废物资源化利用与“无废城市”建设",
            "Recovering resources from solid waste for zero-waste cities",
            "研发工业固废与建筑垃圾高值化利用技术，示范线资源化利用率不低于85%。",
            "High-value use of industrial solid waste and construction debris, with a recovery "
            "rate of at least 85% on a demonstration line.",
            "重庆市生态环境局",
        ),
        (
            "川渝山地地质灾害智能监测预警",
            "Intelligent monitoring and early warning of geological hazards in the mountains",
            "研究滑坡、泥石流等地质灾害多源感知与智能预警模型，在川渝交界重点隐患点开展示范，"
            "预警时间提前2小时以上。",
            "Multi-source sensing and early-warning models for landslides and debris flows, "
            "demonstrated at hazard sites on the border, warning at least two hours ahead.",
            "四川省自然资源厅",
        ),
    ),
    "agri": (
        (
            "川渝柑橘优质品种选育与绿色高效栽培",
            "Breeding of high-quality citrus and green, efficient cultivation",
            "选育晚熟、抗病柑橘新品种（系）2个以上，集成绿色高效栽培技术，在川渝柑橘主产区推广5万亩。",
            "At least two late-ripening, disease-resistant citrus varieties and green cultivation "
            "practices extended to 50,000 mu in the main growing areas.",
            "重庆市农业农村委员会",
        ),
        (
            "生猪种业创新与重大疫病防控",
            "Pig breeding innovation and control of major swine diseases",
            "开展荣昌猪、成华猪等地方猪种资源挖掘与新品系培育，研发生物安全防控关键技术，"
            "示范场每头母猪年提供断奶仔猪数提高10%。",
            "Use of local breeds such as Rongchang and Chenghua pigs for new lines and biosecurity "
            "techniques, raising piglets weaned per sow and year by 10% on demonstration farms.",
            "四川省农业农村厅",
        ),
        (
            "川渝茶叶品质提升与精深加工",
            "Tea quality improvement and deep processing",
            "研究名优绿茶、藏茶机械化加工与品质调控技术，开发茶叶精深加工产品3个以上。",
            "Mechanised processing and quality control of premium green tea and Tibetan-style dark "
            "tea, with at least three new processed tea products.",
            "四川省农业农村厅",
        ),
        (
            "丘陵山区智能农机装备研制",
            "Intelligent farm machinery for hilly and mountainous areas",
            "研制适用于川渝丘陵山区的小型智能耕作、植保与收获装备3种以上，作业效率提高30%。",
            "At least three small intelligent machines for tillage, crop protection and harvest on "
            "hilly land, raising work efficiency by 30%.",
            "重庆市农业农村委员会",
        ),
        (
            "榨菜等特色蔬菜产业化关键技术",
            "Industrialisation of zhacai and other specialty vegetables",
            "研究榨菜低盐腌制与副产物综合利用技术，形成标准化生产技术规程2项以上。",
            "Low-salt pickling of mustard tuber and use of its by-products, with at least two "
            "standard production codes of practice.",
            "重庆市农业农村委员会",
        ),
        (
            "稻油轮作机械化高产高效技术",
            "Mechanised high-yield rice–rapeseed rotation",
            "集成川渝稻油轮作机械化生产与养分高效管理技术，示范区亩均增产8%以上。",
            "Mechanised rice–rapeseed rotation with efficient nutrient management, raising yield "
            "per mu by at least 8% in demonstration areas.",
            "四川省农业农村厅",
        ),
        (
            "柠檬、花椒等特色经济作物精深加工",
            "Deep processing of lemons, Sichuan pepper and other specialty crops",
            "研发柠檬、花椒功能成分提取与精深加工技术，开发功能性食品与调味品新产品5个以上。",
            "Extraction of functional compounds from lemons and Sichuan pepper, with at least five "
            "new functional foods and seasonings.",
            "重庆市农业农村委员会",
        ),
        (
            "数字农业与农产品质量安全追溯",
            "Digital agriculture and traceability of farm-product quality and safety",
            "构建川渝农产品质量安全追溯大数据平台，实现重点品类全程可追溯，接入生产经营主体不少于1000家。",
            "A traceability data platform for farm products of both provinces covering the main "
            "product groups and at least 1,000 producers.",
            "四川省农业农村厅",
        ),
        (
            "川渝地方肉羊肉牛品种选育与高效养殖",
            "Breeding of local goats and beef cattle and efficient husbandry",
            "开展大足黑山羊、南江黄羊等地方品种选育与高效养殖技术集成，示范场出栏率提高15%。",
            "Selection of local breeds such as Dazu black goats and Nanjiang yellow goats and "
            "efficient husbandry, raising the off-take rate on demonstration farms by 15%.",
            "重庆市农业农村委员会",
        ),
        (
            "道地中药材良种繁育与生态种植",
            "Seed breeding and ecological cultivation of genuine medicinal herbs",
            "研究川渝道地中药材良种繁育与林下生态种植技术，建立良种繁育基地2个。",
            "Seed breeding and under-forest ecological cultivation of regional medicinal herbs, "
            "with two seed-breeding bases.",
            "四川省林业和草原局",
        ),
        (
            "长江上游稻渔综合种养与生态养殖",
            "Integrated rice–fish farming and ecological aquaculture in the upper Yangtze",
            "研究长江十年禁渔背景下的稻渔综合种养与池塘尾水治理技术，示范面积不少于2000亩。",
            "Rice–fish co-culture and pond effluent treatment under the ten-year Yangtze fishing "
            "ban, demonstrated on at least 2,000 mu.",
            "重庆市农业农村委员会",
        ),
        (
            "农业废弃物资源化与耕地质量提升",
            "Recycling farm waste and improving cropland quality",
            "研究秸秆、畜禽粪污资源化利用与酸化耕地改良技术，示范区耕地质量提升0.5个等级。",
            "Recycling of straw and livestock manure and remediation of acidified soils, raising "
            "cropland quality in demonstration areas by half a grade.",
            "四川省农业农村厅",
        ),
    ),
}

# Fictional units: key, name, English name, type, registered in, located in, the first 17
# characters of the USCC (registering authority and entity type — 12 public institution,
# 91 enterprise — then the 6-digit region and the 9-character organisation code), address.
# fmt: off
UNITS: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    ("bayu", "巴渝理工大学", "Bayu University of Technology",
     "university", "CQ", "CQ", "12500106450912736", "重庆市沙坪坝区大学城"),
    ("jialing", "嘉陵江医学研究院", "Jialing River Institute of Medical Sciences",
     "institute", "CQ", "CQ", "12500103506721948", "重庆市渝中区"),
    ("chaotianmen", "朝天门中心医院", "Chaotianmen Central Hospital",
     "hospital", "CQ", "CQ", "12500112709235416", "重庆市渝北区"),
    ("jinyun", "缙云生态环境研究院", "Jinyun Institute of Eco-environment",
     "institute", "CQ", "CQ", "12500109327845106", "重庆市北碚区"),
    ("liangjiang", "两江智造科技有限公司", "Liangjiang Smart Manufacturing Technology Co., Ltd.",
     "enterprise", "CQ", "CQ", "91500000MA5UXK3D1", "重庆市两江新区"),
    ("yudong", "渝东柑橘农业科技有限公司", "Yudong Citrus Agritech Co., Ltd.",
     "enterprise", "CQ", "CQ", "91500101MA60B2H7K", "重庆市万州区"),
    ("shudu", "蜀都大学", "Shudu University",
     "university", "SC", "SC", "12510000450716037", "四川省成都市武侯区"),
    ("tianfu_agri", "天府农业科学院", "Tianfu Academy of Agricultural Sciences",
     "institute", "SC", "SC", "12510000450717283", "四川省成都市锦江区"),
    ("minjiang", "岷江中医药研究院", "Minjiang Institute of Traditional Chinese Medicine",
     "institute", "SC", "SC", "12510104681234509", "四川省成都市锦江区"),
    ("kanghua", "锦江康华医院", "Jinjiang Kanghua Hospital",
     "hospital", "SC", "SC", "12510104451126738", "四川省成都市锦江区"),
    ("jincheng", "锦城智能科技有限公司", "Jincheng Intelligent Technology Co., Ltd.",
     "enterprise", "SC", "SC", "91510100MA6CJ8N2X", "四川省成都市高新区"),
    ("chuanxi", "川西生猪育种有限公司", "Chuanxi Pig Breeding Co., Ltd.",
     "enterprise", "SC", "SC", "91511800MA62TH3W6", "四川省雅安市"),
)

# One demo login per role and province: email, role, full name, province (for bureau staff the
# one they act for, for the others that of their unit), unit key ("" for bureau staff and the
# administrator), birth date, region of the ID number (GB 2260), ID sequence number (odd for
# men, even for women, GB 11643), professional title, degree.
PEOPLE: tuple[tuple[str, str, str, str, str, date, str, int, str, str], ...] = (
    ("applicant.cq@demo.test",  Role.APPLICANT,    "刘晓东", "CQ", "bayu",        date(1978, 3, 12),  "500106", 31, "教授", "博士"),
    ("applicant.sc@demo.test",  Role.APPLICANT,    "王雪梅", "SC", "shudu",       date(1982, 7, 25),  "510107", 42, "教授", "博士"),
    ("unit_admin.cq@demo.test", Role.UNIT_ADMIN,   "张丽",   "CQ", "bayu",        date(1985, 11, 2),  "500103", 26, "副研究员", "硕士"),
    ("unit_admin.sc@demo.test", Role.UNIT_ADMIN,   "李建华", "SC", "shudu",       date(1979, 9, 18),  "510104", 13, "高级工程师", "硕士"),
    ("staff.cq@demo.test",      Role.BUREAU_STAFF, "黄敏",   "CQ", "",            date(1988, 4, 6),   "500108", 48, "", "硕士"),
    ("staff.sc@demo.test",      Role.BUREAU_STAFF, "杨帆",   "SC", "",            date(1986, 12, 20), "510105", 57, "", "硕士"),
    ("reviewer.cq@demo.test",   Role.REVIEWER,     "周国平", "CQ", "jialing",     date(1968, 5, 30),  "500103", 19, "研究员", "博士"),
    ("reviewer.sc@demo.test",   Role.REVIEWER,     "吴秀英", "SC", "tianfu_agri", date(1971, 2, 14),  "510104", 64, "研究员", "博士"),
    ("admin@demo.test",         Role.ADMIN,        "赵磊",   "",   "",            date(1990, 8, 8),   "510108", 35, "", "硕士"),
)
# fmt: on

"""The demo's expert pool, as plain values: units that lend experts but do not apply, and
the experts of both provinces across the four fields. ``reviews/demo.py`` writes them through
the pool import; every unit and person is fictional."""

# Units that only lend experts, in the format of ``applications.demo_data.UNITS``.
# fmt: off
EXPERT_UNITS: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    ("jinyunshan", "缙云山师范大学", "Jinyunshan Normal University",
     "university", "CQ", "CQ", "12500109450936217", "重庆市北碚区"),
    ("nanshan", "南山科学技术研究院", "Nanshan Academy of Science and Technology",
     "institute", "CQ", "CQ", "12500108506734129", "重庆市南岸区"),
    ("baidi", "白帝城农林科学研究所", "Baidicheng Institute of Agriculture and Forestry",
     "institute", "CQ", "CQ", "12500238709253418", "重庆市奉节县"),
    ("qingcheng", "青城科技大学", "Qingcheng University of Science and Technology",
     "university", "SC", "SC", "12510000450728364", "四川省成都市都江堰市"),
    ("jianmen", "剑门关生态研究院", "Jianmenguan Institute of Ecology",
     "institute", "SC", "SC", "12510800681245307", "四川省广元市"),
    ("wenshu", "文殊院临床医学研究所", "Wenshuyuan Institute of Clinical Medicine",
     "institute", "SC", "SC", "12510105451137846", "四川省成都市青羊区"),
)
# fmt: on

# Per province, the units its experts come from (expert-only units first; a few experts of
# applying units too, so that the solver has real conflicts to avoid).
EXPERT_UNIT_KEYS: dict[str, tuple[str, ...]] = {
    "CQ": ("jinyunshan", "nanshan", "baidi", "bayu", "jialing", "yuxi"),
    "SC": ("qingcheng", "jianmen", "wenshu", "shudu", "tianfu_agri", "rongcheng"),
}

SURNAMES = "陈林黄郑何罗梁宋谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = (
    "建国",
    "志强",
    "海燕",
    "红梅",
    "立新",
    "晓峰",
    "文静",
    "永刚",
    "春华",
    "德明",
    "秀兰",
    "国庆",
    "玉珍",
    "振华",
    "丽娟",
    "宏伟",
    "桂芳",
    "子健",
    "淑芬",
    "明辉",
    "雪峰",
    "慧敏",
    "俊杰",
    "晓燕",
    "长江",
    "思远",
    "嘉怡",
    "卫东",
    "若兰",
    "博文",
)
TITLES = ("教授", "研究员", "正高级工程师", "主任医师", "教授", "研究员")

# Experts per province and field; their maximum applications in one call.
PER_FIELD = 6
MAX_LOAD = 6

# The two demo logins that are experts: their province's pool, fields and load. Their
# assignments are left unscored, so that whoever signs in as them has reviews to write.
DEMO_EXPERTS: dict[str, tuple[str, ...]] = {
    "reviewer.cq@demo.test": ("health", "eco"),
    "reviewer.sc@demo.test": ("agri", "eco"),
}
DEMO_EXPERT_LOAD = 3

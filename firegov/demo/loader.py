"""Load the demo city (枣庄市) into the database: regions, agencies, accounts, units and more.

Everything is generated from one seed: the pure functions :func:`build_regions`,
:func:`generate_units` and :func:`generate_communities` turn ``zaozhuang.json``, a
``random.Random`` and a seeded ``Faker("zh_CN")`` into plain dicts; :func:`load_demo` writes them in
one transaction with ``admin`` as the actor of every history record.

Loading is idempotent: when the city (region path 3704) exists, nothing is changed.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import timedelta
from functools import lru_cache

from auditlog.context import disable_auditlog, set_actor
from django.db import transaction
from django.utils import timezone
from faker import Faker

from firegov.campaigns.models import Campaign, ProgressReport, Task
from firegov.core.models import LEVEL_DIGITS, Agency, AgencyKind, Deadline, Region, RegionLevel, Role, User
from firegov.demo import DATA_FILE, DEMO_PASSWORD
from firegov.demo.campaigns import load_campaigns
from firegov.demo.history import load_history
from firegov.demo.monitoring import load_monitoring
from firegov.hazards.models import Hazard, MajorHazardCase, PublicReport
from firegov.inspections.models import Draw, Inspection
from firegov.iot.models import Alarm, Device
from firegov.kernels.uscc import make as make_uscc
from firegov.registry.models import Building, Community, FireLane, MicroFireStation, Unit

CITY_PATH = "3704"

# --------------------------------------------------------------------------- word pools (data)

CN_DIGITS = "零一二三四五六七八九"
BRANDS = [
    "鑫源", "华联", "金达", "恒泰", "宏达", "瑞丰", "福源", "永盛", "德隆", "兴旺", "嘉和", "万通", "新世纪",
    "盛世", "金鼎", "泰和", "广源", "利民", "益民", "聚福", "和顺", "天和", "金地", "凯信", "鲁南", "汇通",
    "富华", "昌盛", "宏图", "宝龙", "金源", "润泽", "众诚", "佳美", "祥和", "顺达", "东方", "金桥", "华誉",
    "伟业", "鼎盛", "三友", "同心", "信达", "兴隆", "隆昌", "红星", "鸿运", "安泰", "九州", "金海", "天成",
    "豪德", "百乐", "春华", "海纳", "德润", "振华", "荣华", "锦程", "宏远", "乐家", "好运来", "万家福",
    "惠民", "丰泽", "中兴", "君安", "旭日", "长城", "银河", "福满园", "新概念", "优品", "宜佳", "怡园",
]
LOCAL_SURNAMES = "王李张刘陈杨孙赵周吴徐褚邵马朱胡郭高林何宋韩田颜孔种魏"
VILLAGE_PREFIXES = ["前", "后", "东", "西", "南", "北", "大", "小", "", "", ""]
VILLAGE_SUFFIXES = ["庄", "村", "楼", "集", "屯", "家村", "营", "洼", "湖", "店", "桥", "坡", "峪", "岭"]
URBAN_COMMUNITY_WORDS = [
    "泰山", "黄河", "永福", "和谐", "光明", "新华", "东苑", "西苑", "南湖", "北园", "兴华", "富民", "幸福",
    "锦绣", "阳光", "文化", "建设", "青年", "民生", "安居", "春晖", "丽景", "翠湖", "金桥", "利民", "团结",
    "友谊", "振兴", "红旗", "胜利", "东湖", "西湖", "书院", "府前", "滨河", "新村",
]
HOUSING_SUFFIXES = ["花园", "家园", "小区", "名苑", "华府", "公馆", "御景城", "雅苑", "世家", "翠庭", "新城", "佳苑"]
OLD_HOUSING_SUFFIXES = ["新村", "小区", "宿舍区", "家属院"]
TOWN_ROADS = ["{stem}大街", "府前路", "{stem}路", "人民路", "工业路", "商业街", "中心街"]
GOODS = ["五金", "建材", "日用百货", "烟酒", "服装", "家电", "粮油", "电动车", "农资", "家具", "水果", "灯具"]
FACTORY_LINES = [
    "机械制造", "纺织", "食品", "建材", "塑料制品", "包装材料", "电子科技", "矿山机械", "木业", "新型墙材", "机床",
    "汽车配件", "锂电科技", "纸业",
]
LABOUR_LINES = ["服装", "制鞋", "玩具", "纺织", "手套", "箱包", "工艺品", "家纺"]

# Place types of the demo and their weights (percent of units), roughly the mix of a city registry.
PLACE_MIX: list[tuple[str, float]] = [
    ("small_place", 22), ("restaurant", 9), ("mall", 8), ("factory", 8), ("office", 7), ("residential_highrise", 6),
    ("warehouse", 5), ("hotel", 4), ("school", 3.2), ("kindergarten", 3), ("entertainment", 3),
    ("self_built_commercial", 2.5), ("fuel_station", 1.2), ("bazaar", 1.5), ("labor_intensive", 1.5),
    ("three_in_one", 1.8), ("hospital", 1.2), ("elderly_care", 1.2), ("rental_housing", 1.2),
    ("ebike_charging", 1.2), ("multi_use", 1.2), ("construction_site", 1.0), ("government", 0.6),
    ("commercial_complex", 0.5), ("other", 0.5), ("hazmat_production", 0.4), ("hazmat_storage", 0.4),
    ("hazmat_retail", 0.3), ("religious", 0.4), ("scenic_area", 0.4), ("hazmat_filling", 0.3),
    ("grain_depot", 0.2), ("welfare_home", 0.2), ("hazmat_transport", 0.2), ("library", 0.2), ("museum", 0.2),
    ("heritage", 0.2), ("sports_venue", 0.2), ("transport_hub", 0.2), ("broadcast_telecom", 0.2), ("power", 0.2),
    ("exhibition", 0.1), ("archive", 0.1), ("auditorium", 0.1), ("research", 0.1),
]
SMALL_PLACE_MIX: list[tuple[str, float]] = [
    ("shop", 34), ("restaurant", 24), ("beauty_bath", 10), ("workshop", 9), ("hotel", 6), ("internet_cafe", 5),
    ("hospital", 5), ("entertainment", 3), ("kindergarten", 3), ("school", 1),
]

# Name patterns per place type: (pattern, USCC authority+type, size hint). Placeholders: {county} 薛城区,
# {cshort} 薛城, {street} 临城街道, {stem} 临城, {brand}, {brand2}, {road}, {surname}, {village}, {goods},
# {line}, {nth} (Chinese ordinal number). USCC kinds: 91 company, 92 individual business, 12 public
# institution, 11 state organ, 52 private non-enterprise unit, 71 place of religious activity.
NAMES: dict[str, list[tuple[str, str, str]]] = {
    "hotel": [
        ("{county}{brand}大酒店", "91", "big"), ("{cshort}{brand}宾馆", "91", ""), ("枣庄{brand}国际饭店", "91", "big"),
        ("{brand}商务酒店（{stem}店）", "91", ""), ("{cshort}{brand}快捷酒店", "91", "small"),
        ("{county}{stem}大酒店", "91", "big"), ("{brand}精品酒店", "91", "small"), ("{cshort}{brand}假日酒店", "91", ""),
    ],
    "mall": [
        ("{county}{street}{brand}超市", "91", ""), ("{county}{brand}购物中心", "91", "big"),
        ("{cshort}{brand}家居建材城", "91", "big"), ("{brand}百货大楼（{cshort}店）", "91", "big"),
        ("{county}{brand}服装商城", "91", "big"), ("{cshort}{brand}五金机电市场", "91", ""),
        ("{street}{brand}{goods}商店", "92", "small"), ("{cshort}{brand}家电商场", "91", ""),
        ("{brand}生活超市（{stem}店）", "91", "small"),
    ],
    "bazaar": [
        ("{county}{stem}农贸市场", "91", ""), ("{street}集贸市场", "91", ""), ("{cshort}{brand}蔬菜批发市场", "91", "big"),
        ("{cshort}{road}便民市场", "91", "small"), ("枣庄{brand}农副产品批发市场", "91", "big"),
    ],
    "restaurant": [
        ("{cshort}{brand}大酒楼", "91", "big"), ("{brand}辣子鸡（{stem}店）", "92", "small"),
        ("{surname}记羊肉汤馆", "92", "small"), ("{county}{brand}餐饮有限公司", "91", ""),
        ("{brand}火锅城", "91", ""), ("{cshort}{brand}饭庄", "92", ""), ("{brand}菜煎饼（{road}店）", "92", "small"),
        ("{brand}职工食堂", "91", "canteen"), ("{cshort}{brand}海鲜酒楼", "91", "big"), ("{brand}烧烤城", "92", ""),
    ],
    "entertainment": [
        ("{brand}量贩式KTV", "91", ""), ("{cshort}{brand}国际影城", "91", "big"), ("{brand}网咖（{stem}店）", "91", ""),
        ("{cshort}{brand}洗浴中心", "91", "big"), ("{brand}电玩城", "91", ""), ("{brand}足道养生馆", "92", "small"),
        ("{cshort}{brand}KTV", "91", ""), ("{brand}台球俱乐部", "92", "small"), ("{brand}剧本杀体验馆", "92", "small"),
    ],
    "small_place:shop": [
        ("{county}{street}{brand}超市", "92", ""), ("{street}{brand}便利店", "92", ""), ("{brand}{goods}店", "92", ""),
        ("{stem}{surname}记{goods}门市部", "92", ""), ("{road}{brand}烟酒店", "92", ""),
    ],
    "small_place:restaurant": [
        ("{surname}家菜煎饼", "92", ""), ("{brand}小吃部", "92", ""), ("{stem}{surname}记水饺馆", "92", ""),
        ("{brand}面馆（{road}店）", "92", ""), ("{surname}氏羊肉汤", "92", ""), ("{brand}快餐店", "92", ""),
    ],
    "small_place:hotel": [("{brand}旅馆", "92", ""), ("{stem}{brand}家庭旅馆", "92", ""), ("{brand}招待所", "92", "")],
    "small_place:internet_cafe": [("{brand}网吧", "92", ""), ("{stem}{brand}网咖", "92", "")],
    "small_place:beauty_bath": [
        ("{brand}美容美发店", "92", ""), ("{stem}{brand}浴池", "92", ""), ("{brand}美甲店", "92", ""),
        ("{surname}氏理发店", "92", ""),
    ],
    "small_place:entertainment": [("{brand}歌舞厅", "92", ""), ("{brand}小型KTV", "92", "")],
    "small_place:workshop": [
        ("{brand}五金加工部", "92", ""), ("{stem}{brand}木器加工厂", "92", ""), ("{brand}服装加工点", "92", ""),
        ("{surname}记汽修店", "92", ""),
    ],
    "small_place:hospital": [
        ("{surname}氏诊所", "92", ""), ("{stem}{village}卫生室", "12", ""), ("{brand}口腔诊所", "92", ""),
        ("{county}{surname}某中医诊所", "92", ""),
    ],
    "small_place:kindergarten": [("{brand}托管中心", "52", ""), ("{stem}{brand}托育园", "52", "")],
    "small_place:school": [("{brand}培训学校", "52", ""), ("{cshort}{brand}艺术培训中心", "52", "")],
    "office": [
        ("枣庄{brand}实业有限公司", "91", ""), ("{cshort}{brand}大厦", "91", "big"), ("{county}{brand}商务楼", "91", ""),
        ("中国工商银行枣庄{cshort}支行", "91", ""), ("中国农业银行枣庄{cshort}{stem}支行", "91", ""),
        ("枣庄{brand}房地产开发有限公司", "91", ""), ("{county}{brand}科技有限公司", "91", ""),
        ("{cshort}{brand}金融中心", "91", "big"), ("山东{brand}律师事务所{cshort}分所", "91", "small"),
    ],
    "factory": [
        ("{county}{brand}{line}有限公司", "91", ""), ("枣庄{brand}{line}有限公司", "91", "big"),
        ("山东{brand}{line}股份有限公司", "91", "big"), ("{cshort}{stem}{brand}{line}厂", "91", "small"),
    ],
    "labor_intensive": [
        ("枣庄{brand}{line}有限公司", "91", ""), ("{county}{brand}{line}厂", "91", ""),
        ("山东{brand}{line}集团有限公司", "91", "big"),
    ],
    "warehouse": [
        ("枣庄矿业集团{stem}物资仓库", "91", "big"), ("{brand}物流有限公司{stem}仓储中心", "91", ""),
        ("{county}{brand}仓储有限公司", "91", ""), ("{cshort}{brand}冷链物流园", "91", "big"),
        ("{brand}快递{stem}分拨中心", "91", ""),
    ],
    "residential_highrise": [
        ("{brand}花园{n}号楼", "91", ""), ("{cshort}{brand}华府{n}号楼", "91", ""), ("{brand}·{stem}公馆{n}号楼", "91", ""),
        ("{brand}御景城{n}号楼", "91", ""),
    ],
    "school": [
        ("枣庄市第{nth}中学", "12", "big"), ("{county}第{nth}中学", "12", "big"), ("{county}{stem}中心小学", "12", ""),
        ("{county}实验小学", "12", ""), ("{county}{stem}中学", "12", ""), ("{county}实验中学", "12", "big"),
        ("枣庄{brand}职业中等专业学校", "12", "big"), ("{county}{stem}{village}小学", "12", "small"),
        ("{cshort}{brand}外国语学校", "52", "big"), ("{county}第{nth}实验小学", "12", ""),
    ],
    "kindergarten": [
        ("{county}{street}中心幼儿园", "12", ""), ("{county}实验幼儿园", "12", ""), ("{brand}幼儿园", "52", ""),
        ("{county}第{nth}幼儿园", "12", ""), ("{cshort}{brand}双语幼儿园", "52", ""),
        ("{county}机关幼儿园", "12", ""), ("{stem}{village}幼儿园", "12", "small"),
    ],
    "hospital": [
        ("{county}人民医院", "12", "big"), ("{county}中医医院", "12", "big"), ("{county}妇幼保健院", "12", ""),
        ("{county}{street}卫生院", "12", ""), ("枣庄{brand}医院", "52", ""), ("{cshort}{brand}骨科医院", "52", ""),
        ("{county}第{nth}人民医院", "12", "big"), ("枣庄{brand}眼科医院", "91", "small"),
        ("{cshort}{stem}社区卫生服务中心", "12", "small"),
    ],
    "elderly_care": [
        ("{county}{street}敬老院", "12", ""), ("{brand}养老院", "52", ""), ("{cshort}{brand}老年公寓", "52", ""),
        ("{county}{stem}颐养中心", "52", "big"), ("{brand}康养中心（{stem}）", "91", ""),
    ],
    "welfare_home": [
        ("{county}社会福利院", "12", ""), ("{county}儿童福利院", "12", ""), ("枣庄市社会福利院", "12", "big"),
    ],
    "fuel_station": [
        ("中国石化{cshort}{stem}加油站", "91", ""), ("中国石油{cshort}{road}加油站", "91", ""),
        ("{cshort}{brand}加油站", "91", ""), ("{cshort}{brand}加气站", "91", ""), ("{stem}{brand}液化石油气换瓶站", "91", ""),
    ],
    "hazmat_production": [
        ("枣庄{brand}化工有限公司", "91", ""), ("山东{brand}化学有限公司", "91", "big"),
        ("{county}{brand}新材料科技有限公司", "91", ""), ("枣庄{brand}涂料有限公司", "91", ""),
    ],
    "hazmat_filling": [
        ("{county}{brand}液化气充装站", "91", ""), ("{brand}燃气有限公司{stem}调压站", "91", ""),
        ("枣庄{brand}工业气体充装站", "91", ""),
    ],
    "hazmat_storage": [
        ("枣庄{brand}石化仓储有限公司", "91", ""), ("{cshort}{brand}油库", "91", ""),
        ("{brand}危险化学品仓库（{stem}）", "91", ""),
    ],
    "hazmat_retail": [("{street}{brand}化工商店", "92", ""), ("{cshort}{brand}化工产品经营部", "92", "")],
    "hazmat_transport": [("枣庄{brand}危险货物运输有限公司", "91", ""), ("{county}{brand}危化品物流有限公司", "91", "")],
    "commercial_complex": [
        ("{cshort}万达广场", "91", "big"), ("{cshort}吾悦广场", "91", "big"), ("{cshort}银座购物广场", "91", ""),
        ("{brand}城市广场", "91", ""), ("{cshort}贵诚购物中心", "91", ""), ("{brand}商业综合体（{stem}）", "91", ""),
    ],
    "three_in_one": [
        ("{street}{brand}{goods}门市部", "92", ""), ("{stem}{surname}记{goods}加工店", "92", ""),
        ("{road}{brand}{goods}批发部", "92", ""),
    ],
    "self_built_commercial": [
        ("{street}{brand}{goods}店", "92", ""), ("{stem}{village}{surname}家商铺", "92", ""),
        ("{road}{brand}农家乐", "92", ""), ("{brand}{goods}经营部（{stem}）", "92", ""),
    ],
    "rental_housing": [("{street}{village}出租屋片区", "", ""), ("{stem}{surname}家出租公寓", "92", "")],
    "ebike_charging": [("{village}电动自行车集中充电车棚", "", ""), ("{street}{road}电动自行车充电站", "91", "")],
    "multi_use": [("{street}{brand}商贸城", "91", ""), ("{road}{brand}综合门市", "92", ""), ("{cshort}{brand}文创园", "91", "")],
    "construction_site": [
        ("{brand}花园二期项目施工现场", "91", ""), ("{cshort}{brand}商业中心项目工地", "91", ""),
        ("{county}{stem}安置房项目施工现场", "91", ""), ("枣庄{brand}产业园建设项目", "91", "big"),
    ],
    "government": [
        ("{county}人民政府", "11", "county_gov"), ("{county}人民法院", "11", "court"),
        ("{county}人民检察院", "11", "procuratorate"), ("{county}{street}便民服务中心", "11", "township"),
        ("{county}自然资源局", "11", "other"), ("{county}税务局", "11", "other"),
    ],
    "religious": [("{cshort}{stem}清真寺", "71", ""), ("{cshort}{stem}基督教堂", "71", ""), ("{stem}{brand}寺", "71", "")],
    "scenic_area": [("{cshort}{brand}生态园", "91", ""), ("{cshort}{stem}{brand}农业观光园", "91", "")],
    "library": [("{county}图书馆", "12", "")],
    "museum": [("{county}博物馆", "12", "")],
    "exhibition": [("{county}规划展览馆", "12", "")],
    "archive": [("{county}档案馆", "12", "")],
    "heritage": [("{stem}{surname}家大院", "", ""), ("{stem}{surname}氏宗祠", "", ""), ("{stem}{brand}古戏楼", "", "")],
    "sports_venue": [("{county}体育中心体育馆", "12", "gymnasium"), ("{county}全民健身中心", "12", "gymnasium"),
                     ("{county}体育场", "12", "stadium")],
    "auditorium": [("{county}人民会堂", "12", ""), ("{county}大礼堂", "12", "")],
    "transport_hub": [("{cshort}长途汽车站", "91", ""), ("{cshort}{stem}客运站", "91", "small")],
    "broadcast_telecom": [
        ("{county}融媒体中心", "12", ""), ("中国移动枣庄{cshort}分公司通信枢纽楼", "91", ""),
        ("中国邮政集团枣庄{cshort}分公司", "91", ""),
    ],
    "power": [("国网枣庄供电公司{cshort}供电中心", "91", ""), ("{county}{brand}热电有限公司", "91", ""),
              ("{cshort}{stem}110千伏变电站", "91", "")],
    "research": [("枣庄{brand}研究院", "12", ""), ("{cshort}{brand}农业科学研究所", "12", "")],
    "grain_depot": [("{county}{stem}粮库", "91", ""), ("中储粮枣庄直属库{cshort}分库", "91", "reserve")],
    "other": [("{street}{brand}停车场", "91", ""), ("{cshort}{brand}驾校", "91", ""), ("{stem}{brand}洗车行", "92", "")],
}

# Supervising sector by place type (the department of that sector supervises the unit).
SECTOR_BY_TYPE = {
    "school": "education", "kindergarten": "education",
    "hospital": "health",
    "hotel": "culture_tourism", "scenic_area": "culture_tourism", "entertainment": "culture_tourism",
    "library": "culture_tourism", "museum": "culture_tourism",
    "elderly_care": "civil_affairs", "welfare_home": "civil_affairs",
    "religious": "religion",
    "mall": "commerce", "bazaar": "commerce", "commercial_complex": "commerce",
    "residential_highrise": "housing", "construction_site": "housing",
    "hazmat_production": "emergency", "hazmat_filling": "emergency", "hazmat_storage": "emergency",
    "hazmat_retail": "emergency", "hazmat_transport": "emergency", "fuel_station": "emergency",
    "restaurant": "market_regulation", "three_in_one": "market_regulation",
    "self_built_commercial": "market_regulation", "labor_intensive": "market_regulation",
    "factory": "market_regulation", "multi_use": "market_regulation",
}
SMALL_PLACE_SECTOR = {
    "school": "education", "kindergarten": "education", "hospital": "health", "hotel": "culture_tourism",
    "internet_cafe": "culture_tourism", "entertainment": "culture_tourism",
}

MICRO_STATION_EQUIPMENT = (
    "手提式灭火器 20 具、推车式灭火器 2 具、消防水带 6 盘、水枪 3 支、正压式空气呼吸器 2 具、"
    "消防头盔和战斗服 6 套、对讲机 4 部、破拆工具 1 套"
)


# --------------------------------------------------------------------------- small helpers


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 15 -> 十五, 23 -> 二十三 (1..99)."""
    if not 1 <= n <= 99:
        raise ValueError(n)
    tens, ones = divmod(n, 10)
    text = ("" if tens == 0 else ("十" if tens == 1 else CN_DIGITS[tens] + "十"))
    return text + (CN_DIGITS[ones] if ones else "")


def street_stem(name: str) -> str:
    """临城街道 -> 临城, 涧头集镇 -> 涧头集."""
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights, k=1)[0]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def mobile(fake: Faker) -> str:
    """An 11-digit mainland mobile number."""
    number = fake.phone_number()
    return number if len(number) == 11 and number.isdigit() else "139" + fake.numerify("########")


def gb11714_check(body8: str) -> str:
    """Check character of an organisation code (GB 11714): weights 3 7 9 10 5 8 4 2, mod 11."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, weights, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


ORG_LETTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def org_code(rng: random.Random, new_style: bool) -> str:
    """9-character organisation identifier; new registrations since 2015 start with MA."""
    if new_style:
        body = "MA" + "".join(rng.choice(ORG_LETTERS) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    return body + gb11714_check(body)


@lru_cache(maxsize=1)
def load_data() -> dict:
    with DATA_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)


# --------------------------------------------------------------------------- regions (pure)


def _village_name(rng: random.Random, used: set[str]) -> str:
    for _ in range(50):
        suffix = rng.choice(VILLAGE_SUFFIXES)
        name = rng.choice(VILLAGE_PREFIXES) + rng.choice(LOCAL_SURNAMES) + suffix
        name = name if name.endswith("村") else name + "村"
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("no village name left")


def _urban_community_name(rng: random.Random, stem: str, used: set[str]) -> str:
    candidates = [stem] + URBAN_COMMUNITY_WORDS
    if stem not in used and not used:
        used.add(stem)
        return stem + "社区"
    for _ in range(50):
        word = rng.choice(candidates)
        if word not in used:
            used.add(word)
            return word + "社区"
    raise RuntimeError("no community name left")


def _jitter(rng: random.Random, value: float, spread: float) -> float:
    return round(value + rng.uniform(-spread, spread), 6)


def build_regions(rng: random.Random, data: dict | None = None) -> dict:
    """The region tree as plain data: {"province", "city", "counties": [...]} where each county has
    "streets", each street "communities" and each community "grids" (dicts with name, level, path,
    code, official_code, lat, lng)."""
    data = data or load_data()
    prov, city = data["province"], data["city"]
    tree = {
        "province": _node(prov["name"], RegionLevel.PROVINCE, prov["path"], prov["code"], True, prov["lat"], prov["lng"]),
        "city": _node(city["name"], RegionLevel.CITY, city["path"], city["code"], True, city["lat"], city["lng"]),
        "counties": [],
    }
    for county in data["counties"]:
        cnode = _node(county["name"], RegionLevel.COUNTY, county["path"], county["code"], county["official_code"],
                      county["lat"], county["lng"])
        cnode.update(short=county["short"], roads=county["roads"], population=county["population_10k"],
                     landmarks=county.get("landmarks", {}), brigade=county["brigade"], police=county["police"],
                     streets=[])
        for si, street in enumerate(county["streets"], start=1):
            spath = f"{county['path']}{si:03d}"
            snode = _node(street["name"], RegionLevel.STREET, spath, spath, False, street["lat"], street["lng"])
            is_town = street["name"].endswith("镇")
            snode.update(stem=street_stem(street["name"]), town=is_town, communities=[])
            used: set[str] = set()
            for ci in range(1, rng.randint(2, 4) + 1):
                if is_town and ci > 1:
                    cname = _village_name(rng, used)
                elif is_town:
                    cname = snode["stem"] + "社区"
                    used.add(cname)
                else:
                    cname = _urban_community_name(rng, snode["stem"], used)
                cpath = f"{spath}{ci:03d}"
                comm = _node(cname, RegionLevel.COMMUNITY, cpath, cpath, False,
                             _jitter(rng, street["lat"], 0.01), _jitter(rng, street["lng"], 0.01))
                comm["grids"] = [
                    _node(f"第{cn_number(gi)}网格", RegionLevel.GRID, f"{cpath}{gi:03d}", f"{cpath}{gi:03d}", False,
                          _jitter(rng, comm["lat"], 0.003), _jitter(rng, comm["lng"], 0.003))
                    for gi in range(1, rng.randint(1, 3) + 1)
                ]
                snode["communities"].append(comm)
            cnode["streets"].append(snode)
        tree["counties"].append(cnode)
    return tree


def _node(name, level, path, code, official, lat, lng) -> dict:
    return {"name": name, "level": str(level), "path": path, "code": code, "official_code": official,
            "lat": lat, "lng": lng}


def iter_regions(tree: dict):
    """Every region node of the tree, parents before children."""
    yield tree["province"]
    yield tree["city"]
    for county in tree["counties"]:
        yield county
        for street in county["streets"]:
            yield street
            for comm in street["communities"]:
                yield comm
                yield from comm["grids"]


# --------------------------------------------------------------------------- units (pure)


class _NameBook:
    """Keeps generated names unique across the whole demo."""

    def __init__(self):
        self.used: set[str] = set()

    def take(self, make, fallback_suffix: str) -> tuple[str, tuple]:
        for _ in range(30):
            name, meta = make()
            if name not in self.used:
                self.used.add(name)
                return name, meta
        name = f"{name}（{fallback_suffix}）"
        n = 2
        while name in self.used:
            name = f"{name[:-1]}{n}）"
            n += 1
        self.used.add(name)
        return name, meta


def _fill(pattern: str, rng: random.Random, fake: Faker, county: dict, street: dict, village: str) -> str:
    brand = rng.choice(BRANDS)
    words = {
        "county": county["name"], "cshort": county["short"], "street": street["name"], "stem": street["stem"],
        "brand": brand, "brand2": rng.choice(BRANDS), "road": rng.choice(county["roads"]),
        "surname": fake.last_name(), "village": village, "goods": rng.choice(GOODS),
        "line": rng.choice(FACTORY_LINES), "nth": cn_number(rng.randint(1, 36)), "n": rng.randint(1, 28),
    }
    return pattern.format(**words)


def _name_for(rng, fake, place_type, subtype, county, street, village, book: _NameBook):
    key = f"small_place:{subtype}" if place_type == "small_place" else place_type
    patterns = list(NAMES[key])
    landmarks = county["landmarks"].get(place_type, [])
    if place_type == "labor_intensive":
        patterns = [(p.replace("{line}", "{labour}"), k, s) for p, k, s in patterns]

    def make():
        if landmarks and chance(rng, 0.5):
            return rng.choice(landmarks), ("91" if place_type in ("scenic_area", "transport_hub") else "12", "big")
        pattern, kind, size = rng.choice(patterns)
        if "{labour}" in pattern:
            pattern = pattern.replace("{labour}", rng.choice(LABOUR_LINES))
        return _fill(pattern, rng, fake, county, street, village), (kind, size)

    return book.take(make, street["stem"])


def _showcase_name(rng, fake, county, street, book: _NameBook):
    def make():
        return _fill("{county}{brand}大酒店", rng, fake, county, street, ""), ("91", "big")

    return book.take(make, street["stem"])


def _height(rng: random.Random, floors: int, storey: tuple[float, float] = (3.3, 4.2)) -> float:
    return round(floors * rng.uniform(*storey), 1)


def _area(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 1)


def unit_attributes(rng: random.Random, place_type: str, size: str, subtype: str | None = None) -> dict:
    """Attributes of the kernel's table, sized so that the classification mix is plausible."""
    a: dict = {}
    big, small = size == "big", size == "small"
    year = rng.randint(1985, 2024) if not big else rng.randint(1995, 2022)
    if place_type == "small_place":
        a["small_place_subtype"] = subtype
        small_area = 190 if subtype in ("entertainment", "internet_cafe", "beauty_bath") else 280
        a["building_area_m2"] = _area(rng, 20, small_area)
        a["floors_above"] = rng.choice([1, 1, 1, 2, 2, 3])
        a["employees"] = rng.randint(1, 12)
        if subtype == "hotel":
            a["guest_rooms"] = rng.randint(4, 30)
            a["guest_beds"] = a["guest_rooms"] * rng.choice([1, 2])
        elif subtype == "hospital":
            a["inpatient_beds"] = rng.choice([0, 0, 0, 2, 5, 8])
        elif subtype == "kindergarten":
            a["child_boarding_beds"] = 0
        elif subtype == "school":
            a["student_boarding_beds"] = 0
        elif subtype == "restaurant":
            a["seats"] = rng.randint(8, 60)
        elif subtype == "workshop":
            a["hazard_class"] = rng.choice(["丙", "丁", "戊"])
    elif place_type == "hotel":
        rooms = rng.randint(50, 260) if (big and chance(rng, 0.7)) or chance(rng, 0.15) else rng.randint(12, 49)
        floors = rng.randint(2, 5) if rooms < 50 else rng.randint(5, 22)
        a.update(guest_rooms=rooms, guest_beds=int(rooms * rng.uniform(1.3, 1.9)), floors_above=floors,
                 building_height_m=_height(rng, floors, (3.0, 3.6) if rooms < 50 else (3.3, 4.2)), building_area_m2=_area(rng, rooms * 35, rooms * 70),
                 employees=max(4, rooms // 3))
    elif place_type in ("mall", "bazaar"):
        large = chance(rng, 0.3 if big else (0.03 if small else 0.1))
        a["building_area_m2"] = _area(rng, 1000, 14000) if large else _area(rng, 80, 950)
        a["sells_combustible_goods"] = chance(rng, 0.85)
        a["floors_above"] = rng.randint(2, 5) if large else rng.randint(1, 2)
        a["building_height_m"] = _height(rng, a["floors_above"], (4.0, 4.6))
        if large and chance(rng, 0.3):
            a.update(underground_business=True, floors_below=1, underground_area_m2=_area(rng, 300, 4000))
        a["employees"] = int(a["building_area_m2"] // rng.randint(40, 120)) + 2
    elif place_type == "commercial_complex":
        area = _area(rng, 50000, 180000) if big or chance(rng, 0.4) else _area(rng, 12000, 49000)
        floors = rng.randint(4, 8)
        a.update(building_area_m2=area, sells_combustible_goods=True, distinct_functions=rng.randint(3, 7),
                 floors_above=floors, floors_below=rng.randint(1, 2), underground_business=True,
                 underground_area_m2=_area(rng, 3000, 20000), building_height_m=_height(rng, floors, (4.5, 5.5)),
                 employees=rng.randint(300, 2500))
    elif place_type == "restaurant":
        if size == "canteen":
            a["open_to_public"] = False
        area = _area(rng, 300, 2500) if big else _area(rng, 40, 260) if small else _area(rng, 80, 900)
        floors = rng.randint(1, 3)
        a.update(building_area_m2=area, seats=int(area / rng.uniform(1.5, 3)), floors_above=floors,
                 building_height_m=_height(rng, floors), employees=max(2, int(area // 40)))
    elif place_type == "entertainment":
        area = (_area(rng, 400, 2600) if big else _area(rng, 60, 180) if small
                else (_area(rng, 200, 1500) if chance(rng, 0.25) else _area(rng, 60, 199)))
        a.update(building_area_m2=area, floors_above=rng.randint(1, 4), employees=max(3, int(area // 60)))
        if chance(rng, 0.12):
            a.update(underground_business=True, floors_below=1, underground_area_m2=_area(rng, 100, 900))
    elif place_type == "office":
        floors = rng.randint(8, 30) if (big and chance(rng, 0.45)) or chance(rng, 0.03) else rng.randint(2, 6)
        a.update(floors_above=floors, building_height_m=_height(rng, floors, (3.4, 3.9)),
                 building_area_m2=_area(rng, 300, 3000) * (floors if floors > 7 else 1),
                 employees=rng.randint(10, 400))
    elif place_type in ("factory", "labor_intensive"):
        workshop = _area(rng, 600, 4000)
        a.update(building_area_m2=round(workshop * rng.uniform(1.2, 3), 1), largest_workshop_area_m2=workshop,
                 hazard_class=weighted(rng, [("丙", 45), ("丁", 30), ("戊", 20), ("乙", 5)]),
                 floors_above=rng.randint(1, 3))
        if place_type == "labor_intensive":
            staff = rng.randint(100, 650) if (big or chance(rng, 0.2)) else rng.randint(25, 99)
            a.update(workshop_staff=staff, employees=int(staff * rng.uniform(1.1, 1.5)), hazard_class="丙")
        else:
            a["employees"] = rng.randint(15, 500)
    elif place_type == "warehouse":
        value = rng.randint(10_000_000, 80_000_000) if (big and chance(rng, 0.25)) or chance(rng, 0.03) \
            else rng.randint(300_000, 9_900_000)
        a.update(stored_value_cny=value, building_area_m2=_area(rng, 500, 20000),
                 hazard_class=rng.choice(["丙", "丙", "丁", "戊"]), floors_above=1, employees=rng.randint(5, 120))
    elif place_type == "residential_highrise":
        floors = rng.randint(10, 33)
        a.update(floors_above=floors, floors_below=rng.choice([1, 1, 2]), building_height_m=_height(rng, floors, (2.9, 3.1)),
                 building_area_m2=_area(rng, 6000, 30000))
    elif place_type == "school":
        boarding = (rng.randint(100, 1600) if (big and chance(rng, 0.6)) or chance(rng, 0.12)
                    else rng.choice([0, 0, rng.randint(10, 99)]))
        floors = rng.randint(3, 5)
        a.update(student_boarding_beds=boarding, floors_above=floors, building_height_m=_height(rng, floors, (3.3, 4.0)),
                 building_area_m2=_area(rng, 3000, 60000), employees=rng.randint(30, 300))
    elif place_type == "kindergarten":
        beds = rng.randint(50, 120) if chance(rng, 0.08) else 0
        a.update(child_boarding_beds=beds, floors_above=rng.randint(1, 3), building_area_m2=_area(rng, 400, 4000),
                 employees=rng.randint(8, 60))
    elif place_type == "hospital":
        beds = (rng.randint(200, 1500) if big and chance(rng, 0.6) else rng.randint(50, 199)
                if big or chance(rng, 0.35) else rng.randint(0, 49))
        floors = rng.randint(4, 20) if beds >= 200 else rng.randint(2, 5)
        a.update(inpatient_beds=beds, floors_above=floors, building_height_m=_height(rng, floors, (3.8, 4.3)),
                 building_area_m2=_area(rng, 1000, 3000) * floors, employees=max(10, int(beds * 1.2)))
    elif place_type in ("elderly_care", "welfare_home"):
        beds = rng.randint(50, 320) if big or chance(rng, 0.3) else rng.randint(10, 49)
        a.update(care_beds=beds, floors_above=rng.randint(2, 6), building_area_m2=_area(rng, beds * 25, beds * 45),
                 employees=max(4, beds // 4))
    elif place_type in ("fuel_station", "hazmat_filling", "hazmat_retail"):
        a.update(building_area_m2=_area(rng, 80, 1200), employees=rng.randint(3, 30),
                 hazard_class=rng.choice(["甲", "乙"]) if place_type != "hazmat_retail" else "甲")
    elif place_type in ("hazmat_production", "hazmat_storage"):
        a.update(building_area_m2=_area(rng, 2000, 60000), largest_workshop_area_m2=_area(rng, 500, 5000),
                 hazard_class=rng.choice(["甲", "甲", "乙"]), employees=rng.randint(20, 900))
    elif place_type == "hazmat_transport":
        a.update(employees=rng.randint(20, 200))
    elif place_type in ("three_in_one", "self_built_commercial", "rental_housing"):
        floors = rng.randint(2, 5)
        a.update(floors_above=floors, building_height_m=_height(rng, floors, (2.9, 3.3)),
                 building_area_m2=_area(rng, 60, 700), employees=rng.randint(1, 10))
    elif place_type == "religious":
        a.update(building_area_m2=_area(rng, 200, 3000), timber_structure=chance(rng, 0.3))
    elif place_type == "scenic_area":
        a.update(employees=rng.randint(20, 500), building_area_m2=_area(rng, 500, 30000))
    elif place_type in ("library", "exhibition"):
        a.update(building_area_m2=_area(rng, 2000, 18000) if chance(rng, 0.6) else _area(rng, 300, 1999),
                 floors_above=rng.randint(2, 5))
    elif place_type in ("museum", "archive"):
        a.update(building_area_m2=_area(rng, 1000, 20000), holds_protected_relics=chance(rng, 0.3),
                 floors_above=rng.randint(2, 4))
    elif place_type == "heritage":
        a.update(heritage_level=weighted(rng, [("none", 20), ("county", 40), ("city", 25), ("province", 12),
                                                ("national", 3)]),
                 timber_structure=chance(rng, 0.7), building_area_m2=_area(rng, 100, 3000))
    elif place_type == "sports_venue":
        kind = size if size in ("stadium", "gymnasium") else "gymnasium"
        a.update(sports_venue_kind=kind, seats=rng.randint(800, 35000) if kind == "stadium" else rng.randint(500, 5000),
                 building_area_m2=_area(rng, 3000, 40000))
    elif place_type == "auditorium":
        a.update(seats=rng.randint(300, 1500), building_area_m2=_area(rng, 1500, 8000))
    elif place_type == "transport_hub":
        a.update(waiting_hall_area_m2=_area(rng, 150, 450) if small else _area(rng, 500, 5000),
                 building_area_m2=_area(rng, 2000, 20000))
    elif place_type == "government":
        kind = {"county_gov": "government", "court": "court", "procuratorate": "procuratorate"}.get(size, "other")
        level = "township" if size == "township" else "county"
        a.update(government_kind=kind if size != "township" else "government", admin_level=level,
                 floors_above=rng.randint(4, 12) if kind != "other" else rng.randint(3, 6),
                 employees=rng.randint(40, 400))
        a["building_height_m"] = _height(rng, a["floors_above"], (3.4, 3.8))
    elif place_type in ("broadcast_telecom", "power", "research"):
        floors = rng.randint(2, 14)
        a.update(floors_above=floors, building_height_m=_height(rng, floors), employees=rng.randint(20, 600),
                 building_area_m2=_area(rng, 800, 30000))
    elif place_type == "grain_depot":
        reserve = size == "reserve"
        a.update(national_grain_reserve=reserve,
                 grain_storage_t=rng.randint(20000, 200000) if reserve or chance(rng, 0.15) else rng.randint(1000, 9999))
    elif place_type == "construction_site":
        a.update(key_project_site=chance(rng, 0.3 if big else 0.05), employees=rng.randint(30, 600))
    elif place_type == "ebike_charging":
        a.update(building_area_m2=_area(rng, 30, 600))
    elif place_type == "multi_use":
        a.update(building_area_m2=_area(rng, 200, 4000), distinct_functions=rng.randint(1, 4),
                 floors_above=rng.randint(1, 4))
    else:
        a.update(building_area_m2=_area(rng, 100, 3000))
    if place_type not in ("hazmat_transport", "construction_site") and "built_year" not in a:
        a["built_year"] = year
    return a


BUILDING_NAMES = {
    "school": ["教学楼", "宿舍楼", "综合楼", "实验楼"], "hospital": ["门诊楼", "住院楼", "医技楼"],
    "hotel": ["主楼", "裙楼", "附楼"], "factory": ["1号车间", "2号车间", "仓库"],
    "labor_intensive": ["1号车间", "2号车间", "员工宿舍"], "warehouse": ["1号库", "2号库", "3号库"],
}


def _buildings(rng: random.Random, place_type: str, attrs: dict) -> list[dict]:
    names = BUILDING_NAMES.get(place_type, ["主楼", "1号楼", "2号楼", "3号楼"])
    result = []
    for i in range(rng.randint(1, 3)):
        floors = attrs.get("floors_above") or rng.randint(1, 6)
        if i > 0:
            floors = max(1, floors - rng.randint(0, floors // 2 + 1))
        height = attrs.get("building_height_m") if i == 0 and attrs.get("building_height_m") else _height(rng, floors)
        result.append({
            "name": names[i % len(names)], "height_m": height, "floors_above": floors,
            "floors_below": attrs.get("floors_below", rng.choice([0, 0, 1])) if i == 0 else 0,
            "area_m2": _area(rng, 300, 2000) * floors,
            "built_year": attrs.get("built_year", rng.randint(1990, 2022)),
            "structure": rng.choice(["钢筋混凝土框架结构", "砖混结构", "钢结构", "框架剪力墙结构"]),
        })
    return result


def _county_weights(tree: dict) -> list[tuple[dict, float]]:
    return [(county, county["population"]) for county in tree["counties"]]


# County-level institutions sit in the county seat (the first street of the county in the data);
# city-style businesses prefer urban streets (街道) over towns (镇).
SEAT_TYPES = frozenset({
    "government", "library", "museum", "exhibition", "archive", "auditorium", "sports_venue", "welfare_home",
    "broadcast_telecom", "transport_hub", "research",
})
URBAN_TYPES = frozenset({
    "office", "commercial_complex", "hotel", "entertainment", "residential_highrise", "mall", "hospital",
})


def _pick_street(rng: random.Random, county: dict, place_type: str) -> dict:
    if place_type in SEAT_TYPES and chance(rng, 0.8):
        return county["streets"][0]
    urban_weight = 5 if place_type in URBAN_TYPES else 2
    return weighted(rng, [(s, 1 if s["town"] else urban_weight) for s in county["streets"]])


def _address(rng: random.Random, county: dict, street: dict, village: str) -> str:
    number = rng.randint(1, 388)
    if street["town"] and chance(rng, 0.5):
        return f"{county['name']}{street['name']}{village}{number}号"
    road = rng.choice(TOWN_ROADS).format(stem=street["stem"]) if street["town"] else rng.choice(county["roads"])
    return f"{county['name']}{street['name']}{road}{number}号"


def _uscc(rng: random.Random, kind: str, county_code: str, used: set[str]) -> str:
    if not kind:
        return ""
    while True:
        code = make_uscc(kind[0], kind[1], county_code, org_code(rng, new_style=kind[0] == "9" and chance(rng, 0.7)))
        if code not in used:
            used.add(code)
            return code


def generate_units(rng: random.Random, fake: Faker, tree: dict, count: int) -> list[dict]:
    """Plain dicts describing ``count`` units spread over the counties (deterministic for a seed).

    Keys: name, place_type, attributes, uscc, address, region_path, county_code, street_path, lat, lng,
    sector, legal_representative(+_phone), responsible_person/phone, safety_manager/phone, status,
    age_days, buildings, showcase. The first unit is the showcase: a key hotel in 薛城区临城街道 that the
    ``danwei`` account manages.
    """
    book = _NameBook()
    used_codes: set[str] = set()
    counties = _county_weights(tree)
    units = []
    for index in range(count):
        showcase = index == 0
        if showcase:
            county = next(c for c in tree["counties"] if c["code"] == "370403")
            street, place_type, subtype = county["streets"][0], "hotel", None
        else:
            county = weighted(rng, counties)
            place_type = weighted(rng, PLACE_MIX)
            subtype = weighted(rng, SMALL_PLACE_MIX) if place_type == "small_place" else None
            street = _pick_street(rng, county, place_type)
        community = rng.choice(street["communities"])
        roll = rng.random()
        region = street if roll < 0.1 else community if roll < 0.3 else rng.choice(community["grids"])
        if showcase:
            name, (kind, size) = _showcase_name(rng, fake, county, street, book)
        else:
            name, (kind, size) = _name_for(rng, fake, place_type, subtype, county, street, community["name"], book)
        attrs = unit_attributes(rng, place_type, size, subtype)
        if showcase:
            attrs.update(guest_rooms=126, guest_beds=208, floors_above=12, building_height_m=43.5,
                         building_area_m2=9800.0, employees=85)
        if kind and not showcase and chance(rng, 0.06):
            kind = ""  # not yet registered in the ledger: the code is missing
        legal = fake.name()
        responsible = legal if chance(rng, 0.6) else fake.name()
        manager = "" if not showcase and chance(rng, 0.05) else fake.name()
        sector = SMALL_PLACE_SECTOR.get(subtype or "", "market_regulation") if place_type == "small_place" \
            else SECTOR_BY_TYPE.get(place_type, "")
        status = "operating" if showcase else weighted(rng, [("operating", 94), ("suspended", 4), ("closed", 2)])
        spec = {
            "name": name, "place_type": place_type, "attributes": attrs,
            "uscc": _uscc(rng, kind, county["code"], used_codes),
            "address": _address(rng, county, street, community["name"]),
            "region_path": region["path"], "county_code": county["code"], "street_path": street["path"],
            "lat": _jitter(rng, street["lat"], 0.02), "lng": _jitter(rng, street["lng"], 0.02),
            "sector": sector,
            "legal_representative": legal, "legal_representative_phone": mobile(fake),
            "responsible_person": responsible, "responsible_phone": mobile(fake),
            "safety_manager": manager, "safety_manager_phone": mobile(fake) if manager else "",
            "status": status, "age_days": rng.randint(0, 1500),
            "buildings": _buildings(rng, place_type, attrs) if showcase or chance(rng, 0.1) else [],
            "showcase": showcase,
        }
        units.append(spec)
    return units


def generate_communities(rng: random.Random, fake: Faker, tree: dict, count: int = 40) -> list[dict]:
    """Residential communities (住宅小区) with their fire lanes; about a third built before 2000."""
    book = _NameBook()
    result = []
    counties = _county_weights(tree)
    for _ in range(count):
        county = weighted(rng, counties)
        urban = [s for s in county["streets"] if not s["town"]] or county["streets"]
        street = rng.choice(urban) if chance(rng, 0.85) else rng.choice(county["streets"])
        region = rng.choice(street["communities"])
        old = chance(rng, 0.35)
        built = rng.randint(1982, 1999) if old else rng.randint(2000, 2022)
        suffixes = OLD_HOUSING_SUFFIXES if old else HOUSING_SUFFIXES

        def make(street=street, suffixes=suffixes):
            base = rng.choice(BRANDS + [street["stem"]])
            return base + rng.choice(suffixes), None

        name, _meta = book.take(make, street["stem"])
        buildings = rng.randint(4, 40)
        households = buildings * rng.randint(24, 90)
        lanes = []
        for li in range(rng.randint(1, 3)):
            marked = 0.35 if old else 0.75
            lanes.append({
                "name": f"{name}{['东', '西', '南', '北', '中心'][li]}侧消防车通道",
                "length_m": _area(rng, 80, 600), "width_m": round(rng.uniform(3.2 if old else 4.0, 7.0), 1),
                "side_lines": chance(rng, marked), "centre_boxes": chance(rng, marked - 0.1),
                "entrance_grid": chance(rng, marked - 0.05), "warning_signs": rng.randint(0, 6),
                "status": weighted(rng, [("clear", 78), ("occupied", 17), ("blocked", 5)]),
                "checked_days_ago": rng.randint(1, 200),
            })
        result.append({
            "name": name, "region_path": region["path"],
            "address": f"{county['name']}{street['name']}{rng.choice(county['roads'])}{rng.randint(1, 300)}号",
            "lat": _jitter(rng, region["lat"], 0.008), "lng": _jitter(rng, region["lng"], 0.008),
            "built_year": built, "buildings": buildings, "households": households,
            "parking_spaces": int(households * rng.uniform(0.1 if old else 0.6, 0.4 if old else 1.3)),
            "vehicles": int(households * rng.uniform(0.4, 1.1)),
            "ebike_charging_points": rng.randint(0, 12) * 10 if not old or chance(rng, 0.4) else 0,
            "property_company": "" if old and chance(rng, 0.5) else f"枣庄{rng.choice(BRANDS)}物业管理有限公司",
            "property_phone": f"0632-{rng.randint(3000000, 8999999)}",
            "fire_lanes": lanes,
        })
    return result


# --------------------------------------------------------------------------- writing


def _say(stdout, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _user(stdout, username, role, agency, fake: Faker, **extra) -> User:
    existing = User.objects.filter(username=username).first()
    if existing is not None:
        _say(stdout, f"用户 {username} 已存在，未修改 / user {username} exists, left unchanged")
        return existing
    user = User.objects.create_user(
        username=username, password=DEMO_PASSWORD, role=role, agency=agency, last_name=fake.last_name(),
        first_name=fake.first_name(), phone=mobile(fake), **extra,
    )
    return user


def _agency(name, kind, region, parent=None, **extra) -> Agency:
    agency = Agency(name=name, kind=kind, region=region, parent=parent, **extra)
    agency.save()
    return agency


def _create_regions(tree: dict) -> dict[str, Region]:
    regions: dict[str, Region] = {}
    province = Region.objects.filter(path=tree["province"]["path"]).first()
    for node in iter_regions(tree):
        if node is tree["province"] and province is not None:
            regions[node["path"]] = province
            continue
        parent_path = node["path"][: -LEVEL_DIGITS[node["level"]]]
        region = Region(name=node["name"], level=node["level"], path=node["path"], code=node["code"],
                        official_code=node["official_code"], lat=node["lat"], lng=node["lng"],
                        parent=regions.get(parent_path))
        region.save()
        regions[node["path"]] = region
    return regions


def _create_agencies(data: dict, tree: dict, regions: dict[str, Region], rng: random.Random) -> dict:
    city = data["city"]
    city_region = regions[CITY_PATH]
    phone = lambda: f"0632-{rng.randint(3000000, 8999999)}"  # noqa: E731
    made: dict = {"departments": {}, "brigades": {}, "street_offices": {}}
    made["detachment"] = _agency(city["detachment"]["name"], AgencyKind.DETACHMENT, city_region,
                                 short_name=city["detachment"]["short"], doc_prefix=city["detachment"]["doc_prefix"],
                                 phone=phone(), address="枣庄市薛城区光明大道")
    gov = _agency(city["government"], AgencyKind.GOVERNMENT, city_region, short_name="市政府", phone=phone(),
                  address="枣庄市薛城区光明大道")
    made["government"] = gov
    made["safety_committee"] = _agency(city["safety_committee"], AgencyKind.SAFETY_COMMITTEE, city_region, parent=gov,
                                       short_name="市消安委办", phone=phone())
    for dept in data["departments"]:
        made["departments"][(dept["sector"], None)] = _agency(
            dept["city"], AgencyKind.DEPARTMENT, city_region, parent=gov, sector=dept["sector"],
            short_name=dept["short"], phone=phone())
    for county in tree["counties"]:
        cregion = regions[county["path"]]
        first = county["streets"][0]
        brigade = _agency(county["brigade"]["name"], AgencyKind.BRIGADE, cregion, parent=made["detachment"],
                          short_name=f"{county['short']}大队", doc_prefix=county["brigade"]["doc_prefix"], phone=phone())
        made["brigades"][county["code"]] = brigade
        _agency(f"{county['short']}{first['stem']}消防救援站", AgencyKind.STATION, cregion, parent=brigade,
                short_name=f"{first['stem']}站", phone=phone())
        _agency(f"{county['police']}{first['stem']}派出所", AgencyKind.POLICE, regions[first["path"]],
                short_name=f"{first['stem']}派出所", phone=phone())
        if county["code"] in data["counties_with_departments"]:
            for dept in data["departments"]:
                made["departments"][(dept["sector"], county["code"])] = _agency(
                    dept["county"].format(county=county["name"]), AgencyKind.DEPARTMENT, cregion,
                    parent=made["departments"][(dept["sector"], None)], sector=dept["sector"], phone=phone())
        for street in county["streets"]:
            office = f"{county['name']}{street['name']}{'人民政府' if street['town'] else '办事处'}"
            made["street_offices"][street["path"]] = _agency(office, AgencyKind.STREET_OFFICE,
                                                             regions[street["path"]], short_name=street["name"],
                                                             phone=phone())
    return made


def _department(agencies: dict, sector: str, county_code: str):
    if not sector:
        return None
    return agencies["departments"].get((sector, county_code)) or agencies["departments"][(sector, None)]


def counts() -> dict:
    """Rows of the demo city in the database."""
    units = Unit.objects.filter(region_path__startswith=CITY_PATH)
    return {
        "regions": Region.objects.filter(path__startswith=CITY_PATH).count(),
        "agencies": Agency.objects.filter(region_path__startswith=CITY_PATH).count(),
        "users": User.objects.count(),
        "units": units.count(),
        "key_units": units.filter(key_unit=True).count(),
        "high_risk_units": units.filter(high_risk=True).count(),
        "buildings": Building.objects.filter(unit__region_path__startswith=CITY_PATH).count(),
        "communities": Community.objects.filter(region_path__startswith=CITY_PATH).count(),
        "fire_lanes": FireLane.objects.filter(region_path__startswith=CITY_PATH).count(),
        "micro_stations": MicroFireStation.objects.filter(region_path__startswith=CITY_PATH).count(),
        "inspections": Inspection.objects.filter(region_path__startswith=CITY_PATH).count(),
        "draws": Draw.objects.filter(region_path__startswith=CITY_PATH).count(),
        "campaigns": Campaign.objects.filter(region_path__startswith=CITY_PATH).count(),
        "campaign_tasks": Task.objects.filter(campaign__region_path__startswith=CITY_PATH).count(),
        "progress_reports": ProgressReport.objects.filter(task__campaign__region_path__startswith=CITY_PATH).count(),
        "hazards": Hazard.objects.filter(region_path__startswith=CITY_PATH).count(),
        "open_hazards": Hazard.objects.filter(region_path__startswith=CITY_PATH,
                                              status__in=["reported", "confirmed", "ordered", "rectifying",
                                                          "submitted"]).count(),
        "major_hazards": MajorHazardCase.objects.filter(region_path__startswith=CITY_PATH).count(),
        "public_reports": PublicReport.objects.filter(region_path__startswith=CITY_PATH).count(),
        "deadlines": Deadline.objects.count(),
        "devices": Device.objects.count(),
        "alarms": Alarm.objects.count(),
    }


def load_demo(stdout=None, units: int = 2000, seed: int = 2026, history: bool = True) -> dict:
    """Load the demo city; return the counts. Does nothing when region 3704 already exists.

    ``history``: also generate a year of inspections, draws, hazards, major hazards and public reports.
    """
    stdout = sys.stdout if stdout is None else stdout
    if Region.objects.filter(path=CITY_PATH).exists():
        _say(stdout, "演示城市（枣庄市）已加载，未做任何修改 / the demo city (Zaozhuang) is already loaded; nothing changed")
        return {"loaded": False, **counts()}
    started = time.monotonic()
    data = load_data()
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    tree = build_regions(rng, data)
    unit_specs = generate_units(rng, fake, tree, units)
    community_specs = generate_communities(rng, fake, tree)
    now = timezone.now()
    with transaction.atomic():
        admin = _user(stdout, "admin", Role.SYSTEM_ADMIN, None, fake, is_superuser=True, is_staff=True)
        with set_actor(admin):
            regions = _create_regions(tree)
            agencies = _create_agencies(data, tree, regions, rng)
            if admin.agency_id is None and admin.role == Role.SYSTEM_ADMIN:
                admin.agency = agencies["detachment"]
                admin.save(update_fields=["agency"])
            _create_users(stdout, fake, agencies, tree)
            created = _create_units(unit_specs, regions, agencies, now)
            showcase = next((unit for unit, spec in created if spec["showcase"]), None)
            danwei = User.objects.get(username="danwei")
            if showcase is not None and danwei.role == Role.UNIT_MANAGER:
                showcase.managers.add(danwei)
            communities = _create_communities(community_specs, regions, now)
            _create_micro_stations(rng, fake, [u for u, _s in created], communities, now)
        if history:
            _say(stdout, "生成一年的检查与隐患记录 / generating a year of inspections and hazards …")
            # The seeded history's own timeline (hazard events, case events, draws) is its record; an
            # audit entry per generated row would only triple the load time.
            with disable_auditlog():
                load_history(rng, fake, agencies, [u for u, _s in created], now)
                _say(stdout, "接入物联网监测设备与一个月的报警记录 / connecting monitoring devices, a month of alarms …")
                load_monitoring(rng, [u for u, _s in created], now)
        _say(stdout, "建立专项行动清单 / building the campaigns' lists …")
        with set_actor(admin):
            load_campaigns(rng, agencies, now, progress=history)
    result = {"loaded": True, **counts(), "seconds": round(time.monotonic() - started, 1)}
    _say(stdout, "演示城市（枣庄市）加载完成 / demo city loaded:")
    for key, value in result.items():
        if key != "loaded":
            _say(stdout, f"  {key:<16} {value}")
    return result


def _create_users(stdout, fake: Faker, agencies: dict, tree: dict) -> None:
    xuecheng = agencies["brigades"]["370403"]
    xuecheng_street = next(c for c in tree["counties"] if c["code"] == "370403")["streets"][0]
    _user(stdout, "zhidui", Role.DETACHMENT, agencies["detachment"], fake)
    _user(stdout, "xuecheng", Role.INSPECTOR, xuecheng, fake)
    # Law-enforcement inspections and random draws need two inspectors per unit (消防监督检查规定 第十四条).
    _user(stdout, "xuecheng2", Role.INSPECTOR, xuecheng, fake)
    _user(stdout, "xuecheng_dd", Role.BRIGADE_SUPERVISOR, xuecheng, fake)
    _user(stdout, "tengzhou", Role.INSPECTOR, agencies["brigades"]["370481"], fake)
    _user(stdout, "tengzhou2", Role.INSPECTOR, agencies["brigades"]["370481"], fake)
    _user(stdout, "tengzhou_dd", Role.BRIGADE_SUPERVISOR, agencies["brigades"]["370481"], fake)
    _user(stdout, "jiaoyu", Role.DEPARTMENT_OFFICER, agencies["departments"][("education", None)], fake)
    _user(stdout, "danwei", Role.UNIT_MANAGER, None, fake)
    _user(stdout, "jiankong", Role.MONITORING_OPERATOR, agencies["detachment"], fake)
    _user(stdout, "wangge", Role.GRID_WORKER, agencies["street_offices"][xuecheng_street["path"]], fake)


def _create_units(specs: list[dict], regions: dict, agencies: dict, now) -> list[tuple[Unit, dict]]:
    created = []
    for spec in specs:
        unit = Unit(
            name=spec["name"], uscc=spec["uscc"], address=spec["address"], region=regions[spec["region_path"]],
            lat=spec["lat"], lng=spec["lng"], place_type=spec["place_type"], attributes=spec["attributes"],
            department=_department(agencies, spec["sector"], spec["county_code"]),
            legal_representative=spec["legal_representative"],
            legal_representative_phone=spec["legal_representative_phone"],
            responsible_person=spec["responsible_person"], responsible_phone=spec["responsible_phone"],
            safety_manager=spec["safety_manager"], safety_manager_phone=spec["safety_manager_phone"],
            status=spec["status"], created_at=now - timedelta(days=spec["age_days"]),
        )
        unit.save()
        for building in spec["buildings"]:
            Building(unit=unit, **building).save()
        created.append((unit, spec))
    return created


def _create_communities(specs: list[dict], regions: dict, now) -> list[Community]:
    result = []
    for spec in specs:
        fields = {k: v for k, v in spec.items() if k not in ("fire_lanes", "region_path")}
        community = Community(region=regions[spec["region_path"]], **fields)
        community.save()
        for lane in spec["fire_lanes"]:
            fields = {k: v for k, v in lane.items() if k != "checked_days_ago"}
            FireLane(community=community, last_checked=(now - timedelta(days=lane["checked_days_ago"])).date(),
                     **fields).save()
        result.append(community)
    return result


def _create_micro_stations(rng: random.Random, fake: Faker, units: list[Unit], communities: list[Community],
                           now) -> None:
    key_units = [u for u in units if u.key_unit and u.status == "operating"]
    owners: list[tuple[str, object]] = [("unit", u) for u in rng.sample(key_units, min(18, len(key_units)))]
    owners += [("community", c) for c in rng.sample(communities, min(12, len(communities)))]
    for kind, owner in owners:
        MicroFireStation(
            name=f"{owner.name}微型消防站", unit=owner if kind == "unit" else None,
            community=owner if kind == "community" else None, leader=fake.name(), phone=mobile(fake),
            members=rng.randint(6, 15), equipment=MICRO_STATION_EQUIPMENT,
            last_drill=(now - timedelta(days=rng.randint(3, 120))).date(),
        ).save()

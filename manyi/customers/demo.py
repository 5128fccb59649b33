"""Demo customers: 20,000 (or 1,000,000 with --size large) with three years of purchases.

Built with bulk inserts and a seeded generator, not the actions: a million audit entries
and events for invented data would help nobody. One audit entry records the load.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from manyi.analytics.text import pinyin_keys
from manyi.core.bulk import insert_rows, refresh_statistics
from manyi.core.demo import DemoContext, demo_step
from manyi.org import audit
from manyi.org.actors import DEMO

from .auditing import AuditAction
from .models import Contact, Customer, Segment, Tag, Transaction

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚"
    "邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐沿梅莫庄辛管"
    "祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁"
    "柯阮桂闵欧阳解强"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅"
    "旭宁龙林欢阳建华亮成畅波琳晶婷雪慧颖倩欣怡佳嘉瑶璐然晨子涵思雨梓轩浩然一诺依诺若曦宇航"
)
DISTRICTS = {
    "北京": ["朝阳区", "海淀区", "东城区", "西城区", "丰台区"],
    "天津": ["和平区", "河西区", "南开区"],
    "上海": ["浦东新区", "徐汇区", "静安区", "黄浦区", "闵行区"],
    "杭州": ["西湖区", "上城区", "拱墅区", "滨江区"],
    "南京": ["玄武区", "秦淮区", "鼓楼区", "建邺区"],
    "广州": ["天河区", "越秀区", "海珠区", "番禺区"],
    "深圳": ["福田区", "南山区", "罗湖区", "宝安区"],
    "厦门": ["思明区", "湖里区", "集美区"],
    "成都": ["锦江区", "青羊区", "武侯区", "成华区"],
    "重庆": ["渝中区", "江北区", "南岸区", "渝北区"],
}
PROVINCES = {
    "北京": "北京市",
    "天津": "天津市",
    "上海": "上海市",
    "杭州": "浙江省",
    "南京": "江苏省",
    "广州": "广东省",
    "深圳": "广东省",
    "厦门": "福建省",
    "成都": "四川省",
    "重庆": "重庆市",
}
STREETS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "新华路",
    "胜利路",
    "文化路",
    "长江路",
    "黄河路",
    "南京路",
    "滨江大道",
]
PRODUCTS = [  # (product, category, typical amount in CNY)
    ("稳盈理财90天", "理财", 50_000),
    ("安享定期存款", "存款", 30_000),
    ("沪深300指数基金", "基金", 20_000),
    ("安康终身寿险", "保险", 8_000),
    ("信用卡分期", "信用卡", 6_000),
    ("积存金", "贵金属", 10_000),
    ("个人住房贷款", "贷款", 600_000),
    ("大额存单", "存款", 200_000),
]
TAGS = ["老客户", "投诉过", "理财偏好", "房贷客户", "信用卡", "企业主", "退休人员", "代发工资"]
OCCUPATIONS = ["职员", "教师", "医生", "个体经营", "企业主", "公务员", "工程师", "退休", "学生"]
EDUCATION = ["初中", "高中", "大专", "本科", "硕士", "博士"]
INCOME = ["5千以下", "5千-1万", "1万-3万", "3万以上"]


SEGMENTS = [  # seed 000: describe each segment, then give it its own way of being served
    (
        "高价值客户",
        [
            {"field": "m_score", "op": "gte", "value": 4},
            {"field": "f_score", "op": "gte", "value": 4},
        ],
        "专属客户经理一对一服务；新产品优先推荐；每季度上门拜访一次；投诉由主管直接处理。",
    ),
    (
        "沉睡客户",
        [{"field": "r_score", "op": "lte", "value": 2}],
        "三个月内电话回访了解原因；推送到期提醒和专属优惠；连续两次无回应转入流失预警。",
    ),
    (
        "大客户",
        [{"field": "tier", "op": "eq", "value": "key"}],
        "每月对账；重大事项由网点负责人出面沟通；满意度调查按季度进行。",
    ),
    (
        "潜在客户",
        [{"field": "lifecycle", "op": "eq", "value": "prospect"}],
        "七天内首次联系；邀请到网点体验；试用产品后回访，促成首次购买。",
    ),
]
CENT = Decimal("0.01")
ONE = Decimal(1)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


@demo_step("customers", order=30)
def make_customers(ctx: DemoContext) -> None:
    rng = ctx.rng
    total = ctx.overrides.get("customers", 1_000_000 if ctx.size == "large" else 20_000)
    purchases_per_customer = 2 if ctx.size == "large" else 5
    branches = list(ctx.data["branches"].values())
    managers = {}
    from manyi.org.models import Staff

    for staff in Staff.objects.filter(role="account_manager").prefetch_related("branches"):
        for branch in staff.branches.all():
            managers[branch.pk] = staff.pk
    tags = [Tag.objects.create(name=name) for name in TAGS]
    now = timezone.now()
    start = now - dt.timedelta(days=3 * 365)
    batch = 20_000
    ops = connection.ops
    for offset in range(0, total, batch):
        customers = []
        for i in range(offset, min(offset + batch, total)):
            branch = rng.choice(branches)
            organisation = rng.random() < 0.08
            name = _name(rng)
            tier = rng.choices(["key", "vip", "ordinary", "small"], [3, 10, 70, 17])[0]
            district = rng.choice(DISTRICTS[branch.city])
            street = rng.choice(STREETS)
            full, initials = pinyin_keys(name)
            window = rng.choice([(9, 12), (14, 18), (19, 21)])
            customers.append(
                Customer(
                    branch=branch,
                    external_key=f"D{i + 1:07d}",
                    name=name,
                    name_pinyin=full,
                    name_initials=initials,
                    kind="organisation" if organisation else "person",
                    company_name=f"{branch.city}{rng.choice(STREETS)[:2]}商贸有限公司"
                    if organisation
                    else "",
                    gender=rng.choice(["male", "female"]),
                    birth_year=rng.randint(1950, 2005),
                    occupation=rng.choice(OCCUPATIONS),
                    education=rng.choice(EDUCATION),
                    income_band=rng.choice(INCOME),
                    province=PROVINCES[branch.city],
                    city=f"{branch.city}市",
                    district=district,
                    town=f"{street}街道",
                    address=f"{PROVINCES[branch.city]}{branch.city}市{district}{street}"
                    f"{rng.randint(1, 999)}号",
                    preferred_channel=rng.choice(["phone", "sms", "wechat", "counter", "visit"]),
                    callback_consent=rng.random() < 0.6,
                    callback_from=dt.time(window[0]),
                    callback_until=dt.time(window[1]),
                    tier=tier,
                    # key accounts weigh most when a complaint is settled (no draw: the
                    # demo's random sequence stays as it was)
                    relationship={"key": "A", "vip": "B"}.get(tier, ""),
                    lifecycle=rng.choices(
                        ["customer", "prospect", "lapsed", "won_back"], [80, 8, 9, 3]
                    )[0],
                    account_manager_id=managers.get(branch.pk) if tier in ("key", "vip") else None,
                    created_at=start + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400)),
                )
            )
        Customer.objects.bulk_create(customers, batch_size=2000)
        contacts, purchases, tagged = [], [], []
        for customer in customers:
            phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            contacts.append((customer.pk, "mobile", phone, phone, phone[-4:], True))
            if rng.random() < 0.3:
                wechat = f"wx_{customer.name_pinyin}{rng.randrange(10000)}"
                contacts.append((customer.pk, "wechat", wechat, wechat.lower(), "", False))
            for _ in range(rng.randint(0, purchases_per_customer * 2)):
                product, category, typical = rng.choice(PRODUCTS)
                amount = Decimal(typical * rng.lognormvariate(0, 0.6)).quantize(CENT)
                occurred = start + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
                purchases.append(
                    (
                        customer.pk,
                        customer.branch_id,
                        "",
                        product,
                        category,
                        ops.adapt_datetimefield_value(occurred),
                        ops.adapt_decimalfield_value(ONE, 12, 2),
                        None,
                        ops.adapt_decimalfield_value(amount, 14, 2),
                        rng.choice(["", "", "", "新客礼", "周年庆"]),
                        rng.choice(["store", "online", "phone", "account_manager"]),
                    )
                )
            for tag in rng.sample(tags, rng.choice((0, 0, 1, 1, 2))):
                tagged.append((customer.pk, tag.pk))
        insert_rows(
            Contact, ["customer_id", "kind", "value", "normalized", "last4", "is_primary"], contacts
        )
        insert_rows(
            Transaction,
            [
                "customer_id",
                "branch_id",
                "external_ref",
                "product",
                "category",
                "occurred_at",
                "quantity",
                "area",
                "amount",
                "promotion",
                "channel",
            ],
            purchases,
        )
        insert_rows(Customer.tags.through, ["customer_id", "tag_id"], tagged)
        ctx.log(f"customers: {offset + len(customers):,} of {total:,}")
    from .actions import rescore_rfm

    refresh_statistics(Customer, Contact, Transaction, Customer.tags.through)
    scored = rescore_rfm(DEMO)
    for name, rules, strategy in SEGMENTS:
        Segment.objects.create(name=name, rules=rules, strategy=strategy)
    audit.record(DEMO, AuditAction.DEMO_LOAD, None, after={"customers": total, "scored": scored})

"""Demo: the reason-code tree a bank's complaint desk uses (seed 004 "源头锁定")."""

from __future__ import annotations

from manyi.core.demo import DemoContext, demo_step

from .models import ReasonCode

REASONS = {
    ("S", "服务"): [("S01", "服务态度"), ("S02", "等候时间过长"), ("S03", "业务办理差错")],
    ("P", "产品"): [("P01", "理财产品收益"), ("P02", "信用卡费用"), ("P03", "贷款审批")],
    ("C", "渠道"): [("C01", "手机银行故障"), ("C02", "ATM 吞卡"), ("C03", "网点环境")],
    ("F", "收费"): [("F01", "收费不透明"), ("F02", "乱收费")],
}


@demo_step("tickets.reasons", order=40)
def make_reason_codes(ctx: DemoContext) -> None:
    for (code, name), children in REASONS.items():
        parent = ReasonCode.objects.create(code=code, name=name)
        for child_code, child_name in children:
            ReasonCode.objects.create(code=child_code, name=child_name, parent=parent)
    ctx.log(f"tickets: {ReasonCode.objects.count()} reason codes")

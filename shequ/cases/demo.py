"""Demo requests and complaints: the street's service catalogue, the admission list, a few hundred realistic
cases across the communities (made through the services, then back-dated so the dashboard has history), some
escalated, whistled, resolved and rated, and duties handed down to communities (some off the list)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shequ.accounts.models import RoleAssignment
from shequ.cases import services
from shequ.cases.models import AdmissionItem, Case, CaseEvent, HandlingLevel, ServiceItem, Whistle
from shequ.core.jurisdiction import SYSTEM
from shequ.core.rights import Role
from shequ.places.models import Level, Place

CATALOGUE = [
    # (code, name, kind, lowest level, department, documents, hours per level)
    ("leak", "楼道/管网漏水", "complaint", "compound", "住建", "", (24, 48, 72, 120)),
    ("noise", "噪音扰民", "complaint", "compound", "公安", "", (12, 24, 48, 72)),
    ("garbage", "垃圾清运不及时", "complaint", "compound", "城管", "", (24, 48, 72, 96)),
    ("parking", "乱停车、占用消防通道", "complaint", "compound", "消防", "", (12, 24, 48, 72)),
    ("property", "物业服务问题", "complaint", "compound", "住建", "", (48, 72, 96, 120)),
    ("stall", "占道经营", "complaint", "community", "城管", "", (24, 48, 72, 96)),
    ("food", "食品安全问题", "complaint", "community", "市场监管", "", (12, 24, 48, 72)),
    ("elder", "独居老人求助", "help", "compound", "民政", "", (4, 12, 24, 48)),
    ("medicine", "代购药品", "help", "compound", "卫健", "", (12, 24, 48, 72)),
    ("hardship", "临时生活困难", "help", "community", "民政", "", (24, 48, 72, 120)),
    ("residence", "居住证明开具", "service", "community", "", "身份证、房产证或租房合同", (24, 48, 72, 120)),
    ("elderly-card", "老年优待证办理", "service", "community", "民政", "身份证、一寸照片", (48, 72, 96, 120)),
    (
        "lowincome",
        "低保申请受理",
        "service",
        "community",
        "民政",
        "身份证、户口本、收入证明",
        (72, 96, 120, 168),
    ),
    (
        "disability",
        "残疾人证申领",
        "service",
        "community",
        "民政",
        "身份证、户口本、医院诊断证明",
        (72, 96, 120, 168),
    ),
    ("birth", "生育登记", "service", "community", "卫健", "夫妻双方身份证、结婚证", (24, 48, 72, 120)),
]

TITLES = {
    "leak": ["{b}楼道水管漏水", "{b}顶楼渗水", "{b}下水道堵塞返水"],
    "noise": ["{b}楼上夜间装修噪音", "广场舞音响太大", "{b}邻居深夜喧哗"],
    "garbage": ["{c}垃圾站三天未清运", "{b}楼道堆放杂物", "{c}垃圾分类桶破损"],
    "parking": ["{c}消防通道被占用", "{b}门口电动车乱停", "{c}僵尸车长期占位"],
    "property": ["{c}电梯经常故障", "{c}物业不回应报修", "{c}路灯不亮"],
    "stall": ["{c}门口占道经营", "夜市摊贩占用人行道"],
    "food": ["{c}附近小餐馆卫生差", "菜市场售卖过期食品"],
    "elder": ["{b}独居老人需要送餐", "{b}老人行动不便需要帮助", "{b}老人电话联系不上"],
    "medicine": ["{b}慢病老人代购降压药", "{b}居家老人需要代配药"],
    "hardship": ["{b}住户失业生活困难", "{b}家庭突发大病求助"],
    "residence": ["开具居住证明", "办理居住证明用于子女入学"],
    "elderly-card": ["办理老年优待证"],
    "lowincome": ["申请最低生活保障"],
    "disability": ["申领残疾人证"],
    "birth": ["办理生育登记"],
}

ADMISSION = [
    ("民政", "高龄津贴初审", "每社区配1名民政专干,经费2万元/年", 20000),
    ("民政", "低保对象入户核查", "核查工作经费1万元/年", 10000),
    ("卫健", "65岁以上老人健康随访协助", "社区卫生服务站派员,经费1.5万元/年", 15000),
    ("城管", "门前三包宣传", "宣传物资由城管提供", 3000),
    ("应急管理", "安全隐患排查上报", "配发巡查终端2台", 8000),
]
OFF_LIST = [
    ("住建", "老旧小区改造意愿调查", 40),
    ("市场监管", "商户信息采集", 30),
    ("卫健", "创卫迎检资料整理", 60),
    ("公安", "出租屋信息核对", 50),
    ("城管", "违建拍照建档", 35),
]


def _user(role: str, place: Place):
    ra = RoleAssignment.objects.filter(role=role, place=place, is_active=True).select_related("user").first()
    return ra.user if ra else None


def seed_demo(*, street: Place, rng, progress, scale: int) -> None:
    communities = list(Place.objects.filter(level=Level.COMMUNITY, street=street).order_by("path"))
    if not communities:
        return
    officer = _user(Role.STREET_OFFICER, street)
    total = max(200, min(600, scale // 100))
    bar = progress(total=total + 2, desc="cases")
    with transaction.atomic():
        items = {}
        for code, name, kind, level, department, documents, hours in CATALOGUE:
            fields = dict(
                kind=kind,
                code=code,
                name=name,
                lowest_level=level,
                department=department,
                documents_needed=documents,
                hours_compound=hours[0],
                hours_community=hours[1],
                hours_street=hours[2],
                hours_department=hours[3],
            )
            existing = ServiceItem.objects.filter(street=street, code=code).first()
            if existing is not None:
                items[code] = existing
            elif officer is not None:
                items[code] = services.service_item_create(actor=officer, street=street, **fields)
            else:
                items[code] = ServiceItem.objects.create(street=street, **fields)
        for department, name, resources, funding in ADMISSION:
            if not AdmissionItem.objects.filter(street=street, department=department, name=name).exists():
                if officer is not None:
                    services.admission_item_create(
                        actor=officer,
                        street=street,
                        department=department,
                        name=name,
                        resources=resources,
                        funding_yuan=funding,
                    )
                else:
                    AdmissionItem.objects.create(
                        street=street,
                        department=department,
                        name=name,
                        resources=resources,
                        funding_yuan=funding,
                    )
    bar.update(1)

    now = timezone.now()
    buildings = {
        c.pk: list(Place.objects.filter(level=Level.BUILDING, community=c).select_related("compound")[:300])
        for c in communities
    }
    channels = ["counter", "hotline", "on_behalf", "visit", "counter", "hotline"]
    surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
    made: list[tuple[Case, int]] = []
    for i in range(total):
        community = communities[i % len(communities)] if rng.random() < 0.5 else rng.choice(communities)
        worker = _user(Role.COMMUNITY_WORKER, community)
        if worker is None or not buildings[community.pk]:
            bar.update(1)
            continue
        building = rng.choice(buildings[community.pk])
        code = rng.choice(list(items))
        title = rng.choice(TITLES[code]).format(
            b=f"{building.compound.name}{building.name}", c=building.compound.name
        )
        with transaction.atomic():
            case = services.case_submit(
                actor=worker,
                category=items[code],
                title=title,
                channel=rng.choice(channels),
                place=building,
                description="居民反映:" + title + "。请尽快处理。",
                requester_name=rng.choice(surnames) + rng.choice(["先生", "女士", "阿姨", "大爷"]),
                requester_phone=f"13{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            )
            age_days = rng.random() ** 1.5 * 85
            roll = rng.random()
            if roll < 0.55:
                services.case_accept(actor=worker, case=case)
                if rng.random() < 0.3 and case.level != HandlingLevel.DEPARTMENT:
                    services.case_escalate(actor=worker, case=case, reason="本级协调不了,需上级协调")
                services.case_resolve(
                    actor=worker if case.level != HandlingLevel.STREET else officer or worker,
                    case=case,
                    resolution=rng.choice(
                        ["已协调物业处理完毕", "已联系相关部门现场处置", "已上门服务,问题解决", "已办理完毕"]
                    ),
                )
                if rng.random() < 0.6:
                    services.case_rate(
                        actor=SYSTEM,
                        case=case,
                        token=case.track_token,
                        score=rng.choices([5, 4, 3, 2, 1], weights=[50, 25, 12, 8, 5])[0],
                        comment=rng.choice(["", "处理及时", "态度很好", "还需跟进", "太慢了"]),
                    )
                if rng.random() < 0.5:
                    services.case_close(
                        actor=worker
                        if case.level in (HandlingLevel.COMPOUND, HandlingLevel.COMMUNITY)
                        else officer or worker,
                        case=case,
                    )
            elif roll < 0.75:
                services.case_start(actor=worker, case=case)
                if rng.random() < 0.3:
                    whistle = services.whistle_blow(
                        actor=worker,
                        case=case,
                        reason="涉及多个部门,需联合处置",
                        report_by=now + timedelta(hours=rng.randint(4, 48)),
                        departments=rng.sample(["城管", "住建", "市场监管", "公安"], 2),
                    )
                    if rng.random() < 0.5:  # an older whistle whose deadline has passed: some never came
                        Whistle.objects.filter(pk=whistle.pk).update(
                            report_by=now - timedelta(hours=rng.randint(1, 24))
                        )
            made.append((case, age_days))
        bar.update(1)

    # Back-date: a case opened `age` days ago, resolved a realistic while later.
    for case, age_days in made:
        created = now - timedelta(days=age_days)
        changes = {"created_at": created, "level_entered_at": created}
        if case.resolved_at:
            changes["resolved_at"] = created + timedelta(hours=rng.uniform(2, 24 * 6))
            if case.rated_at:
                changes["rated_at"] = changes["resolved_at"] + timedelta(hours=rng.uniform(1, 48))
        elif case.status in Case.OPEN:
            changes["deadline_at"] = created + timedelta(
                hours=case.category.hours_at(case.level) * rng.uniform(0.5, 2)
            )
        Case.objects.filter(pk=case.pk).update(**changes)
        CaseEvent.objects.filter(case=case, kind="created").update(at=created)

    with transaction.atomic():
        for community in communities:
            worker = _user(Role.COMMUNITY_WORKER, community)
            if worker is None:
                continue
            for department, name, _resources, _funding in rng.sample(ADMISSION, 3):
                services.duty_record(
                    actor=worker,
                    community=community,
                    department=department,
                    title=name,
                    estimated_hours=rng.randint(4, 30),
                )
            for department, title, hours in rng.sample(OFF_LIST, rng.randint(1, 4)):
                services.duty_record(
                    actor=worker,
                    community=community,
                    department=department,
                    title=title,
                    estimated_hours=hours,
                )
    bar.update(1)
    bar.close()

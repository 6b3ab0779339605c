"""The plan library shipped with shequ: emergency kinds and three plans communities copy and edit.

The numbers here (quarantine days, fever threshold, zone names …) are defaults of a plan, not rules of the code:
the national COVID-era rules stopped applying in January 2023, and every community sets its own."""

from __future__ import annotations

KINDS = [
    ("public_health", "突发公共卫生事件"),
    ("flood_typhoon", "洪涝台风"),
    ("earthquake", "地震"),
    ("fire", "火灾"),
    ("extreme_weather", "极端天气"),
]

ALL_LEVELS = [
    {"level": 1, "label": "Ⅰ级(特别重大)", "criteria": "全社区范围内发生,需街道统一调度"},
    {"level": 2, "label": "Ⅱ级(重大)", "criteria": "多个小区受影响"},
    {"level": 3, "label": "Ⅲ级(较大)", "criteria": "单个小区受影响"},
    {"level": 4, "label": "Ⅳ级(一般)", "criteria": "个别楼栋受影响"},
]

WORKERS = ["community_worker"]
GRASSROOTS = ["grid_worker", "building_leader", "party_household"]
HELPERS = ["volunteer", "sunk_cadre", "reporting_member", "party_member"]

PLANS = [
    {
        "code": "public-health",
        "name": "社区突发公共卫生事件应急预案",
        "kind": "public_health",
        "description": "传染病疫情等突发公共卫生事件:拉网排查、健康打卡、管控区域、居家健康监测、密接追踪、核酸/抗原检测轮次。"
        "各项天数、频次、体温阈值、区域名称均为本预案参数,请按当地卫生健康部门最新要求修改。",
        "teams": [
            {
                "code": "coordination",
                "name": "综合协调组",
                "formation": "scope",
                "roles": [
                    {"post": "组长", "duty": "统筹调度、信息汇总上报", "duty_kinds": WORKERS, "max": 1},
                    {"post": "信息员", "duty": "每日数据汇总、台账更新", "duty_kinds": WORKERS, "max": 1},
                ],
            },
            {
                "code": "screening",
                "name": "排查组",
                "formation": "grid",
                "covers_buildings": True,
                "roles": [
                    {
                        "post": "组长",
                        "duty": "网格内逐户排查、体温监测",
                        "duty_kinds": ["grid_worker"],
                        "max": 1,
                    },
                    {
                        "post": "楼栋联络员",
                        "duty": "本楼栋住户信息核实、打卡提醒",
                        "duty_kinds": ["building_leader", "party_household"],
                        "max": None,
                    },
                    {
                        "post": "排查员",
                        "duty": "入户排查、登记",
                        "duty_kinds": ["sunk_cadre", "reporting_member"],
                        "max": None,
                    },
                ],
            },
            {
                "code": "supply",
                "name": "保供组",
                "formation": "scope",
                "roles": [
                    {"post": "组长", "duty": "生活物资保障、代购送药", "duty_kinds": WORKERS, "max": 1},
                    {
                        "post": "配送员",
                        "duty": "无接触配送",
                        "duty_kinds": ["volunteer", "party_member"],
                        "max": None,
                    },
                ],
            },
            {
                "code": "transfer",
                "name": "转运组",
                "formation": "scope",
                "roles": [
                    {"post": "联络员", "duty": "对接医疗机构,转运登记", "duty_kinds": WORKERS, "max": 1}
                ],
            },
            {
                "code": "publicity",
                "name": "宣传组",
                "formation": "scope",
                "roles": [
                    {"post": "宣传员", "duty": "通知发布、辟谣", "duty_kinds": ["party_member"], "max": 2}
                ],
            },
            {
                "code": "disinfection",
                "name": "消杀组",
                "formation": "scope",
                "roles": [{"post": "消杀员", "duty": "公共区域消毒", "duty_kinds": ["volunteer"], "max": 3}],
            },
        ],
        "tasks": [
            {
                "team": "coordination",
                "title": "召开应急工作部署会,明确分工",
                "due_hours": 2,
                "checklist": ["通知两委成员", "确认各组组长", "上报街道"],
            },
            {
                "team": "screening",
                "title": "完成网格内拉网排查",
                "due_hours": 48,
                "checklist": ["逐户敲门", "登记在家人员与体温", "记录需求", "未遇到户安排复访"],
            },
            {
                "team": "supply",
                "title": "摸清独居老人、慢病患者等重点人群需求",
                "due_hours": 24,
                "checklist": ["电话联系", "登记用药需求", "结对帮扶"],
            },
            {"team": "publicity", "title": "发布告居民书,公布求助电话", "due_hours": 6, "checklist": []},
            {
                "team": "disinfection",
                "title": "公共区域消杀",
                "due_hours": 12,
                "levels": [1, 2, 3],
                "checklist": ["电梯", "楼道扶手", "垃圾收集点"],
            },
            {"team": "transfer", "title": "对接定点医疗机构和转运车辆", "due_hours": 12, "checklist": []},
        ],
        "parameters": [
            ("quarantine_days", "居家隔离/健康监测天数", "int", 7, "天"),
            ("monitoring_times_per_day", "健康监测频次", "int", 2, "次/天"),
            ("fever_threshold", "发热体温阈值", "decimal", "37.3", "℃"),
            ("followup_days", "密接随访期", "int", 7, "天"),
            ("followup_every_days", "随访间隔", "int", 1, "天"),
            ("checkin_deadline_hour", "每日打卡截止", "int", 12, "时"),
            ("reading_followup_hours", "异常体温跟进时限", "int", 2, "小时"),
            ("zone_types", "管控区域类型", "list", ["封控区", "管控区", "防范区"], ""),
            (
                "zone_rules",
                "区域管理规则",
                "json",
                {
                    "封控区": "区域封闭,足不出户,服务上门",
                    "管控区": "人不出区,严禁聚集",
                    "防范区": "强化社会面管控,严格限制人员聚集",
                },
                "",
            ),
            ("screening_on_activation", "启动时生成拉网排查", "bool", True, ""),
        ],
    },
    {
        "code": "flood-typhoon",
        "name": "社区防汛防台风应急预案",
        "kind": "flood_typhoon",
        "description": "暴雨、台风、内涝:巡查低洼点位、转移安置危旧房和地下空间人员、物资储备。",
        "teams": [
            {
                "code": "command",
                "name": "指挥协调组",
                "formation": "scope",
                "roles": [{"post": "总指挥", "duty": "统一指挥、信息上报", "duty_kinds": WORKERS, "max": 1}],
            },
            {
                "code": "patrol",
                "name": "巡查预警组",
                "formation": "grid",
                "covers_buildings": True,
                "roles": [
                    {
                        "post": "巡查员",
                        "duty": "巡查低洼点位、地下车库",
                        "duty_kinds": ["grid_worker"],
                        "max": 1,
                    },
                    {
                        "post": "楼栋预警员",
                        "duty": "通知本楼住户",
                        "duty_kinds": ["building_leader"],
                        "max": None,
                    },
                ],
            },
            {
                "code": "evacuation",
                "name": "转移安置组",
                "formation": "scope",
                "roles": [
                    {"post": "组长", "duty": "组织转移、安置点管理", "duty_kinds": WORKERS, "max": 1},
                    {"post": "转移员", "duty": "协助老弱病残转移", "duty_kinds": HELPERS, "max": None},
                ],
            },
            {
                "code": "supply",
                "name": "物资保障组",
                "formation": "scope",
                "roles": [
                    {
                        "post": "物资员",
                        "duty": "沙袋、水泵、救生衣发放",
                        "duty_kinds": ["party_member", "volunteer"],
                        "max": 2,
                    }
                ],
            },
        ],
        "tasks": [
            {
                "team": "patrol",
                "title": "巡查低洼易涝点和地下空间",
                "due_hours": 2,
                "checklist": ["地下车库", "低洼道路", "危旧房"],
            },
            {
                "team": "evacuation",
                "title": "转移危旧房、地下室居住人员",
                "due_hours": 6,
                "levels": [1, 2, 3],
                "checklist": [],
            },
            {
                "team": "supply",
                "title": "清点防汛物资",
                "due_hours": 4,
                "checklist": ["沙袋", "水泵", "救生衣", "手电"],
            },
            {"team": "command", "title": "每两小时上报汛情", "due_hours": 2, "checklist": []},
        ],
        "parameters": [
            ("shelter_check_hours", "安置点清点间隔", "int", 4, "小时"),
            ("evacuate_groups", "优先转移人群", "list", ["独居老人", "残疾", "失能/半失能", "孕产妇"], ""),
            ("warning_levels", "预警信号", "list", ["蓝色", "黄色", "橙色", "红色"], ""),
        ],
    },
    {
        "code": "fire-evacuation",
        "name": "社区火灾及人员疏散应急预案",
        "kind": "fire",
        "description": "高层住宅、老旧小区火灾:报警、初期扑救、疏散引导、清点人数、安置。",
        "teams": [
            {
                "code": "command",
                "name": "现场指挥组",
                "formation": "scope",
                "roles": [
                    {"post": "现场指挥", "duty": "报警、对接消防救援", "duty_kinds": WORKERS, "max": 1}
                ],
            },
            {
                "code": "evacuation",
                "name": "疏散引导组",
                "formation": "compound",
                "covers_buildings": True,
                "roles": [
                    {
                        "post": "楼栋疏散员",
                        "duty": "引导本楼住户疏散、清点人数",
                        "duty_kinds": ["building_leader", "grid_worker"],
                        "max": None,
                    },
                    {"post": "协助员", "duty": "协助行动不便者", "duty_kinds": HELPERS, "max": 2},
                ],
            },
            {
                "code": "rescue",
                "name": "安置救助组",
                "formation": "scope",
                "roles": [
                    {
                        "post": "安置员",
                        "duty": "临时安置、登记受灾户",
                        "duty_kinds": ["volunteer", "party_member"],
                        "max": 3,
                    }
                ],
            },
        ],
        "tasks": [
            {"team": "command", "title": "拨打119并报告街道", "due_hours": 1, "checklist": []},
            {
                "team": "evacuation",
                "title": "疏散并清点楼栋人数",
                "due_hours": 1,
                "checklist": ["按楼层清点", "核对独居老人、残疾人", "报告未撤离人员"],
            },
            {"team": "rescue", "title": "登记受灾户并安排临时安置", "due_hours": 6, "checklist": []},
        ],
        "parameters": [
            ("assembly_points", "集合点", "list", ["小区广场"], ""),
            ("headcount_minutes", "清点人数时限", "int", 30, "分钟"),
        ],
    },
]


def load(apps) -> int:
    """Create the library kinds and plans if missing (idempotent). `apps` is a migration's app registry or
    django.apps.apps. Returns how many plans were created."""
    EmergencyKind = apps.get_model("emergency", "EmergencyKind")
    PlanTemplate = apps.get_model("emergency", "PlanTemplate")
    PlanTeam = apps.get_model("emergency", "PlanTeam")
    PlanTask = apps.get_model("emergency", "PlanTask")
    PlanParameter = apps.get_model("emergency", "PlanParameter")
    kinds = {}
    for code, name in KINDS:
        kinds[code], _ = EmergencyKind.objects.get_or_create(
            code=code, defaults={"name": name, "is_builtin": True}
        )
    created = 0
    for spec in PLANS:
        if PlanTemplate.objects.filter(code=spec["code"], community__isnull=True).exists():
            continue
        plan = PlanTemplate.objects.create(
            code=spec["code"],
            version=1,
            name=spec["name"],
            kind=kinds[spec["kind"]],
            description=spec["description"],
            levels=ALL_LEVELS,
            is_library=True,
            is_current=True,
        )
        for i, team in enumerate(spec["teams"]):
            PlanTeam.objects.create(
                plan=plan,
                code=team["code"],
                name=team["name"],
                formation=team["formation"],
                roles=team["roles"],
                covers_buildings=team.get("covers_buildings", False),
                order=i,
            )
        for i, task in enumerate(spec["tasks"]):
            PlanTask.objects.create(
                plan=plan,
                team_code=task["team"],
                title=task["title"],
                checklist=task.get("checklist", []),
                due_hours=task["due_hours"],
                levels=task.get("levels", []),
                order=i,
            )
        for key, label, kind, value, unit in spec["parameters"]:
            PlanParameter.objects.create(plan=plan, key=key, label=label, type=kind, value=value, unit=unit)
        created += 1
    return created

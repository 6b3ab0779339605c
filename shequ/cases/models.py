"""Requests and complaints (M7): the service catalogue, cases routed to the lowest level with a deadline per
level, the timeline, attachments, the whistle (吹哨报到), and the admission list of duties departments may hand
down to communities (准入清单) with the duties actually handed down."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from shequ.core.models import TimeStampedModel


class HandlingLevel(models.TextChoices):
    """Who holds a case, lowest first: 小事不出小区,大事不出社区."""

    COMPOUND = "compound", _("小区(楼栋长/网格员/物业)")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道")
    DEPARTMENT = "department", _("职能部门")


LEVEL_ORDER = [
    HandlingLevel.COMPOUND,
    HandlingLevel.COMMUNITY,
    HandlingLevel.STREET,
    HandlingLevel.DEPARTMENT,
]
NEXT_LEVEL = {LEVEL_ORDER[i]: LEVEL_ORDER[i + 1] for i in range(len(LEVEL_ORDER) - 1)}

# Department names are stored as they are; forms show them translated (gettext_noop marks them).
DEPARTMENTS = [
    gettext_noop("公安"),
    gettext_noop("城管"),
    gettext_noop("市场监管"),
    gettext_noop("卫健"),
    gettext_noop("住建"),
    gettext_noop("民政"),
    gettext_noop("应急管理"),
    gettext_noop("消防"),
    gettext_noop("供水"),
    gettext_noop("供电"),
    gettext_noop("燃气"),
    gettext_noop("物业公司"),
]


class ServiceItem(TimeStampedModel):
    """服务事项 — one entry of the service catalogue: a one-stop-counter service (一窗通办, 全岗通) or a
    complaint/help category, with the documents needed, the lowest level that handles it and the time limit
    at each level."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("便民服务事项")
        COMPLAINT = "complaint", _("投诉")
        HELP = "help", _("求助")

    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "places.Place",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="empty: the whole street",
    )
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=80)
    description = models.TextField(_("说明"), blank=True)
    documents_needed = models.TextField(_("所需材料"), blank=True)
    lowest_level = models.CharField(
        _("最低办理层级"), max_length=10, choices=HandlingLevel.choices, default=HandlingLevel.COMPOUND
    )
    department = models.CharField(
        _("责任部门"), max_length=30, blank=True, help_text=_("升级到部门时的承办部门")
    )
    hours_compound = models.PositiveSmallIntegerField(_("小区时限(小时)"), default=24)
    hours_community = models.PositiveSmallIntegerField(_("社区时限(小时)"), default=48)
    hours_street = models.PositiveSmallIntegerField(_("街道时限(小时)"), default=72)
    hours_department = models.PositiveSmallIntegerField(_("部门时限(小时)"), default=120)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "code"], name="service_item_unique_code"),
            models.CheckConstraint(
                condition=models.Q(hours_compound__gt=0)
                & models.Q(hours_community__gt=0)
                & models.Q(hours_street__gt=0)
                & models.Q(hours_department__gt=0),
                name="service_item_positive_limits",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def hours_at(self, level: str) -> int:
        return getattr(self, f"hours_{level}")

    @property
    def audit_community(self):
        return self.community


# The catalogue fields a street or community edits (the form, the API and the service's snapshot use this one list).
SERVICE_ITEM_FIELDS = (
    "kind",
    "code",
    "name",
    "description",
    "documents_needed",
    "lowest_level",
    "department",
    "hours_compound",
    "hours_community",
    "hours_street",
    "hours_department",
    "is_active",
)


OPEN_STATUSES = ("new", "accepted", "in_progress")
OPEN_Q = models.Q(status__in=OPEN_STATUSES)


class Case(TimeStampedModel):
    """诉求 — a help request or complaint, from any channel, held at one level at a time with a deadline."""

    class Status(models.TextChoices):
        NEW = "new", _("待受理")
        ACCEPTED = "accepted", _("已受理")
        IN_PROGRESS = "in_progress", _("办理中")
        RESOLVED = "resolved", _("已办结")
        CLOSED = "closed", _("已关闭")

    class Channel(models.TextChoices):
        RESIDENT = "resident", _("居民手机提交")
        ANONYMOUS = "anonymous", _("未登录提交")
        COUNTER = "counter", _("服务窗口代办")
        HOTLINE = "hotline", _("热线电话")
        ON_BEHALF = "on_behalf", _("楼栋长/网格员代报")
        VISIT = "visit", _("入户走访发现")

    OPEN = (Status.NEW, Status.ACCEPTED, Status.IN_PROGRESS)

    number = models.CharField(_("编号"), max_length=20, unique=True)
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("描述"), blank=True)
    category = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="cases")
    channel = models.CharField(_("来源渠道"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NEW)
    level = models.CharField(_("办理层级"), max_length=10, choices=HandlingLevel.choices)
    department = models.CharField(_("承办部门"), max_length=30, blank=True)
    deadline_at = models.DateTimeField(_("本级期限"), null=True, blank=True)
    level_entered_at = models.DateTimeField(default=timezone.now)
    escalation_count = models.PositiveSmallIntegerField(default=0)
    # Where: one column per level, as Place/Dwelling carry them, so scoping is one indexed filter.
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    dwelling = models.ForeignKey(
        "places.Dwelling", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+", db_index=False)
    compound = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    unit = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    grid = models.ForeignKey(
        "places.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # Who asked. A phone given without an account is kept encrypted, masked for display.
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_requested",
        db_index=False,
    )
    requester_name = models.CharField(_("联系人"), max_length=50, blank=True)
    requester_phone_encrypted = models.TextField(blank=True, editable=False)
    requester_phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    track_token = models.CharField(max_length=32, unique=True, editable=False)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="cases_assigned",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolution = models.TextField(_("办理结果"), blank=True)
    rating = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.TextField(_("评价"), blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates", db_index=False
    )

    # Foreign keys whose look-ups the composite indexes below already serve carry no index of their own:
    # every index is paid again by each escalation UPDATE.
    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="case_rating_1_to_5",
            ),
        ]
        # Open cases are a few per cent of all: partial indexes on them keep the queues and the escalation scan
        # an ordered index range scan however much history piles up.
        # Open cases are a few per cent of all: partial indexes on them keep the queues and the escalation scan
        # an ordered index range scan however much history piles up. The INCLUDE columns (PostgreSQL) let the
        # dashboard's roll-ups over a window run as index-only scans.
        indexes = [
            models.Index(fields=["level", "deadline_at"], condition=OPEN_Q, name="case_open_level_deadline"),
            models.Index(
                fields=["community", "deadline_at"],
                condition=OPEN_Q,
                include=["level"],
                name="case_open_community",
            ),
            models.Index(
                fields=["street", "deadline_at"], condition=OPEN_Q, include=["level"], name="case_open_street"
            ),
            models.Index(fields=["building", "status"], name="case_queue_building"),
            models.Index(fields=["grid", "status"], name="case_queue_grid"),
            models.Index(
                fields=["street", "resolved_at"],
                include=["category", "level", "created_at", "rating"],
                name="case_resolved_street",
            ),
            models.Index(
                fields=["community", "resolved_at"],
                include=["category", "level", "created_at", "rating"],
                name="case_resolved_community",
            ),
            models.Index(fields=["street", "created_at"], include=["compound"], name="case_created_street"),
            models.Index(
                fields=["community", "created_at"], include=["compound"], name="case_created_community"
            ),
            models.Index(fields=["requester", "-created_at"], name="case_requester"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def audit_community(self):
        return self.community

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def is_overdue(self) -> bool:
        return bool(self.is_open and self.deadline_at and self.deadline_at < timezone.now())

    @property
    def can_be_rated(self) -> bool:
        return self.status in (self.Status.RESOLVED, self.Status.CLOSED) and self.rating is None


class CaseEvent(models.Model):
    """One line of a case's timeline: every step and comment. `is_public` lines are shown to the requester."""

    class Kind(models.TextChoices):
        CREATED = "created", _("提交")
        ACCEPTED = "accepted", _("受理")
        STARTED = "started", _("开始办理")
        ASSIGNED = "assigned", _("指派")
        ESCALATED = "escalated", _("上报")
        AUTO_ESCALATED = "auto_escalated", _("超时自动升级")
        WHISTLE = "whistle", _("吹哨")
        REPORTED = "reported", _("报到")
        COMMENT = "comment", _("备注")
        ATTACHMENT = "attachment", _("附件")
        RESOLVED = "resolved", _("办结")
        CLOSED = "closed", _("关闭")
        REOPENED = "reopened", _("重新办理")
        MERGED = "merged", _("合并")
        RATED = "rated", _("评价")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField(blank=True)
    from_level = models.CharField(max_length=10, blank=True)
    to_level = models.CharField(max_length=10, blank=True)
    is_public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.text[:30]}"


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    import secrets

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"cases/{timezone.now():%Y/%m}/{secrets.token_hex(12)}.{ext}"


class CaseAttachment(models.Model):
    """A photo or file attached to a case. Served only through the case's scoped view, never from MEDIA_URL."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class Whistle(TimeStampedModel):
    """吹哨 — the community or the street summons departments and/or party members to a case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="whistles")
    blown_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.CharField(_("吹哨层级"), max_length=10, choices=HandlingLevel.choices)
    reason = models.TextField(_("事由"))
    report_by = models.DateTimeField(_("报到期限"))
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    is_closed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["community", "is_closed"], name="whistle_open_community")]

    def __str__(self) -> str:
        return f"{self.case.number} 吹哨"

    @property
    def audit_community(self):
        return self.community


class Summons(models.Model):
    """报到 — one party summoned by a whistle: a department (any liaison of it in the place may report) or one
    person (a party member). State: waiting, reported (on time), late (after the deadline), absent."""

    class State(models.TextChoices):
        WAITING = "waiting", _("待报到")
        REPORTED = "reported", _("已报到")
        LATE = "late", _("迟到报到")
        ABSENT = "absent", _("未报到")

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summonses")
    department = models.CharField(_("部门"), max_length=30, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="summonses"
    )
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action_taken = models.TextField(_("处置情况"), blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(department="") & models.Q(member__isnull=False))
                | (~models.Q(department="") & models.Q(member__isnull=True)),
                name="summons_department_xor_member",
            ),
            models.UniqueConstraint(
                fields=["whistle", "department"],
                condition=~models.Q(department=""),
                name="summons_unique_dept",
            ),
            models.UniqueConstraint(
                fields=["whistle", "member"],
                condition=models.Q(member__isnull=False),
                name="summons_unique_member",
            ),
        ]

    def __str__(self) -> str:
        return self.party_label

    @property
    def party_label(self) -> str:
        return self.department or (self.member.display_label if self.member else "")

    def state_at(self, now) -> str:
        if self.reported_at is not None:
            return self.State.REPORTED if self.reported_at <= self.whistle.report_by else self.State.LATE
        return self.State.ABSENT if now > self.whistle.report_by else self.State.WAITING

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)


class AdmissionItem(TimeStampedModel):
    """准入清单 — a duty a department may hand to communities, with the resources that must come with it
    (权随责走、费随事转)."""

    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    department = models.CharField(_("部门"), max_length=30)
    name = models.CharField(_("事项名称"), max_length=100)
    basis = models.CharField(_("依据"), max_length=200, blank=True)
    resources = models.TextField(_("配套资源(经费、人员、设备)"), blank=True)
    funding_yuan = models.DecimalField(_("配套经费(元/年)"), max_digits=12, decimal_places=2, default=0)
    is_active = models.BooleanField(_("有效"), default=True)

    class Meta:
        ordering = ["department", "name"]
        constraints = [
            models.UniqueConstraint(fields=["street", "department", "name"], name="admission_item_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department}·{self.name}"


class HandedDownDuty(TimeStampedModel):
    """下派事项 — a duty a department actually handed to a community. One not on the admission list is flagged
    to the street."""

    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    department = models.CharField(_("下派部门"), max_length=30)
    title = models.CharField(_("事项"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    admission_item = models.ForeignKey(
        AdmissionItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="handed_down"
    )
    is_on_list = models.BooleanField(_("在准入清单内"), default=False)
    handed_on = models.DateField(_("下派日期"), default=timezone.localdate)
    estimated_hours = models.DecimalField(_("预计工时(小时)"), max_digits=7, decimal_places=1, default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-handed_on", "-id"]
        indexes = [models.Index(fields=["street", "community"], name="duty_burden")]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_community(self):
        return self.community

"""Epidemic operations inside an incident (M10): screening campaigns (拉网排查) with visit items and records,
daily health check-ins, control zones, home quarantine / health monitoring with transfers and refusals,
contact follow-up, and testing rounds. Rows carry the place columns they are scoped and rolled up by."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequ.core.models import TimeStampedModel


class ScreeningCampaign(TimeStampedModel):
    """拉网排查 — every household in the incident's scope becomes a visit item."""

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        CLOSED = "closed", _("已结束")

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_community(self):
        return self.incident.community


class HouseholdStatus(models.TextChoices):
    ALL_PRESENT = "all_present", _("全部在家")
    SOME_AWAY = "some_away", _("部分外出")
    VACANT = "vacant", _("空置无人")
    REFUSED = "refused", _("拒绝配合")


class VisitItem(models.Model):
    """One household to visit in a campaign; the latest record's status is copied here for progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("未走访")
        ALL_PRESENT = "all_present", _("全部在家")
        SOME_AWAY = "some_away", _("部分外出")
        VACANT = "vacant", _("空置无人")
        REFUSED = "refused", _("拒绝配合")

    # Activation writes one row per household (35,000 in one statement, bench/emergency), and every foreign-key
    # check and index is paid per row at commit. The place columns are copies of the dwelling's own (which carry
    # the constraints), so they go unconstrained; only indexes a query uses are kept: every read filters by
    # campaign first (the composite indexes below), the single ones serve deletes of a building, household or team.
    campaign = models.ForeignKey(
        ScreeningCampaign, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    household = models.ForeignKey("ledger.Household", on_delete=models.CASCADE, related_name="+")
    dwelling = models.ForeignKey(
        "places.Dwelling", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    street = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    community = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    compound = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    building = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    unit = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    grid = models.ForeignKey(
        "places.Grid",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    team = models.ForeignKey(
        "emergency.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.PENDING)
    needs_revisit = models.BooleanField(_("需复访"), default=False)
    visits = models.PositiveSmallIntegerField(default=0)
    last_visited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["dwelling_id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "household"], name="visit_item_once")]
        indexes = [
            models.Index(fields=["campaign", "building", "status"]),
            models.Index(fields=["campaign", "status"]),
        ]

    def __str__(self) -> str:
        return str(self.dwelling)

    @property
    def audit_community(self):
        return self.community


class VisitRecord(models.Model):
    """One visit as captured on a phone. `client_uuid` is made on the phone; the unique constraint means a
    resend after a lost answer finds the first record instead of making a second."""

    client_uuid = models.UUIDField(unique=True)
    item = models.ForeignKey(VisitItem, on_delete=models.CASCADE, related_name="records")
    status = models.CharField(_("户状态"), max_length=12, choices=HouseholdStatus.choices)
    notes = models.CharField(_("备注"), max_length=300, blank=True)
    needs = models.CharField(_("发现需求"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"))
    received_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.item} {self.get_status_display()}"


class PersonCondition(models.Model):
    """Each person's condition found in a visit: symptoms, temperature, needs."""

    record = models.ForeignKey(VisitRecord, on_delete=models.CASCADE, related_name="conditions")
    person = models.ForeignKey("ledger.Person", on_delete=models.PROTECT, related_name="+")
    is_present = models.BooleanField(_("在家"), default=True)
    has_symptoms = models.BooleanField(_("有症状"), default=False)
    symptoms = models.CharField(_("症状"), max_length=200, blank=True)
    temperature = models.DecimalField(_("体温"), max_digits=4, decimal_places=1, null=True, blank=True)
    needs = models.CharField(_("需求"), max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["record", "person"], name="condition_once")]

    def __str__(self) -> str:
        return str(self.person)


class CheckIn(models.Model):
    """每日健康打卡 — by the resident or by a building leader for a household."""

    class Channel(models.TextChoices):
        SELF = "self", _("本人")
        LEADER = "leader", _("楼栋长代报")
        WORKER = "worker", _("工作人员")

    client_uuid = models.UUIDField(unique=True)
    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE, related_name="+")
    is_drill = models.BooleanField(default=False)
    person = models.ForeignKey("ledger.Person", on_delete=models.PROTECT, related_name="+")
    dwelling = models.ForeignKey(
        "places.Dwelling", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # copies of the dwelling's columns (which carry the constraints): no foreign-key check per check-in
    community = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    building = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    on = models.DateField(_("日期"))
    temperature = models.DecimalField(_("体温"), max_digits=4, decimal_places=1)
    has_symptoms = models.BooleanField(_("有症状"), default=False)
    symptoms = models.CharField(_("症状"), max_length=200, blank=True)
    is_over_threshold = models.BooleanField(_("超过阈值"), default=False)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.SELF)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-on", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "person", "on"], name="checkin_once_a_day")
        ]
        indexes = [models.Index(fields=["incident", "on", "building"])]

    def __str__(self) -> str:
        return f"{self.person} {self.on}"


class ControlZone(TimeStampedModel):
    """A compound or building marked with one of the plan's zone types (封控区/管控区/防范区 by default)."""

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE, related_name="zones")
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    zone_type = models.CharField(_("区域类型"), max_length=30)
    rules = models.TextField(_("管理规则"), blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=models.F("starts_at")),
                name="zone_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.zone_type}"

    @property
    def audit_community(self):
        return self.community

    def is_active_at(self, when=None) -> bool:
        when = when or timezone.now()
        return self.starts_at <= when and (self.ends_at is None or self.ends_at > when)


class Monitoring(TimeStampedModel):
    """居家隔离 / 居家健康监测: who, why, from, planned end (plan parameter), daily entries, release."""

    class Kind(models.TextChoices):
        QUARANTINE = "quarantine", _("居家隔离")
        HEALTH = "health", _("居家健康监测")

    class Status(models.TextChoices):
        ACTIVE = "active", _("监测中")
        RELEASED = "released", _("已解除")
        TRANSFERRED = "transferred", _("已转运")
        REFUSED = "refused", _("拒绝转运")

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE, related_name="monitorings")
    person = models.ForeignKey("ledger.Person", on_delete=models.PROTECT, related_name="+")
    dwelling = models.ForeignKey(
        "places.Dwelling", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.HEALTH)
    reason = models.CharField(_("原因"), max_length=200)
    starts_on = models.DateField(_("开始日期"))
    planned_end_on = models.DateField(_("计划结束日期"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    released_on = models.DateField(_("解除日期"), null=True, blank=True)

    class Meta:
        ordering = ["status", "planned_end_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "person"],
                condition=models.Q(status="active"),
                name="one_active_monitoring",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.get_kind_display()}"

    @property
    def audit_community(self):
        return self.community


class MonitoringEntry(models.Model):
    monitoring = models.ForeignKey(Monitoring, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(default=timezone.now)
    temperature = models.DecimalField(_("体温"), max_digits=4, decimal_places=1)
    has_symptoms = models.BooleanField(_("有症状"), default=False)
    notes = models.CharField(_("备注"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.monitoring_id} {self.at:%m-%d %H:%M}"


class Transfer(models.Model):
    """应收尽收: a transfer to care with destination and time, or a refusal with reason and follow-up."""

    class Outcome(models.TextChoices):
        TRANSFERRED = "transferred", _("已转运")
        REFUSED = "refused", _("拒绝")

    monitoring = models.ForeignKey(Monitoring, on_delete=models.CASCADE, related_name="transfers")
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices)
    destination = models.CharField(_("去向"), max_length=100, blank=True)
    at = models.DateTimeField(_("时间"))
    reason = models.CharField(_("拒绝原因"), max_length=200, blank=True)
    follow_up = models.CharField(_("跟进措施"), max_length=200, blank=True)
    task = models.ForeignKey(
        "emergency.IncidentTask", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return self.get_outcome_display()


class Contact(TimeStampedModel):
    """密切接触者 — a contact of a case, with relation and last contact date."""

    incident = models.ForeignKey("emergency.Incident", on_delete=models.CASCADE, related_name="contacts")
    case_label = models.CharField(_("关联病例"), max_length=60)
    person = models.ForeignKey("ledger.Person", on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(_("关系"), max_length=40)
    last_contact_on = models.DateField(_("末次接触日期"))
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-last_contact_on"]
        constraints = [models.UniqueConstraint(fields=["incident", "person"], name="contact_once")]

    def __str__(self) -> str:
        return f"{self.person} ← {self.case_label}"

    @property
    def audit_community(self):
        return self.community


class FollowUp(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待随访")
        DONE = "done", _("已随访")
        MISSED = "missed", _("未联系上")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="followups")
    due_on = models.DateField(_("随访日期"))
    team = models.ForeignKey(
        "emergency.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PENDING)
    result = models.CharField(_("随访结果"), max_length=200, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["contact", "due_on"], name="followup_once_a_day")]

    def __str__(self) -> str:
        return f"{self.contact_id} {self.due_on}"


class TestingRound(TimeStampedModel):
    """检测轮次 — who in scope was tested, who was missed; results imported."""

    incident = models.ForeignKey(
        "emergency.Incident", on_delete=models.CASCADE, related_name="testing_rounds"
    )
    name = models.CharField(_("名称"), max_length=100)
    on = models.DateField(_("检测日期"))
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-on"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_community(self):
        return self.community


class TestingEntry(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("待检")
        TESTED = "tested", _("已检")
        MISSED = "missed", _("漏检")

    class Result(models.TextChoices):
        NONE = "", _("未出结果")
        NEGATIVE = "negative", _("阴性")
        POSITIVE = "positive", _("阳性")

    round = models.ForeignKey(TestingRound, on_delete=models.CASCADE, related_name="entries")
    person = models.ForeignKey("ledger.Person", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PENDING)
    result = models.CharField(_("结果"), max_length=10, choices=Result.choices, blank=True, default="")
    tested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "person"], name="testing_entry_once")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_status_display()}"

"""Emergency operation (平战转换, M9): plan templates (预案) with levels, teams, tasks and parameters; incidents
activated from a plan for a scope, with teams formed from the duty roster, tasks, a timeline and an
after-action review. Drills run the same flow with `is_drill` set and are kept out of real statistics."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shequ.core.errors import DomainError
from shequ.core.models import TimeStampedModel


class ResponseLevel(models.IntegerChoices):
    """应急响应级别: I is the most severe."""

    I = 1, _("Ⅰ级(特别重大)")  # noqa: E741
    II = 2, _("Ⅱ级(重大)")
    III = 3, _("Ⅲ级(较大)")
    IV = 4, _("Ⅳ级(一般)")


class EmergencyKind(TimeStampedModel):
    """突发事件类别 — public health, flood/typhoon, earthquake, fire … and kinds users add."""

    code = models.SlugField(_("编码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60, unique=True)
    is_builtin = models.BooleanField(default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-is_builtin", "name"]

    def __str__(self) -> str:
        return self.name


class PlanTemplate(TimeStampedModel):
    """应急预案 — one version of a plan. A plan used by an incident is never changed; editing makes a new version.

    `community` is the owner of a copy; shipped plans (the library) have no community and are read-only."""

    code = models.SlugField(_("预案编码"), max_length=60)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("预案名称"), max_length=100)
    kind = models.ForeignKey(EmergencyKind, on_delete=models.PROTECT, related_name="plans")
    description = models.TextField(_("说明"), blank=True)
    # [{"level": 1, "label": "...", "criteria": "..."}] — when each response level applies.
    levels = models.JSONField(_("响应级别"), default=list, blank=True)
    street = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    community = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derivatives"
    )
    is_library = models.BooleanField(_("预案库模板"), default=False)
    is_current = models.BooleanField(_("当前版本"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"],
                condition=models.Q(community__isnull=True),
                name="plan_library_version",
            ),
            models.UniqueConstraint(
                fields=["community", "code", "version"],
                condition=models.Q(community__isnull=False),
                name="plan_community_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def audit_community(self):
        return self.community

    def parameter_values(self) -> dict:
        return {p.key: p.typed_value() for p in self.parameters.all()}


class PlanTeam(models.Model):
    """A team the plan needs (综合协调组, 排查组 …) and the roles that fill it.

    roles: [{"post": "组长", "duty": "统筹调度", "duty_kinds": ["community_worker"], "max": 1}, …] filled in order
    from the roster; `max` null means everyone who matches. formation says how many teams are made: one for the
    whole scope, one per grid, or one per compound."""

    class Formation(models.TextChoices):
        SCOPE = "scope", _("整个范围一个组")
        GRID = "grid", _("每个网格一个组")
        COMPOUND = "compound", _("每个小区一个组")

    plan = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="teams")
    code = models.SlugField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    formation = models.CharField(
        _("组建方式"), max_length=10, choices=Formation.choices, default=Formation.SCOPE
    )
    roles = models.JSONField(_("岗位"), default=list)
    covers_buildings = models.BooleanField(
        _("负责楼栋"), default=False, help_text="screening/follow-up teams"
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="plan_team_code")]

    def __str__(self) -> str:
        return self.name


class PlanTask(models.Model):
    """A task the plan issues on activation, due `due_hours` after activation, to one of its teams."""

    plan = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="tasks")
    team_code = models.SlugField(_("负责小组"), max_length=40, blank=True)
    title = models.CharField(_("任务"), max_length=200)
    checklist = models.JSONField(_("检查清单"), default=list, blank=True)
    due_hours = models.PositiveIntegerField(_("时限(小时)"), default=24)
    levels = models.JSONField(_("适用级别"), default=list, blank=True, help_text="[] = every level")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "order", "id"]

    def __str__(self) -> str:
        return self.title

    def applies_at(self, level: int) -> bool:
        return not self.levels or level in self.levels


class PlanParameter(models.Model):
    """A typed parameter of the plan: quarantine days, monitoring frequency, fever threshold, zone types …"""

    class Type(models.TextChoices):
        INT = "int", _("整数")
        DECIMAL = "decimal", _("小数")
        TEXT = "text", _("文本")
        BOOL = "bool", _("是/否")
        LIST = "list", _("列表")
        JSON = "json", _("结构化")

    plan = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="parameters")
    key = models.SlugField(_("参数"), max_length=60)
    label = models.CharField(_("名称"), max_length=100)
    type = models.CharField(_("类型"), max_length=8, choices=Type.choices)
    value = models.JSONField(_("取值"))
    unit = models.CharField(_("单位"), max_length=20, blank=True)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "key"], name="plan_parameter_key")]

    def __str__(self) -> str:
        return f"{self.label}={self.value}"

    def typed_value(self):
        return coerce_parameter(self.type, self.value, field=self.key)


def coerce_parameter(kind: str, raw, *, field: str = "value"):
    """Turn a stored or typed value into its type; raises ValidationError naming the parameter."""
    try:
        if kind == PlanParameter.Type.INT:
            if isinstance(raw, bool):
                raise ValueError
            return int(str(raw).strip())
        if kind == PlanParameter.Type.DECIMAL:
            return Decimal(str(raw).strip())
        if kind == PlanParameter.Type.BOOL:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "是", "yes"):
                return True
            if text in ("0", "false", "否", "no"):
                return False
            raise ValueError
        if kind == PlanParameter.Type.LIST:
            if isinstance(raw, list):
                return [str(x) for x in raw]
            return [x.strip() for x in str(raw).replace(",", ",").replace("、", ",").split(",") if x.strip()]
        if kind == PlanParameter.Type.JSON:
            if isinstance(raw, dict | list):
                return raw
            raise ValueError
        return str(raw)
    except (ValueError, InvalidOperation, TypeError):
        label = dict(PlanParameter.Type.choices).get(kind, kind)
        raise DomainError(
            gettext("参数“%(name)s”的取值不是有效的%(type)s") % {"name": field, "type": label}, field=field
        ) from None


class Incident(TimeStampedModel):
    """应急事件 — a plan activated for a scope at a level; closed by stand-down into an after-action review."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("响应中")
        STOOD_DOWN = "stood_down", _("已终止响应")

    code = models.CharField(_("编号"), max_length=30, unique=True)
    title = models.CharField(_("名称"), max_length=120)
    plan = models.ForeignKey(PlanTemplate, on_delete=models.PROTECT, related_name="incidents")
    level = models.PositiveSmallIntegerField(_("响应级别"), choices=ResponseLevel.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    is_drill = models.BooleanField(_("演练"), default=False, db_index=True)
    # Parameters frozen at activation: editing the plan later does not change a running incident.
    parameters = models.JSONField(default=dict)
    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    scope_places = models.ManyToManyField("places.Place", related_name="incidents", blank=True)
    activated_at = models.DateTimeField(_("启动时间"), default=timezone.now)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stood_down_at = models.DateTimeField(_("终止时间"), null=True, blank=True)
    stood_down_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_notes = models.TextField(_("复盘意见"), blank=True)
    review_figures = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-activated_at"]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return f"{'【演练】' if self.is_drill else ''}{self.title}"

    @property
    def audit_community(self):
        return self.community

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    def param(self, key: str, default=None):
        return self.parameters.get(key, default)


class Team(TimeStampedModel):
    """A team formed for an incident: its members (each with a post, a duty and a place) and its buildings."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="teams")
    plan_team_code = models.SlugField(max_length=40)
    name = models.CharField(_("名称"), max_length=80)
    area = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey(
        "places.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    buildings = models.ManyToManyField("places.Place", through="TeamBuilding", related_name="+", blank=True)

    class Meta:
        ordering = ["incident", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_community(self):
        return self.incident.community


class TeamBuilding(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_buildings")
    building = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "building"], name="team_building_once")]
        indexes = [models.Index(fields=["incident", "building"])]

    def __str__(self) -> str:
        return f"{self.team_id}:{self.building_id}"


class TeamMember(TimeStampedModel):
    """定岗、定责、定位: a person's post in the team, the duty that goes with it, and where they stand."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey("ledger.Person", on_delete=models.PROTECT, related_name="+")
    duty = models.ForeignKey(
        "ledger.Duty", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    post = models.CharField(_("岗位"), max_length=40)
    responsibility = models.CharField(_("职责"), max_length=200, blank=True)
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_manual = models.BooleanField(default=False, help_text="added or changed by a worker")

    class Meta:
        ordering = ["team", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "person"], name="team_member_once")]

    def __str__(self) -> str:
        return f"{self.person} · {self.post}"


class IncidentTask(TimeStampedModel):
    """A task with a deadline: issued by the plan on activation, or raised by operations (a fever reading …)."""

    class Status(models.TextChoices):
        OPEN = "open", _("待办")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    class Source(models.TextChoices):
        PLAN = "plan", _("预案任务")
        READING = "reading", _("体温异常跟进")
        REFUSAL = "refusal", _("拒绝转运跟进")
        MANUAL = "manual", _("手工派发")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PLAN)
    title = models.CharField(_("任务"), max_length=200)
    checklist = models.JSONField(_("检查清单"), default=list, blank=True)
    due_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    building = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "ledger.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["incident", "status", "due_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at < timezone.now()

    @property
    def was_late(self) -> bool:
        return (self.done_at or timezone.now()) > self.due_at and self.status != self.Status.CANCELLED


class TimelineEntry(models.Model):
    """The incident's log: activation, teams, tasks done, zones, stand-down — read back in the review."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    text = models.CharField(max_length=300)
    actor_label = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text

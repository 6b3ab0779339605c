"""The household ledger (一户一档, M2): people, households, who lives where (residency with a role and
dates), vulnerable-group tags, household needs, and the duty roster that later issues form teams from."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core import idnumbers, phones
from shequ.core.models import TimeStampedModel


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class IdType(models.TextChoices):
    RESIDENT = "resident", _("居民身份证")
    LEGACY = "legacy15", _("一代身份证(15位)")
    PERMIT = "permit", _("港澳台居民居住证")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")
    NONE = "none", _("无证件")


class Person(TimeStampedModel):
    """A person in the ledger. ID number and phone are stored encrypted, with a keyed hash for exact look-up
    and a masked form for display (docs/adr/0004)."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    name_pinyin = models.CharField(max_length=120, db_index=True, editable=False)
    name_initials = models.CharField(max_length=20, db_index=True, editable=False)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True, db_index=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True, default="汉族")
    id_type = models.CharField(_("证件类型"), max_length=12, choices=IdType.choices, default=IdType.RESIDENT)
    id_number_encrypted = models.TextField(blank=True, editable=False)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    id_number_masked = models.CharField(_("证件号码"), max_length=24, blank=True, editable=False)
    phone_encrypted = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("手机号"), max_length=20, blank=True, editable=False)
    phone_tail = models.CharField(max_length=4, blank=True, db_index=True, editable=False)
    phone_is_landline = models.BooleanField(default=False)
    # 户籍: where the household registration is; elsewhere (is_local=False) marks 流动人口.
    hukou_region = models.CharField(_("户籍地"), max_length=100, blank=True)
    hukou_is_local = models.BooleanField(_("本地户籍"), default=True)
    political_status = models.CharField(
        _("政治面貌"),
        max_length=12,
        blank=True,
        choices=[
            ("party", _("中共党员")),
            ("probationary", _("预备党员")),
            ("league", _("共青团员")),
            ("masses", _("群众")),
            ("other", _("其他")),
        ],
    )
    education = models.CharField(_("文化程度"), max_length=20, blank=True)
    occupation = models.CharField(_("职业/单位"), max_length=100, blank=True)
    is_deceased = models.BooleanField(_("已故"), default=False)
    notes = models.TextField(_("备注"), blank=True)
    # The community whose ledger keeps this person (a person is also visible wherever they reside).
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    # Where they live now (kept by services from residencies) for cheap roll-ups by compound.
    home = models.ForeignKey(
        "places.Dwelling", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    home_compound = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"],
                condition=~models.Q(id_number_hash=""),
                name="person_unique_id_number",
            )
        ]
        indexes = [
            models.Index(fields=["community", "birth_date"]),
            models.Index(fields=["home_compound"]),
            # Roll-ups (age pyramid, people per community) read only these columns: an index-only scan
            # instead of a pass over the whole, wide table (bench/foundation/results.md).
            models.Index(
                fields=["community", "birth_date", "sex", "hukou_is_local", "id"],
                condition=models.Q(is_deceased=False, merged_into__isnull=True),
                name="person_alive_age_idx",
            ),
            # Tag roll-ups join tags to people for the community and home compound: index-only as well.
            models.Index(fields=["id", "community", "home_compound"], name="person_tag_join_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_community(self):
        return self.community

    @property
    def age(self) -> int | None:
        if not self.birth_date:
            return None
        today = date.today()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    @property
    def is_floating(self) -> bool:
        """流动人口: household registration elsewhere."""
        return not self.hukou_is_local

    @staticmethod
    def mask_id(value: str) -> str:
        return idnumbers.mask(value)

    @staticmethod
    def mask_phone(value: str) -> str:
        return phones.mask(value)


class Household(TimeStampedModel):
    """户 — a household living in (or registered at) one dwelling."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("家庭户")
        COLLECTIVE = "collective", _("集体户")

    dwelling = models.ForeignKey("places.Dwelling", on_delete=models.PROTECT, related_name="households")
    kind = models.CharField(_("户别"), max_length=12, choices=Kind.choices, default=Kind.FAMILY)
    head = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_active = models.BooleanField(default=True)
    last_confirmed_on = models.DateField(_("最近核实日期"), null=True, blank=True)
    last_confirmed_source = models.CharField(_("核实来源"), max_length=60, blank=True)

    class Meta:
        ordering = ["dwelling"]

    def __str__(self) -> str:
        return f"{self.dwelling.address}" if self.dwelling_id else "户"

    @property
    def audit_community(self):
        return self.dwelling.community


class Relation(models.TextChoices):
    HEAD = "head", _("户主")
    SPOUSE = "spouse", _("配偶")
    CHILD = "child", _("子女")
    PARENT = "parent", _("父母")
    GRANDCHILD = "grandchild", _("孙子女")
    GRANDPARENT = "grandparent", _("祖父母")
    SIBLING = "sibling", _("兄弟姐妹")
    CHILD_IN_LAW = "child_in_law", _("儿媳/女婿")
    OTHER_RELATIVE = "relative", _("其他亲属")
    NON_RELATIVE = "non_relative", _("非亲属")


class HouseholdMember(TimeStampedModel):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    relation = models.CharField(_("与户主关系"), max_length=14, choices=Relation.choices)
    joined_on = models.DateField(_("入户日期"), null=True, blank=True)
    left_on = models.DateField(_("离户日期"), null=True, blank=True)

    # Attached by selectors and views for display (not columns).
    current_tags: list
    past_tags: list
    visible: bool

    class Meta:
        ordering = ["household", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "person"],
                condition=models.Q(left_on__isnull=True),
                name="member_unique_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_relation_display()})"

    @property
    def audit_community(self):
        return self.household.dwelling.community


class Residency(TimeStampedModel):
    """Who stands in what relation to a dwelling: owner / tenant / occupant / registered-only, with dates.
    "买房的人没有住,住的不是买房人" is two residencies: an owner who does not live here, a tenant who does."""

    class Role(models.TextChoices):
        OWNER = "owner", _("产权人")
        TENANT = "tenant", _("租户")
        OCCUPANT = "occupant", _("实际居住")
        REGISTERED = "registered", _("仅户籍登记")

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="residencies")
    dwelling = models.ForeignKey("places.Dwelling", on_delete=models.PROTECT, related_name="residencies")
    role = models.CharField(_("居住关系"), max_length=12, choices=Role.choices)
    lives_here = models.BooleanField(_("在此居住"), default=True)
    since = models.DateField(_("起始日期"), null=True, blank=True)
    until = models.DateField(_("结束日期"), null=True, blank=True)
    source = models.CharField(_("信息来源"), max_length=60, blank=True)

    # Attached by selectors for display (not a column).
    current_tags: list

    class Meta:
        ordering = ["dwelling", "role"]
        verbose_name_plural = "residencies"
        indexes = [models.Index(fields=["dwelling", "until"]), models.Index(fields=["person", "until"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(until__isnull=True)
                | models.Q(since__isnull=True)
                | models.Q(until__gte=models.F("since")),
                name="residency_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_role_display()}"

    @property
    def is_current(self) -> bool:
        return self.until is None or self.until >= date.today()

    @property
    def audit_community(self):
        return self.dwelling.community


class GroupTag(TimeStampedModel):
    """Vulnerable and special groups (独居老人, 孤寡老人, 残疾, 低保, 特困, 慢病, 孕产妇, 婴幼儿 …)."""

    class Kind(models.TextChoices):
        ALONE_ELDERLY = "alone_elderly", _("独居老人")
        WIDOWED_ELDERLY = "widowed_elderly", _("孤寡老人")
        EMPTY_NEST = "empty_nest", _("空巢老人")
        DISABLED = "disabled", _("残疾")
        DIBAO = "dibao", _("低保")
        TEKUN = "tekun", _("特困")
        CHRONIC = "chronic", _("慢性病")
        PREGNANT = "pregnant", _("孕产妇")
        INFANT = "infant", _("婴幼儿")
        LEFT_BEHIND_CHILD = "left_behind_child", _("留守儿童")
        VETERAN = "veteran", _("退役军人")
        MENTAL = "mental", _("严重精神障碍")
        BEDRIDDEN = "bedridden", _("失能/半失能")

    HEALTH_KINDS = frozenset({"disabled", "chronic", "pregnant", "mental", "bedridden"})
    VULNERABLE_KINDS = frozenset(
        {"alone_elderly", "widowed_elderly", "disabled", "dibao", "tekun", "bedridden"}
    )

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="tags")
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices, db_index=True)
    grade = models.CharField(_("等级"), max_length=20, blank=True, help_text="e.g. 残疾 一级–四级")
    detail = models.CharField(_("说明"), max_length=200, blank=True)
    since = models.DateField(_("起始日期"), null=True, blank=True)
    until = models.DateField(_("结束日期"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["kind"]
        indexes = [models.Index(fields=["kind", "until"])]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def is_health(self) -> bool:
        return self.kind in self.HEALTH_KINDS

    @property
    def audit_community(self):
        return self.person.community


class Need(TimeStampedModel):
    """服务需求 — what a household needs now (meal delivery, medicine, home care, repair …)."""

    class Kind(models.TextChoices):
        MEALS = "meals", _("助餐")
        MEDICINE = "medicine", _("代购药品")
        CARE = "care", _("居家照护")
        MEDICAL = "medical", _("就医协助")
        REPAIR = "repair", _("维修")
        FINANCIAL = "financial", _("救助帮扶")
        PSYCH = "psych", _("心理疏导")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        IN_PROGRESS = "in_progress", _("处理中")
        MET = "met", _("已满足")
        CLOSED = "closed", _("已关闭")

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="needs")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="needs")
    kind = models.CharField(_("需求类别"), max_length=12, choices=Kind.choices)
    detail = models.CharField(_("说明"), max_length=300, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["status", "-created_at"]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def audit_community(self):
        return self.household.dwelling.community


class Duty(TimeStampedModel):
    """A person's duty in the community, with a place of duty — the roster teams are formed from."""

    class Kind(models.TextChoices):
        COMMUNITY_WORKER = "community_worker", _("社区工作者")
        GRID_WORKER = "grid_worker", _("网格员")
        BUILDING_LEADER = "building_leader", _("楼栋长")
        PARTY_MEMBER = "party_member", _("党员")
        PARTY_HOUSEHOLD = "party_household", _("党员中心户")
        VOLUNTEER = "volunteer", _("志愿者")
        SUNK_CADRE = "sunk_cadre", _("下沉干部")
        REPORTING_MEMBER = "reporting_member", _("在职党员报到")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="duties")
    kind = models.CharField(_("职责"), max_length=20, choices=Kind.choices, db_index=True)
    place = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        related_name="duties",
        help_text="place of duty: community, compound or building",
    )
    grid = models.ForeignKey(
        "places.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="duties"
    )
    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    building = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("岗位"), max_length=60, blank=True)
    employer = models.CharField(
        _("工作单位"), max_length=100, blank=True, help_text="for sunk cadres and reporting party members"
    )
    skills = models.CharField(_("技能"), max_length=200, blank=True)
    since = models.DateField(_("起始日期"), null=True, blank=True)
    until = models.DateField(_("结束日期"), null=True, blank=True)
    is_active = models.BooleanField(default=True, db_index=True)

    class Meta:
        ordering = ["kind", "id"]
        verbose_name_plural = "duties"

    def __str__(self) -> str:
        return f"{self.person} · {self.get_kind_display()}"

    @property
    def audit_community(self):
        return self.community

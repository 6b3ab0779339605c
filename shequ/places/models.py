"""Places (M1): 街道 → 社区 → 小区 → 楼栋 → 单元 → 户, grids (网格) grouping buildings, and facilities."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.divisions import validate_division_code
from shequ.core.models import TimeStampedModel
from shequ.places.levels import LEVEL_ORDER, PARENT_LEVEL, Level


class Place(TimeStampedModel):
    """A node of the place tree. It carries a materialised `path` and one column per level; a place's own
    level column points at itself, so `Place.objects.filter(community=c)` is c and everything under it."""

    level = models.CharField(max_length=10, choices=Level.choices)
    name = models.CharField(_("名称"), max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    sort_key = models.PositiveIntegerField(
        default=0, help_text="numeric order among siblings (3栋 before 12栋)"
    )
    street = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(
        "places.Grid", null=True, blank=True, on_delete=models.SET_NULL, related_name="places"
    )

    # 街道 / 社区
    division_code = models.CharField(_("统计用区划代码"), max_length=12, blank=True, db_index=True)
    # 小区 conditions: 三无小区 = no property management, no security, no enclosure
    has_property_management = models.BooleanField(_("有物业管理"), null=True, blank=True)
    property_company = models.CharField(_("物业公司"), max_length=100, blank=True)
    has_security = models.BooleanField(_("有保安"), null=True, blank=True)
    is_enclosed = models.BooleanField(_("封闭式"), null=True, blank=True)
    built_year = models.PositiveSmallIntegerField(_("建成年份"), null=True, blank=True)
    # 楼栋
    floors = models.PositiveSmallIntegerField(_("层数"), null=True, blank=True)
    has_elevator = models.BooleanField(_("有电梯"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)

    # Counts some selectors attach for display (not columns).
    child_count: int
    dwelling_count: int
    resident_count: int

    class Meta:
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="place_unique_name_under_parent"),
        ]
        indexes = [
            models.Index(fields=["level", "community"]),
            models.Index(fields=["level", "street"]),
            models.Index(fields=["level", "compound"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_three_without(self) -> bool:
        """三无小区: none of property management, security, enclosure."""
        return (
            self.level == Level.COMPOUND
            and self.has_property_management is False
            and self.has_security is False
            and self.is_enclosed is False
        )

    @property
    def audit_community(self):
        return self.community

    def clean(self) -> None:
        expected_parent = PARENT_LEVEL.get(self.level)
        if expected_parent is None and self.parent_id:
            raise ValidationError({"parent": _("街道是最高层级,不能有上级")})
        if expected_parent is not None:
            if self.parent is None:
                raise ValidationError({"parent": _("请选择上级地点")})
            if self.parent.level != expected_parent:
                raise ValidationError(
                    {
                        "parent": _("上级地点层级不对:%(level)s 的上级应为 %(parent)s")
                        % {"level": Level(self.level).label, "parent": Level(expected_parent).label}
                    }
                )
        if self.level in (Level.STREET, Level.COMMUNITY) and self.division_code:
            try:
                validate_division_code(self.division_code, level=self.level)
            except ValidationError as exc:
                raise ValidationError({"division_code": exc.messages}) from exc
        if self.grid_id and self.level not in (Level.BUILDING, Level.UNIT):  # a unit inherits its building's
            raise ValidationError({"grid": _("只有楼栋属于网格")})
        if self.grid is not None and self.grid.community_id != (
            self.parent.community_id if self.parent else None
        ):
            raise ValidationError({"grid": _("网格必须属于楼栋所在的社区")})

    def fill_lineage(self) -> None:
        """Set path and level columns from the parent (called by services before save)."""
        parent = self.parent
        for level in LEVEL_ORDER:
            setattr(self, f"{level}_id", getattr(parent, f"{level}_id", None) if parent else None)
        if self.level in (Level.UNIT,) and parent is not None:
            self.grid_id = parent.grid_id

    def full_address(self) -> str:
        parts = []
        for level in (Level.COMPOUND, Level.BUILDING, Level.UNIT):
            node = getattr(self, level)
            if node is not None:
                parts.append(node.name)
        return "".join(parts)


class Grid(TimeStampedModel):
    """网格 — a grouping of buildings inside one community, kept by a grid worker."""

    community = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="grids")
    street = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("网格名称"), max_length=60)
    code = models.CharField(_("网格编码"), max_length=30, blank=True)

    # Counts some selectors attach for display (not columns).
    building_count: int
    dwelling_count: int

    class Meta:
        ordering = ["community", "name"]
        constraints = [models.UniqueConstraint(fields=["community", "name"], name="grid_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_community(self):
        return self.community

    # A grid exposes the same columns as a place, so jurisdiction checks (covers) work on it too.
    @property
    def grid_id(self) -> int:
        return self.pk


class Dwelling(TimeStampedModel):
    """户 — one dwelling (room) in a unit, with the same level columns as Place so scoping is one filter."""

    class Use(models.TextChoices):
        RESIDENTIAL = "residential", _("住宅")
        COMMERCIAL = "commercial", _("商铺")
        MIXED = "mixed", _("商住")
        OFFICE = "office", _("办公")
        OTHER = "other", _("其他")

    unit = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="dwellings")
    room = models.CharField(_("房号"), max_length=20)
    floor = models.SmallIntegerField(_("楼层"), null=True, blank=True)
    area_m2 = models.DecimalField(_("面积(平方米)"), max_digits=7, decimal_places=2, null=True, blank=True)
    use = models.CharField(_("用途"), max_length=12, choices=Use.choices, default=Use.RESIDENTIAL)
    is_vacant = models.BooleanField(_("空置"), default=False)
    street = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="dwellings")
    address = models.CharField(
        _("地址"), max_length=200, blank=True, db_index=True, help_text="阳光花园3栋2单元501, kept for search"
    )

    class Meta:
        ordering = ["unit", "room"]
        constraints = [models.UniqueConstraint(fields=["unit", "room"], name="dwelling_unique_room")]
        indexes = [models.Index(fields=["community"]), models.Index(fields=["building"])]

    def __str__(self) -> str:
        return self.address or f"{self.room}"

    @property
    def audit_community(self):
        return self.community

    def fill_lineage(self) -> None:
        unit = self.unit
        compound, building = unit.compound, unit.building
        if unit.street_id is None or unit.community_id is None or compound is None or building is None:
            raise ValidationError({"unit": _("房屋须建在单元下")})
        self.street_id, self.community_id = unit.street_id, unit.community_id
        self.compound_id, self.building_id = compound.pk, building.pk
        self.grid_id = unit.grid_id
        self.address = f"{compound.name}{building.name}{unit.name}{self.room}"

    def masked_address(self) -> str:
        """For roles that may see a record but not a home address: the room is hidden."""
        return f"{self.compound.name}{self.building.name}{self.unit.name}***"


class Facility(TimeStampedModel):
    """15分钟生活圈 facilities: clinic, market, pharmacy, shelter, evacuation route."""

    class Kind(models.TextChoices):
        CLINIC = "clinic", _("卫生服务站")
        MARKET = "market", _("菜市场")
        SUPERMARKET = "supermarket", _("超市")
        PHARMACY = "pharmacy", _("药店")
        SHELTER = "shelter", _("应急避难场所")
        EVACUATION = "evacuation", _("疏散通道")
        ELDERLY = "elderly", _("养老服务站")
        SCHOOL = "school", _("学校/幼儿园")
        SERVICE = "service", _("党群服务中心")

    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    place = models.ForeignKey(
        Place,
        on_delete=models.PROTECT,
        related_name="facilities",
        help_text="the community or compound it stands in",
    )
    street = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    compound = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    walk_minutes = models.PositiveSmallIntegerField(_("步行分钟"), null=True, blank=True)
    serves = models.ManyToManyField(
        Place, blank=True, related_name="served_by", help_text="compounds within its 15-minute walk"
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return self.name

    @property
    def audit_community(self):
        return self.community

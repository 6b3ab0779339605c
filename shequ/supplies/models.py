"""Emergency supplies (M11): the item catalogue, stores, stock by lot, the stock ledger, consumption norms,
requests from compounds/teams/communities, and allocation rounds that share scarce stock out by need."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import TimeStampedModel
from shequ.places.models import Level

QTY = {"max_digits": 14, "decimal_places": 3}


class Item(TimeStampedModel):
    """物资目录 — one catalogue entry of a street (口罩 by grade, 手套, 消毒液, 体温计, 防护服, 药品, 食品储备)."""

    class Category(models.TextChoices):
        MASK = "mask", _("口罩")
        GLOVES = "gloves", _("手套")
        DISINFECTANT = "disinfectant", _("消毒用品")
        THERMOMETER = "thermometer", _("体温计")
        SUIT = "suit", _("防护服")
        MEDICINE = "medicine", _("药品")
        FOOD = "food", _("食品储备")
        OTHER = "other", _("其他")

    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("物资编码"), max_length=30)
    name = models.CharField(_("名称"), max_length=80)
    category = models.CharField(_("类别"), max_length=14, choices=Category.choices)
    grade = models.CharField(_("规格/等级"), max_length=40, blank=True, help_text="KN95, 医用外科, 一次性 …")
    unit = models.CharField(_("计量单位"), max_length=10, help_text="只, 副, 升, 支, 套, 盒, 公斤")
    pack_size = models.PositiveIntegerField(_("每包装数量"), default=1)
    is_countable = models.BooleanField(
        _("按件计数"),
        default=True,
        help_text="countable items take whole numbers only; measured ones decimals",
    )
    # Default consumption per person per day; an emergency plan may set its own (ConsumptionNorm).
    daily_norm_per_person = models.DecimalField(
        _("人均日消耗"), max_digits=10, decimal_places=4, default=Decimal("0")
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category", "code"]
        constraints = [models.UniqueConstraint(fields=["street", "code"], name="supplies_item_unique_code")]

    def __str__(self) -> str:
        return f"{self.name}{f'({self.grade})' if self.grade else ''}"


class ConsumptionNorm(TimeStampedModel):
    """消耗定额 set by an emergency plan for one item (overrides the item's default while that plan is used)."""

    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    plan = models.CharField(_("预案"), max_length=60, help_text="the plan's code or name")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="norms")
    daily_norm_per_person = models.DecimalField(_("人均日消耗"), max_digits=10, decimal_places=4)

    class Meta:
        ordering = ["plan", "item"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "item"], name="supplies_norm_unique_plan_item"),
            models.CheckConstraint(
                condition=models.Q(daily_norm_per_person__gte=0), name="supplies_norm_nonneg"
            ),
        ]


class Store(TimeStampedModel):
    """应急物资仓库 — a store at street or community level."""

    place = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        related_name="supply_stores",
        help_text="street or community",
    )
    code = models.CharField(_("仓库编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    keeper = models.CharField(_("保管员"), max_length=40, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["place__path", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_community(self):
        return self.place.community

    @property
    def is_street_store(self) -> bool:
        return self.place.level == Level.STREET


class StockLot(models.Model):
    """Stock of one item in one store, per lot and expiry. `quantity` never goes below zero: writes take stock
    with a conditional UPDATE and the CHECK constraint below stands under it."""

    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="lots")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="lots")
    lot_number = models.CharField(_("批号"), max_length=40, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    quantity = models.DecimalField(_("数量"), default=Decimal("0"), **QTY)
    received_on = models.DateField(_("入库日期"), null=True, blank=True)

    class Meta:
        ordering = ["store", "item", "expires_on", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="supplies_stock_nonnegative"),
            models.UniqueConstraint(
                fields=["store", "item", "lot_number", "expires_on"], name="supplies_lot_unique"
            ),
        ]
        indexes = [models.Index(fields=["store", "item"]), models.Index(fields=["expires_on"])]

    def __str__(self) -> str:
        return f"{self.item} {self.lot_number or '-'}"

    @property
    def audit_community(self):
        return self.store.place.community


class ReorderLevel(TimeStampedModel):
    """补货线 — when a store's stock of an item falls to this level it should be replenished."""

    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="reorder_levels")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    level = models.DecimalField(_("补货线"), **QTY)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["store", "item"], name="supplies_reorder_unique"),
            models.CheckConstraint(condition=models.Q(level__gte=0), name="supplies_reorder_nonneg"),
        ]


class Movement(models.Model):
    """库存台账 — one signed change of one lot. The sum of a lot's movements equals its quantity."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("入库")
        ISSUE = "issue", _("出库")
        TRANSFER_OUT = "transfer_out", _("调出")
        TRANSFER_IN = "transfer_in", _("调入")
        ADJUSTMENT = "adjustment", _("盘点调整")
        WRITE_OFF = "write_off", _("过期报废")

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    kind = models.CharField(_("类型"), max_length=14, choices=Kind.choices)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="movements")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(StockLot, on_delete=models.PROTECT, related_name="movements")
    quantity = models.DecimalField(_("数量"), help_text="positive in, negative out", **QTY)
    other_store = models.ForeignKey(
        Store, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="for transfers"
    )
    reference = models.CharField(_("单据号"), max_length=40, blank=True, db_index=True)
    recipient = models.CharField(_("领用方"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["store", "item", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.item} {self.quantity}"


class SupplyRequest(TimeStampedModel):
    """物资申领 — a compound, team or community asks the street for an item."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待分配")
        ALLOCATED = "allocated", _("已分配")
        PARTIAL = "partial", _("部分分配")
        RECEIVED = "received", _("已签收")
        REJECTED = "rejected", _("未分配")
        CANCELLED = "cancelled", _("已撤回")

    number = models.CharField(_("申领单号"), max_length=20, unique=True)
    place = models.ForeignKey(
        "places.Place",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="requesting community or compound",
    )
    team = models.CharField(_("申领队伍"), max_length=60, blank=True, help_text="e.g. 卡口值守组")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="requests")
    quantity = models.DecimalField(_("申领数量"), **QTY)
    reason = models.CharField(_("用途说明"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="supplies_request_pos")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_community(self):
        return self.place.community


class AllocationRound(TimeStampedModel):
    """分配批次 — the street shares one item from one store across open requests, by need."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草案")
        CONFIRMED = "confirmed", _("已确认出库")

    number = models.CharField(_("批次号"), max_length=20, unique=True)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="allocation_rounds")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    available = models.DecimalField(_("可分配数量"), **QTY)
    weights = models.JSONField(_("权重"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_community(self):
        return self.store.place.community


class Allocation(TimeStampedModel):
    """One request's share in a round, with the reasons written out."""

    round = models.ForeignKey(AllocationRound, on_delete=models.CASCADE, related_name="allocations")
    request = models.ForeignKey(SupplyRequest, on_delete=models.PROTECT, related_name="allocations")
    quantity = models.DecimalField(_("分配数量"), **QTY)
    score = models.FloatField(_("需求得分"), default=0)
    factors = models.JSONField(default=dict)
    explanation = models.TextField(_("分配说明"), blank=True)
    received_quantity = models.DecimalField(_("签收数量"), null=True, blank=True, **QTY)
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_into = models.ForeignKey(
        Store,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="stocked on receipt",
    )

    class Meta:
        ordering = ["round", "-score"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=0), name="supplies_allocation_nonneg"),
            models.UniqueConstraint(fields=["round", "request"], name="supplies_allocation_unique"),
        ]

    @property
    def audit_community(self):
        return self.request.place.community

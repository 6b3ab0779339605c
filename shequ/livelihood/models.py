"""The living guarantee (M11): merchants and the areas they serve, group buying per building or compound (团购)
with orders, pick lists, delivery runs and contactless hand-over, medicine bought on behalf (代购药品), and
helpers paired with vulnerable residents (结对) with their contact log."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import TimeStampedModel


class Merchant(TimeStampedModel):
    """保供商户 — a supermarket, pharmacy or market that supplies the community."""

    class Kind(models.TextChoices):
        SUPERMARKET = "supermarket", _("超市")
        PHARMACY = "pharmacy", _("药店")
        MARKET = "market", _("菜市场")
        OTHER = "other", _("其他")

    street = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("商户名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    contact_name = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    contact_phone_encrypted = models.TextField(blank=True, editable=False)
    areas = models.ManyToManyField(
        "places.Place", related_name="merchants", help_text="communities or compounds it serves"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class GroupBuy(TimeStampedModel):
    """团购 — one merchant's list offered to a building or compound, with a cut-off."""

    class Status(models.TextChoices):
        OPEN = "open", _("接龙中")
        CLOSED = "closed", _("已截单")
        DELIVERING = "delivering", _("配送中")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    code = models.CharField(_("团购编号"), max_length=20, unique=True)
    title = models.CharField(_("名称"), max_length=100)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="group_buys")
    place = models.ForeignKey(
        "places.Place", on_delete=models.PROTECT, related_name="+", help_text="the building or compound"
    )
    cutoff_at = models.DateTimeField(_("截单时间"))
    delivery_on = models.DateField(_("配送日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def audit_community(self):
        return self.place.community


class GroupBuyItem(models.Model):
    group_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(_("商品"), max_length=80)
    unit = models.CharField(_("单位"), max_length=10, default="份")
    price = models.DecimalField(_("单价(元)"), max_digits=9, decimal_places=2)
    limit_per_household = models.PositiveIntegerField(_("每户限购"), default=1)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["group_buy", "sort", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="livelihood_item_price_nonneg"),
            models.CheckConstraint(
                condition=models.Q(limit_per_household__gte=1), name="livelihood_limit_pos"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Order(TimeStampedModel):
    """One household's order in a group buy, with its delivery status and pickup code."""

    class Status(models.TextChoices):
        PLACED = "placed", _("已下单")
        CANCELLED = "cancelled", _("已取消")
        OUT = "out", _("配送中")
        DELIVERED = "delivered", _("已送达")
        RECEIVED = "received", _("已签收")

    class Channel(models.TextChoices):
        PHONE = "phone", _("居民手机下单")
        LEADER = "leader", _("楼栋长代下单")
        WORKER = "worker", _("社区代下单")

    number = models.CharField(_("订单号"), max_length=20, unique=True)
    group_buy = models.ForeignKey(GroupBuy, on_delete=models.PROTECT, related_name="orders")
    household = models.ForeignKey("ledger.Household", on_delete=models.PROTECT, related_name="+")
    dwelling = models.ForeignKey("places.Dwelling", on_delete=models.PROTECT, related_name="+")
    building = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("下单方式"), max_length=8, choices=Channel.choices)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PLACED)
    total = models.DecimalField(_("金额"), max_digits=10, decimal_places=2, default=Decimal("0"))
    pickup_code = models.CharField(_("取件码"), max_length=6)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    class Meta:
        ordering = ["building", "dwelling", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_buy", "household"],
                condition=~models.Q(status="cancelled"),
                name="livelihood_one_order_per_household",
            )
        ]
        indexes = [models.Index(fields=["group_buy", "building"])]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_community(self):
        return self.dwelling.community


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(GroupBuyItem, on_delete=models.PROTECT, related_name="lines")
    quantity = models.PositiveIntegerField(_("数量"))
    price = models.DecimalField(_("单价"), max_digits=9, decimal_places=2)

    class Meta:
        ordering = ["order", "item__sort", "item_id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gte=1), name="livelihood_line_pos")
        ]

    def __str__(self) -> str:
        return f"{self.item} ×{self.quantity}"


class DeliveryAssignment(TimeStampedModel):
    """配送分工 — a volunteer takes a building's orders of a group buy."""

    group_buy = models.ForeignKey(GroupBuy, on_delete=models.CASCADE, related_name="assignments")
    building = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    orders_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["group_buy", "volunteer", "building"]
        constraints = [
            models.UniqueConstraint(
                fields=["group_buy", "building"], name="livelihood_assign_unique_building"
            )
        ]


class MedicinePurchase(TimeStampedModel):
    """代购药品 — medicine bought on a resident's behalf. What medicine is health data: stored encrypted, shown
    as a masked summary, revealed only with a reason and an audit row."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("待代购")
        BOUGHT = "bought", _("已购买")
        DELIVERED = "delivered", _("已送达")
        CANCELLED = "cancelled", _("已取消")

    number = models.CharField(_("代购单号"), max_length=20, unique=True)
    person = models.ForeignKey("ledger.Person", on_delete=models.PROTECT, related_name="+")
    dwelling = models.ForeignKey("places.Dwelling", on_delete=models.PROTECT, related_name="+")
    pharmacy = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.SET_NULL, related_name="medicine_purchases"
    )
    details_encrypted = models.TextField(editable=False)
    details_masked = models.CharField(_("药品(已隐藏)"), max_length=60)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cost = models.DecimalField(_("金额(元)"), max_digits=9, decimal_places=2, null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_community(self):
        return self.dwelling.community


class HelperCapacity(TimeStampedModel):
    """How many vulnerable residents a helper can look after (default 3)."""

    person = models.OneToOneField("ledger.Person", on_delete=models.CASCADE, related_name="helper_capacity")
    capacity = models.PositiveSmallIntegerField(_("可结对人数"), default=3)


class CareSelection(TimeStampedModel):
    """A resident a worker chose to include in pairing though no vulnerable tag applies (e.g. a family in need)."""

    person = models.OneToOneField("ledger.Person", on_delete=models.CASCADE, related_name="care_selection")
    reason = models.CharField(_("纳入原因"), max_length=100)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)


class Pairing(TimeStampedModel):
    """结对 — a helper (volunteer, party member, worker) looks after a vulnerable resident."""

    class Source(models.TextChoices):
        OPTIMISER = "optimiser", _("系统建议")
        MANUAL = "manual", _("人工指定")

    class Proximity(models.TextChoices):
        BUILDING = "building", _("同楼栋")
        COMPOUND = "compound", _("同小区")
        COMMUNITY = "community", _("同社区")

    resident = models.ForeignKey(
        "ledger.Person", on_delete=models.PROTECT, related_name="pairings_as_resident"
    )
    helper = models.ForeignKey("ledger.Person", on_delete=models.PROTECT, related_name="pairings_as_helper")
    helper_role = models.CharField(_("帮扶人身份"), max_length=20, blank=True)
    dwelling = models.ForeignKey("places.Dwelling", on_delete=models.PROTECT, related_name="+")
    proximity = models.CharField(_("距离"), max_length=10, choices=Proximity.choices)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices)
    is_active = models.BooleanField(default=True, db_index=True)
    started_at = models.DateTimeField(_("结对时间"), auto_now_add=True)
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("最近联系"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["dwelling", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=models.Q(is_active=True), name="livelihood_one_active_pairing"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resident} ← {self.helper}"

    @property
    def audit_community(self):
        return self.dwelling.community


class Contact(TimeStampedModel):
    """联系记录 — a call, visit or delivery to a paired resident."""

    class Kind(models.TextChoices):
        CALL = "call", _("电话")
        VISIT = "visit", _("上门")
        DELIVERY = "delivery", _("送物资")

    pairing = models.ForeignKey(Pairing, on_delete=models.PROTECT, related_name="contacts")
    kind = models.CharField(_("方式"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("时间"), db_index=True)
    note = models.CharField(_("情况"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at"]

"""The living-guarantee API (/api/v1/livelihood/...): merchants, group buys with their orders, sheets and delivery,
orders with hand-over by pickup code, medicine on behalf (masked; reveal audited), pairings with contacts,
coverage. Scoped by the same selectors as the pages: another community's object answers 404."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from shequ.core.api import resolve_visible
from shequ.core.errors import DomainError
from shequ.core.rights import Right
from shequ.ledger.selectors import people_visible_to
from shequ.livelihood import selectors, services
from shequ.livelihood.models import (
    Contact,
    GroupBuy,
    GroupBuyItem,
    MedicinePurchase,
    Merchant,
    Order,
    Pairing,
)

ERRORS = {
    400: OpenApiResponse(description="输入有误:{字段: [问题]}"),
    403: OpenApiResponse(description="没有权限"),
    404: OpenApiResponse(description="不存在或不在管辖范围内"),
}


class MerchantSerializer(serializers.ModelSerializer):
    areas = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Merchant
        fields = ["id", "name", "kind", "contact_name", "contact_phone_masked", "areas", "is_active"]


class MerchantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """保供商户 serving the caller's places."""

    serializer_class = MerchantSerializer

    def get_queryset(self):
        return selectors.merchants_visible_to(self.request.user, Right.LIVELIHOOD_ORDER)


class GroupBuyItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = GroupBuyItem
        fields = ["id", "name", "unit", "price", "limit_per_household"]


class GroupBuySerializer(serializers.ModelSerializer):
    items = GroupBuyItemSerializer(many=True, read_only=True)
    merchant_name = serializers.CharField(source="merchant.name", read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)

    class Meta:
        model = GroupBuy
        fields = [
            "id",
            "code",
            "title",
            "merchant",
            "merchant_name",
            "place",
            "place_name",
            "cutoff_at",
            "delivery_on",
            "status",
            "note",
            "items",
        ]


class OrderLineSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    name = serializers.CharField(source="item.name")
    quantity = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=9, decimal_places=2)


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)
    address = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "group_buy",
            "address",
            "channel",
            "status",
            "total",
            "delivered_at",
            "received_at",
            "lines",
        ]

    def get_address(self, obj) -> str:
        return obj.dwelling.masked_address()


class OrderLineInput(serializers.Serializer):
    item = serializers.IntegerField()
    quantity = serializers.CharField(help_text="整数,不超过每户限购")


class OrderInput(serializers.Serializer):
    household = serializers.IntegerField(help_text="本户,或楼栋长代下单的住户")
    lines = OrderLineInput(many=True)


class DeliveryPlanInput(serializers.Serializer):
    volunteers = serializers.ListField(child=serializers.IntegerField(), help_text="志愿者用户 id")


class GroupBuyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """团购 offered to the caller's building/compound (residents) or places (workers)."""

    serializer_class = GroupBuySerializer

    def get_queryset(self):
        user = self.request.user
        return (
            selectors.group_buys_visible_to(user)
            | selectors.group_buys_visible_to(user, Right.LIVELIHOOD_DELIVER)
        ).prefetch_related("items")

    @extend_schema(request=OrderInput, responses={201: OrderSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def orders(self, request, pk=None):
        """下单:截单后、超出限购、负数或小数数量均拒绝,并指出字段."""
        gb = self.get_object()
        data = OrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        household = resolve_visible(
            selectors.households_for_leader(request.user, gb) | selectors.own_households(request.user),
            data.validated_data["household"],
            field="household",
            label="住户",
        )
        quantities = {}
        for line in data.validated_data["lines"]:
            quantities[line["item"]] = line["quantity"]
        order = services.order_place(
            actor=request.user, group_buy=gb, household=household, quantities=quantities
        )
        return Response(OrderSerializer(order).data, status=201)

    @extend_schema(responses={200: OpenApiResponse(description="商户订货单与各楼栋分拣单"), **ERRORS})
    @action(detail=True, methods=["get"])
    def sheets(self, request, pk=None):
        gb = self.get_object()
        sheets = selectors.group_buy_sheets(gb)
        return Response(
            {
                "merchant": [
                    {
                        "name": r["name"],
                        "unit": r["unit"],
                        "quantity": r["quantity"],
                        "amount": str(r["amount"]),
                    }
                    for r in sheets["merchant"]
                ],
                "pick_lists": [
                    {
                        "building": p["building_obj"].name if p["building_obj"] else "",
                        "volunteer": p["volunteer"].display_label if p["volunteer"] else "",
                        "orders": [
                            {
                                "dwelling": e["dwelling"],
                                "pickup_code": e["pickup_code"],
                                "items": [{"name": n, "quantity": q, "unit": u} for n, q, u in e["items"]],
                            }
                            for e in p["orders"]
                        ],
                    }
                    for p in sheets["picks"]
                ],
            }
        )

    @extend_schema(request=None, responses={200: GroupBuySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """截单."""
        return Response(
            GroupBuySerializer(services.group_buy_close(actor=request.user, group_buy=self.get_object())).data
        )

    @extend_schema(request=DeliveryPlanInput, responses={200: GroupBuySerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def plan_delivery(self, request, pk=None):
        """按订单量均衡安排志愿者配送楼栋(志愿者须负责该团购所在区域,否则视为不存在)."""
        gb = self.get_object()
        data = DeliveryPlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        volunteers = selectors.deliverers_of(gb, ids=data.validated_data["volunteers"])
        if len(volunteers) != len(set(data.validated_data["volunteers"])):
            raise DomainError(gettext("志愿者不存在"), field="volunteers")
        services.delivery_plan(actor=request.user, group_buy=gb, volunteers=volunteers)
        gb.refresh_from_db()
        return Response(GroupBuySerializer(gb).data)


class CodeInput(serializers.Serializer):
    pickup_code = serializers.CharField()


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Orders the caller placed or may see (own household, building, community) or delivers."""

    serializer_class = OrderSerializer

    def get_queryset(self):
        user = self.request.user
        return (
            (selectors.orders_visible_to(user) | selectors.deliverable_orders(user))
            .distinct()
            .prefetch_related("lines__item")
        )

    @extend_schema(request=None, responses={200: OrderSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def delivered(self, request, pk=None):
        """无接触送达(志愿者)."""
        return Response(
            OrderSerializer(services.order_mark_delivered(actor=request.user, order=self.get_object())).data
        )

    @extend_schema(request=CodeInput, responses={200: OrderSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """用取件码签收;取件码不符拒绝."""
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_confirm_receipt(
            actor=request.user, order=self.get_object(), code=data.validated_data["pickup_code"]
        )
        return Response(OrderSerializer(order).data)

    @extend_schema(request=None, responses={200: OrderSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response(
            OrderSerializer(services.order_cancel(actor=request.user, order=self.get_object())).data
        )


class MedicineSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = MedicinePurchase
        fields = [
            "id",
            "number",
            "person",
            "person_name",
            "details_masked",
            "status",
            "cost",
            "pharmacy",
            "created_at",
        ]


class MedicineInput(serializers.Serializer):
    person = serializers.IntegerField()
    details = serializers.CharField(help_text="健康信息:加密保存,列表中隐藏")
    pharmacy = serializers.IntegerField(required=False, allow_null=True, default=None)


class RevealInput(serializers.Serializer):
    reason = serializers.CharField()


class MedicineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """代购药品 — details masked; `reveal` shows them with a reason and an audit row."""

    serializer_class = MedicineSerializer

    def get_queryset(self):
        return selectors.medicine_visible_to(self.request.user)

    @extend_schema(request=MedicineInput, responses={201: MedicineSerializer, **ERRORS})
    def create(self, request):
        data = MedicineInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        person = resolve_visible(
            people_visible_to(request.user, Right.LIVELIHOOD_ORDER), d["person"], field="person", label="居民"
        )
        pharmacy = resolve_visible(
            selectors.merchants_visible_to(request.user, Right.LIVELIHOOD_ORDER),
            d["pharmacy"],
            field="pharmacy",
            label="药店",
        )
        obj = services.medicine_request(
            actor=request.user, person=person, details=d["details"], pharmacy=pharmacy
        )
        return Response(MedicineSerializer(obj).data, status=201)

    @extend_schema(
        request=RevealInput, responses={200: OpenApiResponse(description="{details: 明文}"), **ERRORS}
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        data = RevealInput(data=request.data)
        data.is_valid(raise_exception=True)
        details = services.medicine_reveal(
            actor=request.user, purchase=self.get_object(), reason=data.validated_data["reason"]
        )
        return Response({"details": details})


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "kind", "at", "note"]


class PairingSerializer(serializers.ModelSerializer):
    resident_name = serializers.CharField(source="resident.name", read_only=True)
    helper_name = serializers.CharField(source="helper.name", read_only=True)
    address = serializers.SerializerMethodField()

    class Meta:
        model = Pairing
        fields = [
            "id",
            "resident",
            "resident_name",
            "helper",
            "helper_name",
            "helper_role",
            "address",
            "proximity",
            "source",
            "is_active",
            "started_at",
            "last_contact_at",
        ]

    def get_address(self, obj) -> str:
        return obj.dwelling.masked_address()


class PairingInput(serializers.Serializer):
    resident = serializers.IntegerField()
    helper = serializers.IntegerField()


class ContactInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Contact.Kind.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")
    at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class PairingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """结对 of vulnerable residents with helpers; `contacts` logs a call/visit/delivery; `gaps` lists overdue."""

    serializer_class = PairingSerializer

    def get_queryset(self):
        return selectors.pairings_visible_to(self.request.user)

    @extend_schema(request=PairingInput, responses={201: PairingSerializer, **ERRORS})
    def create(self, request):
        data = PairingInput(data=request.data)
        data.is_valid(raise_exception=True)
        people = people_visible_to(request.user, Right.LIVELIHOOD_MANAGE)
        resident = resolve_visible(
            people, data.validated_data["resident"], field="resident", label="重点人员"
        )
        helper = resolve_visible(people, data.validated_data["helper"], field="helper", label="帮扶人")
        return Response(
            PairingSerializer(
                services.pairing_create(actor=request.user, resident=resident, helper=helper)
            ).data,
            status=201,
        )

    @extend_schema(request=ContactInput, responses={201: ContactSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def contacts(self, request, pk=None):
        data = ContactInput(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.contact_log(actor=request.user, pairing=self.get_object(), **data.validated_data)
        return Response(ContactSerializer(contact).data, status=201)

    @extend_schema(responses={200: PairingSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def gaps(self, request):
        """超过联系时限(事件期间24小时,平时7天)未联系的结对."""
        return Response(PairingSerializer(selectors.contact_gaps(actor=request.user), many=True).data)


class CoverageView(APIView):
    """重点人群结对覆盖率."""

    @extend_schema(
        responses={200: OpenApiResponse(description="{total, paired, recent, share_paired, share_covered}")}
    )
    def get(self, request):
        data = selectors.coverage(actor=request.user)
        data.pop("chart", None)
        return Response(data)


def register(router) -> None:
    router.register("livelihood/merchants", MerchantViewSet, basename="livelihood-merchant")
    router.register("livelihood/group-buys", GroupBuyViewSet, basename="livelihood-groupbuy")
    router.register("livelihood/orders", OrderViewSet, basename="livelihood-order")
    router.register("livelihood/medicine", MedicineViewSet, basename="livelihood-medicine")
    router.register("livelihood/pairings", PairingViewSet, basename="livelihood-pairing")


urlpatterns = [path("livelihood/coverage/", CoverageView.as_view(), name="livelihood-coverage")]

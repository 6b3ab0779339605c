"""The supplies API (/api/v1/supplies/...): items, stores with their stock and movements, the ledger, requests,
allocation rounds. Read through the scoped selectors, written through supplies.services; another community's
store or request answers 404, and an id in a body pointing outside the caller's jurisdiction is a 400."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from shequ.core.api import StandardPagination, resolve_visible
from shequ.core.errors import DomainError
from shequ.core.rights import Right
from shequ.supplies import policies, selectors, services
from shequ.supplies.models import Allocation, AllocationRound, Item, Movement, Store, SupplyRequest

ERRORS = {
    400: OpenApiResponse(description="输入有误:{字段: [问题]}"),
    403: OpenApiResponse(description="没有权限"),
    404: OpenApiResponse(description="不存在或不在管辖范围内"),
}


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = [
            "id",
            "code",
            "name",
            "category",
            "grade",
            "unit",
            "pack_size",
            "is_countable",
            "daily_norm_per_person",
            "is_active",
        ]


class StoreSerializer(serializers.ModelSerializer):
    place_name = serializers.CharField(source="place.name", read_only=True)
    level = serializers.CharField(source="place.level", read_only=True)

    class Meta:
        model = Store
        fields = ["id", "code", "name", "place", "place_name", "level", "keeper", "is_active"]


class StockRowSerializer(serializers.Serializer):
    item = ItemSerializer()
    quantity = serializers.DecimalField(max_digits=14, decimal_places=3)
    usable = serializers.DecimalField(max_digits=14, decimal_places=3)
    expired = serializers.DecimalField(max_digits=14, decimal_places=3)
    expiring = serializers.DecimalField(max_digits=14, decimal_places=3)
    reorder_level = serializers.DecimalField(max_digits=14, decimal_places=3, allow_null=True)
    below_reorder = serializers.BooleanField()
    days_of_cover = serializers.FloatField(allow_null=True)


class MovementSerializer(serializers.ModelSerializer):
    store_code = serializers.CharField(source="store.code", read_only=True)
    item_code = serializers.CharField(source="item.code", read_only=True)
    lot_number = serializers.CharField(source="lot.lot_number", read_only=True)
    expires_on = serializers.DateField(source="lot.expires_on", read_only=True)

    class Meta:
        model = Movement
        fields = [
            "id",
            "at",
            "kind",
            "store",
            "store_code",
            "item",
            "item_code",
            "lot_number",
            "expires_on",
            "quantity",
            "other_store",
            "reference",
            "recipient",
            "note",
        ]


class ReceiptInput(serializers.Serializer):
    item = serializers.IntegerField()
    quantity = serializers.CharField(help_text="口罩等按件计数的物资只能是整数")
    lot_number = serializers.CharField(required=False, allow_blank=True, default="")
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class IssueInput(serializers.Serializer):
    item = serializers.IntegerField()
    quantity = serializers.CharField()
    recipient = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class TransferInput(IssueInput):
    to_store = serializers.IntegerField()


class StoreCreateInput(serializers.Serializer):
    place = serializers.IntegerField(help_text="街道或社区 id")
    code = serializers.CharField()
    name = serializers.CharField()
    keeper = serializers.CharField(required=False, allow_blank=True, default="")


def _item(request, value):
    return resolve_visible(selectors.items_visible_to(request.user), value, field="item", label="物资")


class ItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """物资目录 of the caller's street."""

    serializer_class = ItemSerializer

    def get_queryset(self):
        return selectors.items_visible_to(self.request.user)


class StoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stores in the caller's jurisdiction; stock and movements as actions."""

    serializer_class = StoreSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.stores_visible_to(self.request.user)

    @extend_schema(request=StoreCreateInput, responses={201: StoreSerializer, **ERRORS})
    def create(self, request):
        data = StoreCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        place = resolve_visible(
            selectors.store_places_for(request.user),
            data.validated_data["place"],
            field="place",
            label="地点",
        )
        store = services.store_create(
            actor=request.user,
            place=place,
            code=data.validated_data["code"],
            name=data.validated_data["name"],
            keeper=data.validated_data["keeper"],
        )
        return Response(StoreSerializer(store).data, status=201)

    @extend_schema(responses={200: StockRowSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"])
    def stock(self, request, pk=None):
        """库存与可保障天数, one row per item in catalogue order, paginated like the store page
        (?page=, ?page_size= up to 500; ?plan= 使用预案定额, ?category=, ?q= 名称或编码)."""
        store = self.get_object()
        rows = selectors.stock_for_store(
            store=store,
            plan=request.query_params.get("plan", "").strip(),
            category=request.query_params.get("category", ""),
            query=request.query_params.get("q", "").strip(),
        )
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(StockRowSerializer(page, many=True).data)

    @extend_schema(request=ReceiptInput, responses={201: MovementSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """入库(有效期早于今天的拒收)."""
        store = self.get_object()
        data = ReceiptInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        movement = services.stock_receive(
            actor=request.user,
            store=store,
            item=_item(request, d["item"]),
            quantity=d["quantity"],
            lot_number=d["lot_number"],
            expires_on=d["expires_on"],
            note=d["note"],
        )
        return Response(MovementSerializer(movement).data, status=201)

    @extend_schema(request=IssueInput, responses={201: MovementSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        """出库(先到期先出;库存不足整单拒绝)."""
        store = self.get_object()
        data = IssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        moves = services.stock_issue(
            actor=request.user,
            store=store,
            item=_item(request, d["item"]),
            quantity=d["quantity"],
            recipient=d["recipient"],
            note=d["note"],
        )
        return Response(MovementSerializer(moves, many=True).data, status=201)

    @extend_schema(request=TransferInput, responses={201: MovementSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        """调拨到本街道的另一仓库."""
        store = self.get_object()
        data = TransferInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        to_store = resolve_visible(
            selectors.stores_of_street(store),
            d["to_store"],
            field="to_store",
            label="调入仓库",
        )
        ref = services.stock_transfer(
            actor=request.user,
            from_store=store,
            to_store=to_store,
            item=_item(request, d["item"]),
            quantity=d["quantity"],
            note=d["note"],
        )
        return Response(MovementSerializer(selectors.movements_of_reference(ref), many=True).data, status=201)


class MovementViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """库存台账 — every movement in the caller's stores (filter ?store=&item=&kind=)."""

    serializer_class = MovementSerializer

    def get_queryset(self):
        qs = selectors.movements_visible_to(self.request.user)
        params = self.request.query_params
        for key in ("store", "item"):
            if params.get(key, "").isdigit():
                qs = qs.filter(**{f"{key}_id": int(params[key])})
        if params.get("kind") in Movement.Kind.values:
            qs = qs.filter(kind=params["kind"])
        return qs


class RequestSerializer(serializers.ModelSerializer):
    place_name = serializers.CharField(source="place.name", read_only=True)
    allocated = serializers.SerializerMethodField()

    class Meta:
        model = SupplyRequest
        fields = [
            "id",
            "number",
            "place",
            "place_name",
            "team",
            "item",
            "quantity",
            "reason",
            "status",
            "created_at",
            "allocated",
        ]

    def get_allocated(self, obj) -> str:
        total = sum(
            (a.quantity for a in obj.allocations.all() if a.round.status == AllocationRound.Status.CONFIRMED),
            0,
        )
        return f"{total}"


class RequestInput(serializers.Serializer):
    place = serializers.IntegerField(help_text="申领的社区或小区 id")
    item = serializers.IntegerField()
    quantity = serializers.CharField()
    team = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AllocationSerializer(serializers.ModelSerializer):
    request_number = serializers.CharField(source="request.number", read_only=True)
    round_number = serializers.CharField(source="round.number", read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "round",
            "round_number",
            "request",
            "request_number",
            "quantity",
            "score",
            "factors",
            "explanation",
            "received_quantity",
            "received_at",
        ]


class ReceiveInput(serializers.Serializer):
    quantity = serializers.CharField(required=False, allow_blank=True, default="")
    into_store = serializers.IntegerField(required=False, allow_null=True, default=None)


class RequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """物资申领 from communities, compounds and teams."""

    serializer_class = RequestSerializer

    def get_queryset(self):
        return selectors.requests_visible_to(self.request.user).prefetch_related("allocations__round")

    @extend_schema(request=RequestInput, responses={201: RequestSerializer, **ERRORS})
    def create(self, request):
        data = RequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        place = resolve_visible(
            selectors.request_places_for(request.user),
            d["place"],
            field="place",
            label="申领单位",
        )
        obj = services.request_submit(
            actor=request.user,
            place=place,
            item=_item(request, d["item"]),
            quantity=d["quantity"],
            team=d["team"],
            reason=d["reason"],
        )
        return Response(RequestSerializer(obj).data, status=201)

    @extend_schema(request=ReceiveInput, responses={200: AllocationSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """签收本申领已出库的分配(可入库到本单位仓库)."""
        obj = self.get_object()
        data = ReceiveInput(data=request.data)
        data.is_valid(raise_exception=True)
        into = resolve_visible(
            selectors.stores_visible_to(request.user, Right.SUPPLIES_MANAGE),
            data.validated_data["into_store"],
            field="into_store",
            label="仓库",
        )
        pending = selectors.allocations_to_receive(obj)
        done = []
        for allocation in pending:
            done.append(
                services.allocation_confirm_receipt(
                    actor=request.user,
                    allocation=allocation,
                    quantity=data.validated_data["quantity"] or None,
                    into_store=into,
                )
            )
        if not done:
            raise DomainError(gettext("没有待签收的分配"), field="status")
        return Response(AllocationSerializer(done, many=True).data)


class RoundSerializer(serializers.ModelSerializer):
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = AllocationRound
        fields = [
            "id",
            "number",
            "store",
            "item",
            "available",
            "weights",
            "status",
            "created_at",
            "allocations",
        ]


class RoundInput(serializers.Serializer):
    store = serializers.IntegerField()
    item = serializers.IntegerField()
    weights = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        default=dict,
        help_text="population / vulnerable / zone / shortfall",
    )


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """分配批次: drafted by need, confirmed to issue."""

    serializer_class = RoundSerializer

    def get_queryset(self):
        return selectors.rounds_visible_to(self.request.user).prefetch_related("allocations__request")

    @extend_schema(request=RoundInput, responses={201: RoundSerializer, **ERRORS})
    def create(self, request):
        data = RoundInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        store = resolve_visible(
            selectors.stores_visible_to(request.user, Right.SUPPLIES_ALLOCATE),
            d["store"],
            field="store",
            label="仓库",
        )
        round_ = services.allocation_round_create(
            actor=request.user, store=store, item=_item(request, d["item"]), weights=d["weights"] or None
        )
        return Response(RoundSerializer(round_).data, status=201)

    @extend_schema(request=None, responses={200: RoundSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """确认并出库."""
        round_ = services.allocation_round_confirm(actor=request.user, round_=self.get_object())
        return Response(RoundSerializer(round_).data)


class SummaryRowSerializer(serializers.Serializer):
    item = ItemSerializer()
    usable = serializers.DecimalField(max_digits=14, decimal_places=3)
    expiring = serializers.DecimalField(max_digits=14, decimal_places=3)
    days_of_cover = serializers.FloatField(allow_null=True)


class ReorderAlertSerializer(serializers.Serializer):
    store = serializers.IntegerField(source="store.pk")
    store_name = serializers.CharField(source="store.name")
    item = serializers.IntegerField(source="item.pk")
    item_name = serializers.CharField(source="item.__str__")
    usable = serializers.DecimalField(max_digits=14, decimal_places=3)
    level = serializers.DecimalField(max_digits=14, decimal_places=3)


class StockOverviewView(APIView):
    """物资总览 (the /supplies/ page): per item the issuable stock across the caller's stores and days of cover
    for the population in scope, shortest cover first, paginated (?page=, ?page_size=, ?plan=); with the
    figures at the top of the page and the reorder alerts."""

    @extend_schema(
        responses={
            200: OpenApiResponse(
                description="{population, stores, short_items, expiring_lots, expired_lots, reorder, count, "
                "next, previous, results: [{item, usable, expiring, days_of_cover}]}"
            ),
            **ERRORS,
        }
    )
    def get(self, request):
        if not policies.can_view_supplies(request.user):
            raise PermissionDenied(gettext("没有查看物资的权限"))
        summary = selectors.stock_summary(
            actor=request.user, plan=request.query_params.get("plan", "").strip()
        )
        rows = selectors.rows_by_cover(summary["rows"])
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return Response(
            {
                "population": summary["population"],
                "stores": len(summary["stores"]),
                "short_items": summary["short_items"],
                "expiring_lots": summary["expiring_lots"],
                "expired_lots": summary["expired_lots"],
                "reorder": ReorderAlertSerializer(
                    selectors.reorder_alerts(actor=request.user), many=True
                ).data,
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": SummaryRowSerializer(page, many=True).data,
            }
        )


urlpatterns = [path("supplies/stock/", StockOverviewView.as_view(), name="supplies-stock")]


def register(router) -> None:
    router.register("supplies/items", ItemViewSet, basename="supplies-item")
    router.register("supplies/stores", StoreViewSet, basename="supplies-store")
    router.register("supplies/movements", MovementViewSet, basename="supplies-movement")
    router.register("supplies/requests", RequestViewSet, basename="supplies-request")
    router.register("supplies/rounds", RoundViewSet, basename="supplies-round")

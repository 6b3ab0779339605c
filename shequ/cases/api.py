"""REST API for requests and complaints (/api/v1/cases/…): the same services and scoped selectors as the pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shequ.cases import policies, selectors, services
from shequ.cases.models import (
    DEPARTMENTS,
    SERVICE_ITEM_FIELDS,
    AdmissionItem,
    Case,
    CaseEvent,
    HandedDownDuty,
    HandlingLevel,
    ServiceItem,
    Summons,
    Whistle,
)
from shequ.core.api import ServiceViewSet
from shequ.core.errors import DomainError

# ---- serializers (what is shown) -----------------------------------------------------------------------------


class CaseSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    compound_name = serializers.CharField(source="compound.name", read_only=True, default="")
    assigned_to_name = serializers.CharField(source="assigned_to.display_label", read_only=True, default="")
    is_overdue = serializers.BooleanField(read_only=True)
    merged_into_number = serializers.CharField(source="merged_into.number", read_only=True, default="")

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "title",
            "description",
            "category",
            "category_name",
            "channel",
            "status",
            "level",
            "department",
            "deadline_at",
            "is_overdue",
            "community_name",
            "compound_name",
            "requester_name",
            "requester_phone_masked",
            "assigned_to_name",
            "created_at",
            "accepted_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "rating",
            "rating_comment",
            "escalation_count",
            "merged_into_number",
        ]
        read_only_fields = fields


class CaseEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = ["at", "actor_label", "kind", "text", "from_level", "to_level", "is_public"]
        read_only_fields = fields


class SummonsSerializer(serializers.ModelSerializer):
    party = serializers.CharField(source="party_label", read_only=True)
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Summons
        fields = ["id", "party", "department", "state", "reported_at", "action_taken"]
        read_only_fields = fields


class WhistleSerializer(serializers.ModelSerializer):
    case_number = serializers.CharField(source="case.number", read_only=True)
    case_title = serializers.CharField(source="case.title", read_only=True)
    summonses = SummonsSerializer(many=True, read_only=True)

    class Meta:
        model = Whistle
        fields = [
            "id",
            "case",
            "case_number",
            "case_title",
            "level",
            "reason",
            "report_by",
            "is_closed",
            "summonses",
            "created_at",
        ]
        read_only_fields = fields


class ServiceItemSerializer(serializers.ModelSerializer):
    community = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = ServiceItem
        fields = ["id", "community", *SERVICE_ITEM_FIELDS]
        read_only_fields = ["id", "community"]
        validators = []  # uniqueness is the service's to say


def _scoped(serializer, field: str, selector) -> None:
    """Narrow a related field's choices to what the caller may use: an id outside answers like an unknown one."""
    request = serializer.context.get("request")
    if request is not None and field in serializer.fields:
        serializer.fields[field].queryset = selector(request.user)


class ServiceItemCreateSerializer(ServiceItemSerializer):
    community = serializers.PrimaryKeyRelatedField(
        queryset=selectors.communities_editable_by(None),  # narrowed to the caller in __init__
        required=False,
        allow_null=True,
        help_text="empty: the whole street",
    )

    class Meta(ServiceItemSerializer.Meta):
        read_only_fields = ["id"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _scoped(self, "community", selectors.communities_editable_by)


class AdmissionItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = AdmissionItem
        fields = ["id", "department", "name", "basis", "resources", "funding_yuan", "is_active"]
        read_only_fields = ["id"]
        validators = []


class HandedDownDutySerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = HandedDownDuty
        fields = [
            "id",
            "community",
            "community_name",
            "department",
            "title",
            "description",
            "admission_item",
            "is_on_list",
            "handed_on",
            "estimated_hours",
        ]
        read_only_fields = ["id", "community_name", "is_on_list"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _scoped(self, "community", selectors.communities_editable_by)
        _scoped(self, "admission_item", selectors.admission_items_for)


# ---- input serializers ---------------------------------------------------------------------------------------


class CaseCreateSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Case.Channel.choices)
    category = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    place = serializers.IntegerField(
        required=False, allow_null=True, help_text="社区/小区/楼栋; residents omit it"
    )
    requester_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    requester_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class ResolveSerializer(serializers.Serializer):
    resolution = serializers.CharField(required=False, allow_blank=True)


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True)
    public = serializers.BooleanField(required=False, default=False)


class AssignSerializer(serializers.Serializer):
    assignee = serializers.IntegerField()


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField()


class WhistleInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True)
    report_by = serializers.DateTimeField(required=False, allow_null=True)
    departments = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    members = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class ReportSerializer(serializers.Serializer):
    action_taken = serializers.CharField(required=False, allow_blank=True)


class RateSerializer(serializers.Serializer):
    score = serializers.IntegerField(required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True)


class AttachSerializer(serializers.Serializer):
    files = serializers.ListField(child=serializers.FileField(), help_text="照片或文件")


class DashboardSerializer(serializers.Serializer):
    totals = serializers.DictField()
    medians = serializers.ListField(child=serializers.DictField())
    burden = serializers.ListField(child=serializers.DictField())


# ---- viewsets ------------------------------------------------------------------------------------------------


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """诉求. Staff see the cases of their places (and those they were summoned to); residents their own.
    A case changes only through its actions (accept, escalate, …), never by PUT or PATCH."""

    serializer_class = CaseSerializer
    create_serializer_class = CaseCreateSerializer
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        if self.action == "report":
            return selectors.cases_reportable_by(self.request.user).select_related("category")
        if self.action == "list":
            p = self.request.query_params
            return selectors.case_list(
                self.request.user,
                status=p.get("status") if p.get("status") in Case.Status.values else "",
                level=p.get("level") if p.get("level") in HandlingLevel.values else "",
                category=int(p["category"]) if (p.get("category") or "").isdigit() else None,
                overdue=p.get("overdue") == "1",
            )
        return selectors.cases_visible_to(self.request.user).select_related("merged_into")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=Case.Status.values),
            OpenApiParameter("level", str, enum=HandlingLevel.values),
            OpenApiParameter("category", int),
            OpenApiParameter("overdue", str, enum=["1"]),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _done(self, case) -> Response:
        case.refresh_from_db()
        return Response(CaseSerializer(case).data)

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_service_create(self, data):
        user = self.request.user
        category = None
        if data.get("category"):
            category = selectors.catalogue_for(user, active_only=True).filter(pk=data["category"]).first()
            if category is None:
                raise DomainError(gettext("诉求类别不存在或不适用"), field="category")
        place = dwelling = None
        if data["channel"] == Case.Channel.RESIDENT:
            dwelling = selectors.home_of(user)
        elif data.get("place"):
            place = selectors.intake_places_for(user).filter(pk=data["place"]).first()
            if place is None:
                raise DomainError(gettext("地点不存在或不在您的管辖范围内"), field="place")
        return services.case_submit(
            actor=user,
            category=category,
            title=data.get("title", ""),
            description=data.get("description", ""),
            channel=data["channel"],
            place=place,
            dwelling=dwelling,
            requester_name=data.get("requester_name", ""),
            requester_phone=data.get("requester_phone", ""),
        )

    @extend_schema(responses=CaseEventSerializer(many=True))
    @action(detail=True, methods=["get"])
    def timeline(self, request, pk=None):
        case = self.get_object()
        staff = selectors.cases_for_staff(request.user).filter(pk=case.pk).exists()
        return Response(
            CaseEventSerializer(selectors.case_timeline(case, public_only=not staff), many=True).data
        )

    @extend_schema(responses=WhistleSerializer(many=True))
    @action(detail=True, methods=["get"])
    def whistles(self, request, pk=None):
        case = self.get_object()
        return Response(WhistleSerializer(selectors.whistles_of(case), many=True).data)

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._done(services.case_accept(actor=request.user, case=self.get_object()))

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._done(services.case_start(actor=request.user, case=self.get_object()))

    @extend_schema(request=ReasonSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        case = self.get_object()
        data = self._input(ReasonSerializer, request.data)
        return self._done(
            services.case_escalate(actor=request.user, case=case, reason=data.get("reason", ""))
        )

    @extend_schema(request=ResolveSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        case = self.get_object()
        data = self._input(ResolveSerializer, request.data)
        return self._done(
            services.case_resolve(actor=request.user, case=case, resolution=data.get("resolution", ""))
        )

    @extend_schema(request=None, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._done(services.case_close(actor=request.user, case=self.get_object()))

    @extend_schema(request=ReasonSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        case = self.get_object()
        data = self._input(ReasonSerializer, request.data)
        return self._done(services.case_reopen(actor=request.user, case=case, reason=data.get("reason", "")))

    @extend_schema(request=CommentSerializer, responses=CaseEventSerializer)
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        case = self.get_object()
        data = self._input(CommentSerializer, request.data)
        event = services.case_comment(
            actor=request.user,
            case=case,
            text=data.get("text", ""),
            public=data.get("public", False),
        )
        return Response(CaseEventSerializer(event).data, status=201)

    @extend_schema(request=AssignSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        case = self.get_object()
        data = self._input(AssignSerializer, request.data)
        # Scoped: an id that is not one of the case's handlers answers like an unknown one (the service's 400).
        assignee = selectors.assignable_users(case).filter(pk=data["assignee"]).first()
        return self._done(services.case_assign(actor=request.user, case=case, assignee=assignee))

    @extend_schema(request=MergeSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        case = self.get_object()
        data = self._input(MergeSerializer, request.data)
        into = selectors.cases_for_staff(request.user).filter(pk=data["into"]).first()
        return self._done(services.case_merge(actor=request.user, case=case, into=into))

    @extend_schema(request=WhistleInputSerializer, responses={201: WhistleSerializer})
    @action(detail=True, methods=["post"])
    def whistle(self, request, pk=None):
        case = self.get_object()
        data = self._input(WhistleInputSerializer, request.data)
        # Scoped to the case's community: an id outside it answers like an unknown one.
        members = list(selectors.party_members_for(case).filter(pk__in=data.get("members") or []))
        if len(members) != len(set(data.get("members") or [])):
            raise DomainError(gettext("召集的党员不存在"), field="members")
        whistle = services.whistle_blow(
            actor=request.user,
            case=case,
            reason=data.get("reason", ""),
            report_by=data.get("report_by"),
            departments=data.get("departments") or [],
            members=members,
        )
        return Response(WhistleSerializer(whistle).data, status=201)

    @extend_schema(request=ReportSerializer, responses=SummonsSerializer(many=True))
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        case = self.get_object()
        data = self._input(ReportSerializer, request.data)
        summonses = services.whistle_report(
            actor=request.user, case=case, action_taken=data.get("action_taken", "")
        )
        return Response(SummonsSerializer(summonses, many=True).data)

    @extend_schema(request=RateSerializer, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        case = self.get_object()
        data = self._input(RateSerializer, request.data)
        return self._done(
            services.case_rate(
                actor=request.user,
                case=case,
                score=data.get("score"),
                comment=data.get("comment", ""),
            )
        )

    @extend_schema(request={"multipart/form-data": AttachSerializer}, responses=CaseSerializer)
    @action(detail=True, methods=["post"])
    def attachments(self, request, pk=None):
        case = self.get_object()
        services.case_attach(actor=request.user, case=case, files=request.FILES.getlist("files"))
        return self._done(case)

    @extend_schema(responses=DashboardSerializer)
    @action(detail=False, methods=["get"])
    def dashboard(self, request):
        data = selectors.dashboard(request.user)
        return Response({k: data[k] for k in ("totals", "medians", "burden")})


class WhistleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = WhistleSerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.whistles_visible_to(self.request.user, open_only=self.action == "list")


class ServiceItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """服务目录. Street-wide items are edited by the street, a community's own items by that community."""

    serializer_class = ServiceItemSerializer
    create_serializer_class = ServiceItemCreateSerializer
    update_serializer_class = ServiceItemSerializer

    def get_queryset(self):
        if self.action in ("update", "partial_update"):
            return selectors.catalogue_editable_by(self.request.user)
        return selectors.catalogue_for(self.request.user).order_by("kind", "name")

    def perform_service_create(self, data):
        data = dict(data)
        community = data.pop("community", None)
        user = self.request.user
        if community is not None:
            street = community.street
        else:
            street = next(iter(selectors.streets_editable_by(user)), None)
            if street is None:
                raise DomainError(gettext("只有街道可以新增全街道事项,请指定社区"), field="community")
        if not policies.can_edit_catalogue_item(user, ServiceItem(street=street, community=community)):
            raise DomainError(gettext("您不能为该范围新增事项"), field="community")
        return services.service_item_create(actor=user, street=street, community=community, **data)

    def perform_service_update(self, obj, data):
        return services.service_item_update(actor=self.request.user, item=obj, **data)


class AdmissionItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """准入清单."""

    serializer_class = AdmissionItemSerializer
    create_serializer_class = AdmissionItemSerializer
    update_serializer_class = AdmissionItemSerializer

    def get_queryset(self):
        return selectors.admission_items_for(self.request.user)

    def _street(self):
        street = next(iter(selectors.streets_editable_by(self.request.user)), None)
        if street is None:
            raise PermissionDenied(gettext("只有街道可以编辑准入清单"))
        return street

    def perform_service_create(self, data):
        return services.admission_item_create(actor=self.request.user, street=self._street(), **data)

    def perform_service_update(self, obj, data):
        data = dict(data)
        data.pop("department", None)
        return services.admission_item_update(actor=self.request.user, item=obj, **data)


class HandedDownDutyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """下派事项: recorded per community; off-list ones are flagged to the street."""

    serializer_class = HandedDownDutySerializer
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.duties_visible_to(self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        community = data.pop("community")
        item = data.pop("admission_item", None)
        serializer.instance = services.duty_record(
            actor=self.request.user, community=community, admission_item=item, **data
        )


def register(router) -> None:
    router.register("cases/catalogue", ServiceItemViewSet, basename="cases-catalogue")
    router.register("cases/whistles", WhistleViewSet, basename="cases-whistle")
    router.register("cases/admission-list", AdmissionItemViewSet, basename="cases-admission")
    router.register("cases/duties", HandedDownDutyViewSet, basename="cases-duty")
    router.register("cases", CaseViewSet, basename="cases-case")


__all__ = ["DEPARTMENTS", "register"]

"""JSON API for epidemic operations. Visits and check-ins are idempotent on the client's UUID: the first send
answers 201, a resend 200 with the same record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shequ.core.api import resolve_visible
from shequ.core.rights import Right
from shequ.emergency.selectors import incidents_visible_to
from shequ.epidemic import hotpath, selectors, services
from shequ.epidemic.models import (
    CheckIn,
    Contact,
    ControlZone,
    FollowUp,
    HouseholdStatus,
    Monitoring,
    ScreeningCampaign,
    TestingRound,
    VisitItem,
    VisitRecord,
)
from shequ.ledger.selectors import people_visible_to
from shequ.places.selectors import places_visible_to

if TYPE_CHECKING:
    from shequ.emergency.models import Incident


# Output ---------------------------------------------------------------------------------------------------------


class ScreeningCampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScreeningCampaign
        fields = ["id", "incident", "name", "status", "started_at", "closed_at"]


class VisitItemSerializer(serializers.ModelSerializer):
    address = serializers.CharField(source="dwelling.address", read_only=True)

    class Meta:
        model = VisitItem
        fields = [
            "id",
            "campaign",
            "household",
            "address",
            "building",
            "team",
            "status",
            "needs_revisit",
            "visits",
            "last_visited_at",
        ]


class VisitRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = VisitRecord
        fields = ["id", "client_uuid", "item", "status", "notes", "needs", "recorded_at", "received_at"]


class CheckInSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckIn
        fields = [
            "id",
            "client_uuid",
            "incident",
            "person",
            "on",
            "temperature",
            "has_symptoms",
            "symptoms",
            "is_over_threshold",
            "channel",
            "is_drill",
        ]


class ControlZoneSerializer(serializers.ModelSerializer):
    place_name = serializers.CharField(source="place.name", read_only=True)

    class Meta:
        model = ControlZone
        fields = ["id", "incident", "place", "place_name", "zone_type", "rules", "starts_at", "ends_at"]


class MonitoringSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = Monitoring
        fields = [
            "id",
            "incident",
            "person",
            "person_name",
            "kind",
            "reason",
            "starts_on",
            "planned_end_on",
            "status",
            "released_on",
        ]


class ContactTraceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "incident", "case_label", "person", "relation", "last_contact_on", "building"]


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "contact", "due_on", "team", "status", "result", "done_at"]


class TestingRoundSerializer(serializers.ModelSerializer):
    class Meta:
        model = TestingRound
        fields = ["id", "incident", "name", "on"]


# Input ----------------------------------------------------------------------------------------------------------


class ConditionIn(serializers.Serializer):
    person = serializers.IntegerField()
    is_present = serializers.BooleanField(default=True)
    temperature = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    has_symptoms = serializers.BooleanField(default=False)
    symptoms = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    needs = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class VisitIn(serializers.Serializer):
    client_uuid = serializers.UUIDField()
    item = serializers.IntegerField()
    status = serializers.ChoiceField(choices=HouseholdStatus.choices)
    people = ConditionIn(many=True, required=False, default=list)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    needs = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    recorded_at = serializers.DateTimeField(required=False, allow_null=True)


class CheckInIn(serializers.Serializer):
    client_uuid = serializers.UUIDField()
    incident = serializers.IntegerField()
    person = serializers.IntegerField()
    temperature = serializers.CharField(max_length=8)
    has_symptoms = serializers.BooleanField(default=False)
    symptoms = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    on = serializers.DateField(required=False, allow_null=True)


class ControlZoneIn(serializers.Serializer):
    incident = serializers.IntegerField()
    place = serializers.IntegerField()
    zone_type = serializers.CharField(max_length=30)
    starts_at = serializers.DateTimeField(required=False, allow_null=True)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)


class ZoneEndIn(serializers.Serializer):
    ends_at = serializers.DateTimeField(required=False, allow_null=True)


class MonitoringIn(serializers.Serializer):
    incident = serializers.IntegerField()
    person = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Monitoring.Kind.choices, default=Monitoring.Kind.HEALTH)
    reason = serializers.CharField(max_length=200)
    starts_on = serializers.DateField(required=False, allow_null=True)


class MonitoringEntryIn(serializers.Serializer):
    temperature = serializers.CharField(max_length=8)
    has_symptoms = serializers.BooleanField(default=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class TransferIn(serializers.Serializer):
    destination = serializers.CharField(max_length=100)
    at = serializers.DateTimeField(required=False, allow_null=True)


class RefusalIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
    follow_up = serializers.CharField(max_length=200)


class ContactTraceIn(serializers.Serializer):
    incident = serializers.IntegerField()
    person = serializers.IntegerField()
    case_label = serializers.CharField(max_length=60)
    relation = serializers.CharField(max_length=40)
    last_contact_on = serializers.DateField()


class FollowUpIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=[FollowUp.Status.DONE, FollowUp.Status.MISSED])
    result = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class TestingRoundIn(serializers.Serializer):
    incident = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    on = serializers.DateField(required=False, allow_null=True)


class TestingImportIn(serializers.Serializer):
    file = serializers.FileField()


class CampaignIn(serializers.Serializer):
    incident = serializers.IntegerField()
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


def _valid(serializer_class, request):
    s = serializer_class(data=request.data)
    s.is_valid(raise_exception=True)
    return s.validated_data


def _incident(request, pk, right=Right.EMERGENCY_MANAGE) -> Incident:
    return resolve_visible(incidents_visible_to(request.user, right), pk, field="incident", label="应急事件")


# Viewsets -------------------------------------------------------------------------------------------------------


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ScreeningCampaignSerializer

    def get_queryset(self):
        return selectors.campaigns_visible_to(self.request.user).order_by("-started_at")

    @extend_schema(request=CampaignIn, responses={201: ScreeningCampaignSerializer})
    def create(self, request):
        data = _valid(CampaignIn, request)
        campaign = services.campaign_start(
            actor=request.user, incident=_incident(request, data["incident"]), name=data["name"]
        )
        return Response(ScreeningCampaignSerializer(campaign).data, status=201)

    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        """Progress by building."""
        return Response(selectors.screening_progress(campaign=self.get_object(), actor=request.user))


class VisitItemViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VisitItemSerializer
    filterset_fields = ["campaign", "building", "status", "needs_revisit"]

    def get_queryset(self):
        return selectors.visit_items_visible_to(self.request.user, Right.EMERGENCY_VIEW).order_by("id")


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """入户排查记录. POST is idempotent on client_uuid (201 first time, 200 with the same record after)."""

    serializer_class = VisitRecordSerializer

    def get_queryset(self):
        return selectors.visit_records_visible_to(self.request.user).order_by("-recorded_at")

    @extend_schema(request=VisitIn, responses={200: VisitRecordSerializer, 201: VisitRecordSerializer})
    def create(self, request):
        data = _valid(VisitIn, request)
        item = resolve_visible(
            selectors.visit_items_visible_to(request.user), data["item"], field="item", label="走访户"
        )
        people = [dict(p) for p in data.get("people", [])]
        record, created = services.visit_record(
            actor=request.user,
            item=item,
            client_uuid=data["client_uuid"],
            status=data["status"],
            people=people,
            notes=data["notes"],
            needs=data["needs"],
            recorded_at=data.get("recorded_at"),
        )
        return Response(VisitRecordSerializer(record).data, status=201 if created else 200)


class CheckInViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """每日健康打卡. POST is idempotent on client_uuid."""

    serializer_class = CheckInSerializer
    filterset_fields = ["incident", "on", "building", "is_over_threshold"]

    def dispatch(self, request, *args, **kwargs):
        if request.method == "POST" and getattr(self, "action_map", {}).get("post") == "create":
            response = hotpath.answer(request)  # None when declined, or already tried ahead of the router
            if response is not None:
                return response
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.checkins_visible_to(self.request.user).order_by("-on", "-id")

    @extend_schema(request=CheckInIn, responses={200: CheckInSerializer, 201: CheckInSerializer})
    def create(self, request):
        data = _valid(CheckInIn, request)
        incident = resolve_visible(
            selectors.checkin_incidents_for(request.user, hot=True),
            data["incident"],
            field="incident",
            label="应急事件",
        )
        person = resolve_visible(
            selectors.checkin_people_for(request.user, hot=True), data["person"], field="person", label="居民"
        )
        checkin, created = services.checkin_submit(
            actor=request.user,
            incident=incident,
            person=person,
            client_uuid=data["client_uuid"],
            temperature=data["temperature"],
            has_symptoms=data["has_symptoms"],
            symptoms=data["symptoms"],
            on=data.get("on"),
        )
        return Response(CheckInSerializer(checkin).data, status=201 if created else 200)


class ZoneViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ControlZoneSerializer
    filterset_fields = ["incident", "zone_type"]

    def get_queryset(self):
        return selectors.zones_visible_to(self.request.user).order_by("-starts_at")

    @extend_schema(request=ControlZoneIn, responses={201: ControlZoneSerializer})
    def create(self, request):
        data = _valid(ControlZoneIn, request)
        incident = _incident(request, data["incident"])
        place = resolve_visible(
            places_visible_to(request.user, Right.EMERGENCY_MANAGE),
            data["place"],
            field="place",
            label="地点",
        )
        zone = services.zone_set(
            actor=request.user,
            incident=incident,
            place=place,
            zone_type=data["zone_type"],
            starts_at=data.get("starts_at"),
            ends_at=data.get("ends_at"),
        )
        return Response(ControlZoneSerializer(zone).data, status=201)

    @extend_schema(request=ZoneEndIn, responses={200: ControlZoneSerializer})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        zone = self.get_object()
        zone = services.zone_end(
            actor=request.user, zone=zone, ends_at=_valid(ZoneEndIn, request).get("ends_at")
        )
        return Response(ControlZoneSerializer(zone).data)


class MonitoringViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MonitoringSerializer
    filterset_fields = ["incident", "status", "kind"]

    def get_queryset(self):
        return selectors.monitorings_visible_to(self.request.user).order_by("id")

    @extend_schema(request=MonitoringIn, responses={201: MonitoringSerializer})
    def create(self, request):
        data = _valid(MonitoringIn, request)
        incident = _incident(request, data["incident"])
        person = resolve_visible(
            people_visible_to(request.user, Right.EMERGENCY_MANAGE),
            data["person"],
            field="person",
            label="人员",
        )
        m = services.monitoring_start(
            actor=request.user,
            incident=incident,
            person=person,
            reason=data["reason"],
            kind=data["kind"],
            starts_on=data.get("starts_on"),
        )
        return Response(MonitoringSerializer(m).data, status=201)

    @extend_schema(request=MonitoringEntryIn, responses={201: MonitoringSerializer})
    @action(detail=True, methods=["post"])
    def entries(self, request, pk=None):
        m = self.get_object()
        services.monitoring_entry_add(actor=request.user, monitoring=m, **_valid(MonitoringEntryIn, request))
        return Response(MonitoringSerializer(m).data, status=201)

    @extend_schema(request=None, responses={200: MonitoringSerializer})
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        m = services.monitoring_release(actor=request.user, monitoring=self.get_object())
        return Response(MonitoringSerializer(m).data)

    @extend_schema(request=TransferIn, responses={200: MonitoringSerializer})
    @action(detail=True, methods=["post"])
    def transfer(self, request, pk=None):
        m = self.get_object()
        services.monitoring_transfer(actor=request.user, monitoring=m, **_valid(TransferIn, request))
        m.refresh_from_db()
        return Response(MonitoringSerializer(m).data)

    @extend_schema(request=RefusalIn, responses={200: MonitoringSerializer})
    @action(detail=True, methods=["post"])
    def refusal(self, request, pk=None):
        m = self.get_object()
        services.monitoring_refusal(actor=request.user, monitoring=m, **_valid(RefusalIn, request))
        m.refresh_from_db()
        return Response(MonitoringSerializer(m).data)


class ContactViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ContactTraceSerializer
    filterset_fields = ["incident"]

    def get_queryset(self):
        return selectors.contacts_visible_to(self.request.user).order_by("id")

    @extend_schema(request=ContactTraceIn, responses={201: ContactTraceSerializer})
    def create(self, request):
        data = _valid(ContactTraceIn, request)
        incident = _incident(request, data.pop("incident"))
        person = resolve_visible(
            people_visible_to(request.user, Right.EMERGENCY_MANAGE),
            data.pop("person"),
            field="person",
            label="人员",
        )
        contact = services.contact_add(actor=request.user, incident=incident, person=person, **data)
        return Response(ContactTraceSerializer(contact).data, status=201)


class FollowUpViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FollowUpSerializer
    filterset_fields = ["contact", "status", "team", "due_on"]

    def get_queryset(self):
        return selectors.followups_visible_to(self.request.user).order_by("due_on", "id")

    @extend_schema(request=FollowUpIn, responses={200: FollowUpSerializer})
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        f = services.followup_record(
            actor=request.user, followup=self.get_object(), **_valid(FollowUpIn, request)
        )
        return Response(FollowUpSerializer(f).data)


class TestingRoundViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TestingRoundSerializer
    filterset_fields = ["incident"]

    def get_queryset(self):
        return selectors.testing_rounds_visible_to(self.request.user).order_by("-on", "id")

    @extend_schema(request=TestingRoundIn, responses={201: TestingRoundSerializer})
    def create(self, request):
        data = _valid(TestingRoundIn, request)
        incident = _incident(request, data.pop("incident"))
        rnd = services.testing_round_create(actor=request.user, incident=incident, **data)
        return Response(TestingRoundSerializer(rnd).data, status=201)

    @extend_schema(request={"multipart/form-data": TestingImportIn}, responses={200: dict})
    @action(
        detail=True,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    def import_results(self, request, pk=None):
        """CSV columns 证件号码, 结果 (阴性/阳性)[, 采样时间]; all rows are checked before anything changes."""
        rnd = self.get_object()
        data = _valid(TestingImportIn, request)
        return Response(
            services.testing_import(actor=request.user, testing_round=rnd, content=data["file"].read())
        )

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"])
    def missed(self, request, pk=None):
        n = services.testing_mark_missed(actor=request.user, testing_round=self.get_object())
        return Response({"missed": n}, status=status.HTTP_200_OK)


def register(router) -> None:
    router.register("epidemic/campaigns", CampaignViewSet, basename="epidemic-campaign")
    router.register("epidemic/visit-items", VisitItemViewSet, basename="epidemic-visititem")
    router.register("epidemic/visits", VisitViewSet, basename="epidemic-visit")
    router.register("epidemic/checkins", CheckInViewSet, basename="epidemic-checkin")
    router.register("epidemic/zones", ZoneViewSet, basename="epidemic-zone")
    router.register("epidemic/monitorings", MonitoringViewSet, basename="epidemic-monitoring")
    router.register("epidemic/contacts", ContactViewSet, basename="epidemic-contact")
    router.register("epidemic/followups", FollowUpViewSet, basename="epidemic-followup")
    router.register("epidemic/testing-rounds", TestingRoundViewSet, basename="epidemic-testinground")


# The check-in collection route again, ahead of the router (epidemic.hotpath).
urlpatterns: list = [
    path(
        "epidemic/checkins/",
        hotpath.ahead_of_router(
            CheckInViewSet.as_view(
                {"get": "list", "post": "create"}, basename="epidemic-checkin", detail=False
            )
        ),
    )
]

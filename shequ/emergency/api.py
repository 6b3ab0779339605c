"""JSON API for emergency operation: kinds, plans (copy, revise), incidents (activate, stand down, review),
teams, members and tasks."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shequ.core.api import resolve_visible
from shequ.core.rights import Right
from shequ.emergency import selectors, services
from shequ.emergency.models import (
    EmergencyKind,
    Incident,
    IncidentTask,
    PlanParameter,
    PlanTask,
    PlanTeam,
    PlanTemplate,
    ResponseLevel,
    Team,
    TeamMember,
)
from shequ.ledger.selectors import people_visible_to
from shequ.places.selectors import places_visible_to


class EmergencyKindSerializer(serializers.ModelSerializer):
    class Meta:
        model = EmergencyKind
        fields = ["id", "code", "name", "is_builtin"]


class PlanTeamSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanTeam
        fields = ["code", "name", "formation", "roles", "covers_buildings"]


class PlanTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanTask
        fields = ["team_code", "title", "checklist", "due_hours", "levels"]


class PlanParameterSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanParameter
        fields = ["key", "label", "type", "value", "unit"]


class PlanTemplateSerializer(serializers.ModelSerializer):
    kind = EmergencyKindSerializer(read_only=True)
    teams = PlanTeamSerializer(many=True, read_only=True)
    tasks = PlanTaskSerializer(many=True, read_only=True)
    parameters = PlanParameterSerializer(many=True, read_only=True)

    class Meta:
        model = PlanTemplate
        fields = [
            "id",
            "code",
            "version",
            "name",
            "kind",
            "description",
            "levels",
            "community",
            "is_library",
            "is_current",
            "derived_from",
            "teams",
            "tasks",
            "parameters",
        ]


class TeamMemberSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)

    class Meta:
        model = TeamMember
        fields = ["id", "team", "person", "person_name", "post", "responsibility", "place", "is_manual"]


class IncidentTeamSerializer(serializers.ModelSerializer):
    members = TeamMemberSerializer(many=True, read_only=True)
    buildings = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Team
        fields = ["id", "incident", "plan_team_code", "name", "area", "grid", "buildings", "members"]


class IncidentTaskSerializer(serializers.ModelSerializer):
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = IncidentTask
        fields = [
            "id",
            "incident",
            "team",
            "source",
            "title",
            "checklist",
            "due_at",
            "status",
            "done_at",
            "is_overdue",
            "building",
        ]


class IncidentSerializer(serializers.ModelSerializer):
    scope_places = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "code",
            "title",
            "plan",
            "level",
            "status",
            "is_drill",
            "parameters",
            "community",
            "scope_places",
            "activated_at",
            "stood_down_at",
            "review_notes",
            "review_figures",
        ]


class EmergencyKindIn(serializers.Serializer):
    name = serializers.CharField(max_length=60)


class PlanCopyIn(serializers.Serializer):
    community = serializers.IntegerField()
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PlanReviseIn(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    parameters = serializers.DictField(required=False)
    new_parameters = serializers.ListField(child=serializers.DictField(), required=False)
    teams = serializers.ListField(child=serializers.DictField(), required=False)
    tasks = serializers.ListField(child=serializers.DictField(), required=False)


class ActivateIn(serializers.Serializer):
    plan = serializers.IntegerField()
    scope = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    level = serializers.ChoiceField(choices=ResponseLevel.choices)
    is_drill = serializers.BooleanField(default=False)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class IncidentNotesIn(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class TeamMemberIn(serializers.Serializer):
    team = serializers.IntegerField()
    person = serializers.IntegerField()
    post = serializers.CharField(max_length=40)
    responsibility = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    place = serializers.IntegerField(required=False, allow_null=True)


class TeamMemberUpdateIn(serializers.Serializer):
    team = serializers.IntegerField(required=False)
    post = serializers.CharField(max_length=40, required=False)
    responsibility = serializers.CharField(max_length=200, required=False, allow_blank=True)


class IncidentTaskIn(serializers.Serializer):
    incident = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    due_at = serializers.DateTimeField()
    team = serializers.IntegerField(required=False, allow_null=True)
    checklist = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list
    )


def _valid(cls, request):
    s = cls(data=request.data)
    s.is_valid(raise_exception=True)
    return s.validated_data


class KindViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = EmergencyKindSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.kinds()

    @extend_schema(request=EmergencyKindIn, responses={201: EmergencyKindSerializer})
    def create(self, request):
        kind = services.emergency_kind_create(
            actor=request.user, name=_valid(EmergencyKindIn, request)["name"]
        )
        return Response(EmergencyKindSerializer(kind).data, status=201)


class PlanViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PlanTemplateSerializer
    filterset_fields = ["is_current", "is_library", "community", "code"]

    def get_queryset(self):
        return (
            selectors.plans_visible_to(self.request.user)
            .prefetch_related("teams", "tasks", "parameters")
            .order_by("id")
        )

    @extend_schema(request=PlanCopyIn, responses={201: PlanTemplateSerializer})
    @action(detail=True, methods=["post"])
    def copy(self, request, pk=None):
        data = _valid(PlanCopyIn, request)
        community = resolve_visible(
            places_visible_to(request.user, Right.EMERGENCY_MANAGE).filter(level="community"),
            data["community"],
            field="community",
            label="社区",
        )
        plan = services.plan_copy(
            actor=request.user, plan=self.get_object(), community=community, name=data["name"]
        )
        return Response(PlanTemplateSerializer(plan).data, status=201)

    @extend_schema(request=PlanReviseIn, responses={201: PlanTemplateSerializer})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        plan = self.get_object()
        new = services.plan_revise(actor=request.user, plan=plan, **_valid(PlanReviseIn, request))
        return Response(PlanTemplateSerializer(new).data, status=201)


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IncidentSerializer
    filterset_fields = ["status", "is_drill", "community"]

    def get_queryset(self):
        return (
            selectors.incidents_visible_to(self.request.user).prefetch_related("scope_places").order_by("-id")
        )

    @extend_schema(request=ActivateIn, responses={201: IncidentSerializer})
    def create(self, request):
        data = _valid(ActivateIn, request)
        plan = resolve_visible(
            selectors.plans_visible_to(request.user), data["plan"], field="plan", label="预案"
        )
        visible = places_visible_to(request.user, Right.EMERGENCY_MANAGE)
        scope = [resolve_visible(visible, pk, field="scope", label="响应范围") for pk in data["scope"]]
        incident = services.incident_activate(
            actor=request.user,
            plan=plan,
            scope=scope,
            level=data["level"],
            is_drill=data["is_drill"],
            title=data["title"],
        )
        return Response(IncidentSerializer(incident).data, status=201)

    @extend_schema(request=IncidentNotesIn, responses={200: IncidentSerializer})
    @action(detail=True, methods=["post"], url_path="stand-down")
    def stand_down(self, request, pk=None):
        incident = services.incident_stand_down(
            actor=request.user, incident=self.get_object(), notes=_valid(IncidentNotesIn, request)["notes"]
        )
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=IncidentNotesIn, responses={200: IncidentSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        incident = services.incident_review_update(
            actor=request.user, incident=self.get_object(), notes=_valid(IncidentNotesIn, request)["notes"]
        )
        return Response(IncidentSerializer(incident).data)


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IncidentTeamSerializer
    filterset_fields = ["incident"]

    def get_queryset(self):
        return (
            selectors.teams_visible_to(self.request.user)
            .prefetch_related("members__person", "buildings")
            .order_by("id")
        )


class MemberViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = TeamMemberSerializer
    filterset_fields = ["team"]

    def get_queryset(self):
        return selectors.members_visible_to(self.request.user).order_by("id")

    @extend_schema(request=TeamMemberIn, responses={201: TeamMemberSerializer})
    def create(self, request):
        data = _valid(TeamMemberIn, request)
        team = resolve_visible(
            selectors.teams_visible_to(request.user, Right.EMERGENCY_MANAGE),
            data["team"],
            field="team",
            label="小组",
        )
        person = resolve_visible(
            people_visible_to(request.user), data["person"], field="person", label="人员"
        )
        place = resolve_visible(
            places_visible_to(request.user), data.get("place"), field="place", label="点位"
        )
        member = services.team_member_add(
            actor=request.user,
            team=team,
            person=person,
            post=data["post"],
            responsibility=data["responsibility"],
            place=place,
        )
        return Response(TeamMemberSerializer(member).data, status=201)

    @extend_schema(request=TeamMemberUpdateIn, responses={200: TeamMemberSerializer})
    def partial_update(self, request, pk=None):
        member = self.get_object()
        data = dict(_valid(TeamMemberUpdateIn, request))
        if "team" in data:
            data["team"] = resolve_visible(
                selectors.teams_visible_to(request.user, Right.EMERGENCY_MANAGE),
                data["team"],
                field="team",
                label="小组",
            )
        member = services.team_member_update(actor=request.user, member=member, **data)
        return Response(TeamMemberSerializer(member).data)

    def perform_destroy(self, instance):
        services.team_member_remove(actor=self.request.user, member=instance)


class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IncidentTaskSerializer
    filterset_fields = ["incident", "team", "status", "source"]

    def get_queryset(self):
        return selectors.tasks_visible_to(self.request.user).order_by("due_at", "id")

    @extend_schema(request=IncidentTaskIn, responses={201: IncidentTaskSerializer})
    def create(self, request):
        data = _valid(IncidentTaskIn, request)
        incident = resolve_visible(
            selectors.incidents_visible_to(request.user, Right.EMERGENCY_MANAGE),
            data["incident"],
            field="incident",
            label="应急事件",
        )
        team = resolve_visible(incident.teams.all(), data.get("team"), field="team", label="小组")
        task = services.task_create(
            actor=request.user,
            incident=incident,
            title=data["title"],
            due_at=data["due_at"],
            team=team,
            checklist=data["checklist"],
        )
        return Response(IncidentTaskSerializer(task).data, status=201)

    @extend_schema(request=None, responses={200: IncidentTaskSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        task = services.task_complete(actor=request.user, task=self.get_object())
        return Response(IncidentTaskSerializer(task).data)


def register(router) -> None:
    router.register("emergency/kinds", KindViewSet, basename="emergency-kind")
    router.register("emergency/plans", PlanViewSet, basename="emergency-plan")
    router.register("emergency/incidents", IncidentViewSet, basename="emergency-incident")
    router.register("emergency/teams", TeamViewSet, basename="emergency-team")
    router.register("emergency/members", MemberViewSet, basename="emergency-member")
    router.register("emergency/tasks", TaskViewSet, basename="emergency-task")

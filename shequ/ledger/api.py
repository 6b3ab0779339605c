"""The ledger API (/api/v1/people/, /households/, /residencies/, /tags/, /needs/, /duties/): read through the
scoped selectors, written through ledger.services, personal data masked; a reveal is its own audited action.
Another community's record answers 404; an id in a body that points outside the caller's jurisdiction is a 400
naming the field, worded so it tells nothing about the other community."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from shequ.core.api import IdFilter, ServiceViewSet, resolve_visible
from shequ.core.errors import DomainError
from shequ.ledger import selectors, services
from shequ.ledger.models import Duty, GroupTag, Household, Need, Person, Residency, Sex
from shequ.ledger.serializers import (
    DutyCreateInput,
    DutySerializer,
    HouseholdConfirmInput,
    HouseholdCreateInput,
    HouseholdDetailSerializer,
    HouseholdMemberAddInput,
    HouseholdSerializer,
    LedgerEndInput,
    MembershipSerializer,
    NeedCreateInput,
    NeedSerializer,
    NeedStatusInput,
    PersonCreateInput,
    PersonDetailSerializer,
    PersonInput,
    PersonMoveInput,
    PersonRevealInput,
    PersonRevealOutput,
    PersonSerializer,
    ResidencyCreateInput,
    ResidencySerializer,
    TagCreateInput,
    TagSerializer,
)
from shequ.places.selectors import communities_visible_to, dwellings_visible_to, places_visible_to

ERRORS = {
    400: OpenApiResponse(description="输入有误:{字段: [问题]}"),
    404: OpenApiResponse(description="不存在或不在管辖范围内"),
}


def _current(prefix: str = "") -> Q:
    today = timezone.localdate()
    return Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gte": today})


def _years_ago(years: int) -> date:
    today = timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


# People -------------------------------------------------------------------------------------------------------


class PersonFilter(filters.FilterSet):
    q = filters.CharFilter(
        method="filter_q", help_text="姓名/拼音/首字母/手机尾号/完整手机号/身份证号/地址,结果按匹配程度排序"
    )
    community = IdFilter(field_name="community_id", help_text="登记社区 id")
    compound = IdFilter(field_name="home_compound_id", help_text="现居小区 id")
    building = IdFilter(field_name="home__building_id", help_text="现居楼栋 id")
    grid = IdFilter(field_name="home__grid_id", help_text="现居网格 id")
    dwelling = IdFilter(field_name="home_id", help_text="现居房屋 id")
    sex = filters.ChoiceFilter(choices=Sex.choices)
    age_min = IdFilter(method="filter_age_min", max_value=150, help_text="最小年龄(周岁)")
    age_max = IdFilter(method="filter_age_max", max_value=150, help_text="最大年龄(周岁)")
    tag = filters.ChoiceFilter(choices=GroupTag.Kind.choices, method="filter_tag", help_text="当前人群标签")
    floating = filters.BooleanFilter(method="filter_floating", help_text="流动人口(户籍不在本地)")
    is_deceased = filters.BooleanFilter()

    class Meta:
        model = Person
        fields = ["q", "community", "compound", "building", "grid", "dwelling", "sex", "tag", "floating"]

    def filter_q(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        found = selectors.person_search(actor=self.request.user, query=value[:100], limit=500)
        ids = [p.pk for p in found]
        if not ids:
            return queryset.none()
        rank = Case(*[When(pk=pk, then=Value(i)) for i, pk in enumerate(ids)], output_field=IntegerField())
        return queryset.filter(pk__in=ids).annotate(search_rank=rank).order_by("search_rank")

    def filter_age_min(self, queryset, name, value):
        if value is None or not 0 <= value <= 150:
            return queryset
        return queryset.filter(birth_date__lte=_years_ago(int(value)))

    def filter_age_max(self, queryset, name, value):
        if value is None or not 0 <= value <= 150:
            return queryset
        return queryset.filter(birth_date__gt=_years_ago(int(value) + 1))

    def filter_tag(self, queryset, name, value):
        return queryset.filter(pk__in=selectors.people_tagged(value))

    def filter_floating(self, queryset, name, value):
        return queryset.filter(hukou_is_local=not value)


class DuplicatePerson(APIException):
    """400 with a pointer to the existing person (ids stay numbers, which ValidationError would stringify)."""

    status_code = 400
    default_code = "duplicate_id_number"

    def __init__(self, body: dict):
        super().__init__()
        self.detail = body


def _duplicate_answer(actor, exc: DomainError) -> APIException:
    """A second person with the same ID number: point to the existing one if the caller may see them,
    otherwise say only that the number is registered elsewhere (no name, no community)."""
    existing = (exc.extra or {}).get("existing_person")
    if existing is not None and selectors.people_visible_to(actor).filter(pk=existing.pk).exists():
        return DuplicatePerson(
            {
                "id_number": [exc.messages[0]],
                "existing_person": {
                    "id": existing.pk,
                    "name": existing.name,
                    "url": reverse("ledger-person-detail", kwargs={"pk": existing.pk}),
                },
            }
        )
    return DuplicatePerson({"id_number": [gettext("该证件号码已在其他社区登记,请联系街道核实,不要重复登记")]})


def _person_write(actor, fn, **kwargs):
    try:
        return fn(actor=actor, **kwargs)
    except DomainError as exc:
        if exc.code == "duplicate_id_number":
            raise _duplicate_answer(actor, exc) from exc
        raise


PERSON_TAG = ["ledger 人口"]


@extend_schema_view(
    list=extend_schema(summary="人员列表与搜索 — list and search people (masked)", tags=PERSON_TAG),
    retrieve=extend_schema(
        summary="人员详情 — one person with tags, residencies, duties (masked)",
        responses={200: PersonDetailSerializer, 404: ERRORS[404]},
        tags=PERSON_TAG,
    ),
    create=extend_schema(
        summary="登记人员 — register a person",
        request=PersonCreateInput,
        responses={201: PersonSerializer, 400: ERRORS[400]},
        tags=PERSON_TAG,
    ),
    update=extend_schema(
        summary="修改人员信息 — update a person",
        request=PersonInput,
        responses={200: PersonSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=PERSON_TAG,
    ),
    partial_update=extend_schema(
        summary="部分修改人员信息 — partially update a person",
        request=PersonInput,
        responses={200: PersonSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=PERSON_TAG,
    ),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = PersonSerializer
    create_serializer_class = PersonCreateInput
    update_serializer_class = PersonInput
    filterset_class = PersonFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return (
            selectors.people_visible_to(self.request.user)
            .select_related("home__compound", "home__building", "home__unit")
            .order_by("name", "id")
        )

    def retrieve(self, request, *args, **kwargs):
        person = self.get_object()
        return Response(PersonDetailSerializer(person, context=self.get_serializer_context()).data)

    def perform_service_create(self, data):
        data = dict(data)
        community = resolve_visible(
            communities_visible_to(self.request.user),
            data.pop("community"),
            field="community",
            label="社区",
        )
        return _person_write(self.request.user, services.person_create, community=community, **data)

    def perform_service_update(self, obj, data):
        return _person_write(self.request.user, services.person_update, person=obj, **data)

    @extend_schema(
        summary="查看明文(需说明原因,记入审计)— reveal an ID number or phone, audited",
        request=PersonRevealInput,
        responses={200: PersonRevealOutput, 400: ERRORS[400], 403: OpenApiResponse(description="无查看权限")},
        tags=PERSON_TAG,
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        person = self.get_object()
        data = self._input(PersonRevealInput, request.data)
        value = services.person_reveal(
            actor=request.user, person=person, field=data["field"], reason=data["reason"]
        )
        response = Response({"field": data["field"], "value": value})
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="迁入新房屋(结束原居住关系)— move a person to another dwelling",
        request=PersonMoveInput,
        responses={201: ResidencySerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=PERSON_TAG,
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        person = self.get_object()
        data = self._input(PersonMoveInput, request.data)
        dwelling = resolve_visible(
            dwellings_visible_to(request.user), data["dwelling"], field="dwelling", label="房屋"
        )
        residency = services.person_move(
            actor=request.user,
            person=person,
            dwelling=dwelling,
            role=data["role"],
            on=data.get("on"),
            source=data.get("source", ""),
        )
        return Response(
            ResidencySerializer(residency, context=self.get_serializer_context()).data, status=201
        )


# Households ---------------------------------------------------------------------------------------------------


class HouseholdFilter(filters.FilterSet):
    community = IdFilter(field_name="dwelling__community_id", help_text="社区 id")
    compound = IdFilter(field_name="dwelling__compound_id", help_text="小区 id")
    building = IdFilter(field_name="dwelling__building_id", help_text="楼栋 id")
    grid = IdFilter(field_name="dwelling__grid_id", help_text="网格 id")
    dwelling = IdFilter(field_name="dwelling_id", help_text="房屋 id")
    tag = filters.ChoiceFilter(
        choices=GroupTag.Kind.choices, method="filter_tag", help_text="有成员带此当前人群标签的户"
    )
    is_active = filters.BooleanFilter()
    unconfirmed_days = IdFilter(method="filter_unconfirmed", max_value=36500, help_text="超过N天未核实的户")

    class Meta:
        model = Household
        fields = ["community", "compound", "building", "grid", "dwelling", "tag", "is_active"]

    def filter_tag(self, queryset, name, value):
        return queryset.filter(pk__in=selectors.households_with_tagged_member(value))

    def filter_unconfirmed(self, queryset, name, value):
        if value is None or not 0 <= value <= 36500:
            return queryset
        cutoff = timezone.localdate() - timedelta(days=int(value))
        return queryset.filter(Q(last_confirmed_on__isnull=True) | Q(last_confirmed_on__lt=cutoff))


HOUSEHOLD_TAG = ["ledger 户"]


@extend_schema_view(
    list=extend_schema(summary="户列表 — list households", tags=HOUSEHOLD_TAG),
    retrieve=extend_schema(
        summary="一户一档 — one household: members, residencies, needs",
        responses={200: HouseholdDetailSerializer, 404: ERRORS[404]},
        tags=HOUSEHOLD_TAG,
    ),
    create=extend_schema(
        summary="建户 — create a household in a dwelling",
        request=HouseholdCreateInput,
        responses={201: HouseholdSerializer, 400: ERRORS[400]},
        tags=HOUSEHOLD_TAG,
    ),
)
class HouseholdViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = HouseholdSerializer
    create_serializer_class = HouseholdCreateInput
    filterset_class = HouseholdFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.households_visible_to(self.request.user).order_by("dwelling__address", "id")

    def retrieve(self, request, *args, **kwargs):
        return Response(
            HouseholdDetailSerializer(self.get_object(), context=self.get_serializer_context()).data
        )

    def perform_service_create(self, data):
        actor = self.request.user
        dwelling = resolve_visible(
            dwellings_visible_to(actor), data["dwelling"], field="dwelling", label="房屋"
        )
        head = resolve_visible(
            selectors.people_visible_to(actor), data.get("head"), field="head", label="户主"
        )
        return services.household_create(actor=actor, dwelling=dwelling, head=head, kind=data["kind"])

    @extend_schema(
        summary="核实户信息 — record that the household was confirmed",
        request=HouseholdConfirmInput,
        responses={200: HouseholdSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=HOUSEHOLD_TAG,
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        household = self.get_object()
        data = self._input(HouseholdConfirmInput, request.data)
        household = services.household_confirm(
            actor=request.user, household=household, source=data["source"], on=data.get("on")
        )
        return self._output(household)

    @extend_schema(
        summary="添加户成员 — add a member to the household",
        request=HouseholdMemberAddInput,
        responses={201: MembershipSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=HOUSEHOLD_TAG,
    )
    @action(detail=True, methods=["post"])
    def members(self, request, pk=None):
        household = self.get_object()
        data = self._input(HouseholdMemberAddInput, request.data)
        person = resolve_visible(
            selectors.people_visible_to(request.user), data["person"], field="person", label="人员"
        )
        member = services.household_add_member(
            actor=request.user,
            household=household,
            person=person,
            relation=data["relation"],
            joined_on=data.get("joined_on"),
        )
        return Response(MembershipSerializer(member, context=self.get_serializer_context()).data, status=201)


# Residencies --------------------------------------------------------------------------------------------------


class ResidencyFilter(filters.FilterSet):
    person = IdFilter(field_name="person_id")
    dwelling = IdFilter(field_name="dwelling_id")
    building = IdFilter(field_name="dwelling__building_id")
    compound = IdFilter(field_name="dwelling__compound_id")
    role = filters.ChoiceFilter(choices=Residency.Role.choices)
    lives_here = filters.BooleanFilter()
    current = filters.BooleanFilter(method="filter_current", help_text="仍有效的居住关系")

    class Meta:
        model = Residency
        fields = ["person", "dwelling", "building", "compound", "role", "lives_here"]

    def filter_current(self, queryset, name, value):
        return queryset.filter(_current()) if value else queryset.exclude(_current())


@extend_schema_view(
    list=extend_schema(summary="居住关系列表 — list residencies", tags=PERSON_TAG),
    retrieve=extend_schema(summary="居住关系详情 — one residency", tags=PERSON_TAG),
    create=extend_schema(
        summary="登记居住关系 — record that a person owns/rents/lives in a dwelling",
        request=ResidencyCreateInput,
        responses={201: ResidencySerializer, 400: ERRORS[400]},
        tags=PERSON_TAG,
    ),
)
class ResidencyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = ResidencySerializer
    create_serializer_class = ResidencyCreateInput
    filterset_class = ResidencyFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return (
            selectors.residencies_visible_to(self.request.user)
            .select_related("dwelling__compound", "dwelling__building", "dwelling__unit")
            .order_by("dwelling_id", "role", "id")
        )

    def perform_service_create(self, data):
        actor = self.request.user
        person = resolve_visible(
            selectors.people_visible_to(actor), data["person"], field="person", label="人员"
        )
        dwelling = resolve_visible(
            dwellings_visible_to(actor), data["dwelling"], field="dwelling", label="房屋"
        )
        return services.residency_create(
            actor=actor,
            person=person,
            dwelling=dwelling,
            role=data["role"],
            lives_here=data["lives_here"],
            since=data.get("since"),
            until=data.get("until"),
            source=data.get("source", ""),
        )

    @extend_schema(
        summary="结束居住关系 — end a residency",
        request=LedgerEndInput,
        responses={200: ResidencySerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=PERSON_TAG,
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        residency = self.get_object()
        data = self._input(LedgerEndInput, request.data)
        residency = services.residency_end(actor=request.user, residency=residency, until=data.get("until"))
        return self._output(residency)


# Tags, needs, duties ------------------------------------------------------------------------------------------


class TagFilter(filters.FilterSet):
    person = IdFilter(field_name="person_id")
    kind = filters.ChoiceFilter(choices=GroupTag.Kind.choices)
    current = filters.BooleanFilter(method="filter_current", help_text="仍有效的标签")
    compound = IdFilter(field_name="person__home_compound_id")

    class Meta:
        model = GroupTag
        fields = ["person", "kind", "compound"]

    def filter_current(self, queryset, name, value):
        return queryset.filter(_current()) if value else queryset.exclude(_current())


@extend_schema_view(
    list=extend_schema(summary="人群标签列表 — list group tags", tags=PERSON_TAG),
    retrieve=extend_schema(summary="人群标签详情 — one tag", tags=PERSON_TAG),
    create=extend_schema(
        summary="添加人群标签 — tag a person (独居老人, 残疾 …)",
        request=TagCreateInput,
        responses={201: TagSerializer, 400: ERRORS[400]},
        tags=PERSON_TAG,
    ),
)
class TagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = TagSerializer
    create_serializer_class = TagCreateInput
    filterset_class = TagFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return (
            selectors.tags_visible_to(self.request.user)
            .select_related("person__community")
            .order_by("kind", "id")
        )

    def perform_service_create(self, data):
        data = dict(data)
        person = resolve_visible(
            selectors.people_visible_to(self.request.user), data.pop("person"), field="person", label="人员"
        )
        return services.tag_add(actor=self.request.user, person=person, **data)

    @extend_schema(
        summary="结束人群标签 — end a tag",
        request=LedgerEndInput,
        responses={200: TagSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=PERSON_TAG,
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        tag = self.get_object()
        data = self._input(LedgerEndInput, request.data)
        tag = services.tag_end(actor=request.user, tag=tag, until=data.get("until"))
        return self._output(tag)


class NeedFilter(filters.FilterSet):
    household = IdFilter(field_name="household_id")
    person = IdFilter(field_name="person_id")
    kind = filters.ChoiceFilter(choices=Need.Kind.choices)
    status = filters.ChoiceFilter(choices=Need.Status.choices)

    class Meta:
        model = Need
        fields = ["household", "person", "kind", "status"]


@extend_schema_view(
    list=extend_schema(summary="服务需求列表 — list household needs", tags=HOUSEHOLD_TAG),
    retrieve=extend_schema(summary="服务需求详情 — one need", tags=HOUSEHOLD_TAG),
    create=extend_schema(
        summary="登记服务需求 — record a household need",
        request=NeedCreateInput,
        responses={201: NeedSerializer, 400: ERRORS[400]},
        tags=HOUSEHOLD_TAG,
    ),
)
class NeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = NeedSerializer
    create_serializer_class = NeedCreateInput
    filterset_class = NeedFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.needs_visible_to(self.request.user).order_by("status", "-created_at", "id")

    def perform_service_create(self, data):
        actor = self.request.user
        household = resolve_visible(
            selectors.households_visible_to(actor), data["household"], field="household", label="户"
        )
        person = resolve_visible(
            selectors.people_visible_to(actor), data.get("person"), field="person", label="人员"
        )
        return services.need_create(
            actor=actor, household=household, kind=data["kind"], detail=data.get("detail", ""), person=person
        )

    @extend_schema(
        summary="更新需求状态 — set a need's status",
        request=NeedStatusInput,
        responses={200: NeedSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=HOUSEHOLD_TAG,
    )
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        need = self.get_object()
        data = self._input(NeedStatusInput, request.data)
        need = services.need_set_status(actor=request.user, need=need, status=data["status"])
        return self._output(need)


class DutyFilter(filters.FilterSet):
    person = IdFilter(field_name="person_id")
    kind = filters.ChoiceFilter(choices=Duty.Kind.choices)
    place = IdFilter(field_name="place_id")
    community = IdFilter(field_name="community_id")
    grid = IdFilter(field_name="grid_id")
    is_active = filters.BooleanFilter()

    class Meta:
        model = Duty
        fields = ["person", "kind", "place", "community", "grid", "is_active"]


DUTY_TAG = ["ledger 队伍"]


@extend_schema_view(
    list=extend_schema(summary="职责名册 — list the duty roster", tags=DUTY_TAG),
    retrieve=extend_schema(summary="职责详情 — one duty", tags=DUTY_TAG),
    create=extend_schema(
        summary="安排职责 — put a person on the roster",
        request=DutyCreateInput,
        responses={201: DutySerializer, 400: ERRORS[400]},
        tags=DUTY_TAG,
    ),
)
class DutyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = DutySerializer
    create_serializer_class = DutyCreateInput
    filterset_class = DutyFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.duties_visible_to(self.request.user).order_by("kind", "id")

    def perform_service_create(self, data):
        data = dict(data)
        actor = self.request.user
        person = resolve_visible(
            selectors.people_visible_to(actor), data.pop("person"), field="person", label="人员"
        )
        place = resolve_visible(places_visible_to(actor), data.pop("place"), field="place", label="履职地点")
        return services.duty_assign(actor=actor, person=person, place=place, **data)

    @extend_schema(
        summary="结束职责 — end a duty",
        request=LedgerEndInput,
        responses={200: DutySerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=DUTY_TAG,
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        duty = self.get_object()
        data = self._input(LedgerEndInput, request.data)
        duty = services.duty_end(actor=request.user, duty=duty, until=data.get("until"))
        return self._output(duty)


def register(router) -> None:
    router.register("people", PersonViewSet, basename="ledger-person")
    router.register("households", HouseholdViewSet, basename="ledger-household")
    router.register("residencies", ResidencyViewSet, basename="ledger-residency")
    router.register("tags", TagViewSet, basename="ledger-tag")
    router.register("needs", NeedViewSet, basename="ledger-need")
    router.register("duties", DutyViewSet, basename="ledger-duty")

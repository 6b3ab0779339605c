"""The places API (/api/v1/places/, /grids/, /dwellings/): the place tree with counts, read through the scoped
selectors and written through places.services. Another community's place answers 404."""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from shequ.core.api import IdFilter, ServiceViewSet, resolve_visible
from shequ.core.errors import DomainError
from shequ.places import selectors, services
from shequ.places.models import Dwelling, Grid, Level, Place
from shequ.places.serializers import (
    DwellingCreateInput,
    DwellingDetailSerializer,
    DwellingSerializer,
    DwellingUpdateInput,
    GridCreateInput,
    GridSerializer,
    PlaceChildSerializer,
    PlaceCreateInput,
    PlaceDetailSerializer,
    PlaceSerializer,
    PlaceUpdateInput,
)

TAG = ["places 地点"]


class PlaceFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=Level.choices, help_text="层级")
    parent = IdFilter(field_name="parent_id", help_text="上级地点 id")
    community = IdFilter(field_name="community_id", help_text="所属社区 id")
    compound = IdFilter(field_name="compound_id", help_text="所属小区 id")
    building = IdFilter(field_name="building_id", help_text="所属楼栋 id")
    grid = IdFilter(field_name="grid_id", help_text="所属网格 id")
    three_without = filters.BooleanFilter(method="filter_three_without", help_text="只看(或排除)三无小区")
    name = filters.CharFilter(field_name="name", lookup_expr="contains", help_text="名称包含")

    class Meta:
        model = Place
        fields = ["level", "parent", "community", "compound", "building", "grid", "name"]

    def filter_three_without(self, queryset, name, value):
        q = Q(level=Level.COMPOUND, has_property_management=False, has_security=False, is_enclosed=False)
        return queryset.filter(q) if value else queryset.exclude(q)


@contextmanager
def _division_code_errors(data):
    """validate_division_code raises without naming the field; the API names it."""
    try:
        yield
    except DjangoValidationError as exc:
        fields = set(getattr(exc, "error_dict", {"__all__": None}))
        if fields == {"__all__"} and data.get("division_code"):
            raise DomainError(exc.messages[0], field="division_code") from exc
        raise


def _place_detail(place: Place) -> Place:
    place.child_count, place.dwelling_count = selectors.place_counts(place)
    place.resident_count = selectors.resident_counts_by_place(level=place.level, ids=[place.pk]).get(
        place.pk, 0
    )
    return place


@extend_schema_view(
    list=extend_schema(summary="地点列表 — list places in your jurisdiction", tags=TAG),
    retrieve=extend_schema(
        summary="地点详情(含下级、房屋、居民数)— one place with counts",
        responses=PlaceDetailSerializer,
        tags=TAG,
    ),
    create=extend_schema(
        summary="新建地点 — create a community/compound/building/unit",
        request=PlaceCreateInput,
        responses={201: PlaceSerializer},
        tags=TAG,
    ),
    update=extend_schema(
        summary="修改地点 — update a place", request=PlaceUpdateInput, responses=PlaceSerializer, tags=TAG
    ),
    partial_update=extend_schema(
        summary="部分修改地点 — partially update a place",
        request=PlaceUpdateInput,
        responses=PlaceSerializer,
        tags=TAG,
    ),
)
class PlaceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = PlaceSerializer
    create_serializer_class = PlaceCreateInput
    update_serializer_class = PlaceUpdateInput
    filterset_class = PlaceFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.places_visible_to(self.request.user).order_by("path")

    def retrieve(self, request, *args, **kwargs):
        place = _place_detail(self.get_object())
        return Response(PlaceDetailSerializer(place, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="下级地点及其房屋、居民数 — children with counts",
        responses=PlaceChildSerializer(many=True),
        filters=False,
        tags=TAG,
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def children(self, request, pk=None):
        place = self.get_object()
        children = selectors.place_children_with_counts(actor=request.user, place=place)
        return Response(PlaceChildSerializer(children, many=True, context=self.get_serializer_context()).data)

    def _grid(self, data):
        if "grid" not in data:
            return {}
        grid = resolve_visible(
            selectors.grids_visible_to(self.request.user), data["grid"], field="grid", label="网格"
        )
        return {"grid": grid}

    def perform_service_create(self, data):
        data = dict(data)
        parent = resolve_visible(self.get_queryset(), data.pop("parent"), field="parent", label="上级地点")
        grid = self._grid(data)
        data.pop("grid", None)
        with _division_code_errors(data):
            return services.place_create(
                actor=self.request.user,
                level=data.pop("level"),
                name=data.pop("name"),
                parent=parent,
                **grid,
                **data,
            )

    def perform_service_update(self, obj, data):
        data = dict(data)
        grid = self._grid(data)
        data.pop("grid", None)
        with _division_code_errors(data):
            return services.place_update(actor=self.request.user, place=obj, **data, **grid)


class GridFilter(filters.FilterSet):
    community = IdFilter(field_name="community_id", help_text="所属社区 id")

    class Meta:
        model = Grid
        fields = ["community"]


@extend_schema_view(
    list=extend_schema(summary="网格列表 — list grids", tags=TAG),
    retrieve=extend_schema(summary="网格详情 — one grid", tags=TAG),
    create=extend_schema(
        summary="新建网格 — create a grid in a community",
        request=GridCreateInput,
        responses={201: GridSerializer},
        tags=TAG,
    ),
)
class GridViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = GridSerializer
    create_serializer_class = GridCreateInput
    filterset_class = GridFilter
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.grids_visible_to(self.request.user).order_by("community_id", "name")

    def perform_service_create(self, data):
        community = resolve_visible(
            selectors.places_visible_to(self.request.user).filter(level=Level.COMMUNITY),
            data["community"],
            field="community",
            label="社区",
        )
        return services.grid_create(
            actor=self.request.user, community=community, name=data["name"], code=data.get("code", "")
        )


class DwellingFilter(filters.FilterSet):
    unit = IdFilter(field_name="unit_id", help_text="单元 id")
    building = IdFilter(field_name="building_id", help_text="楼栋 id")
    compound = IdFilter(field_name="compound_id", help_text="小区 id")
    community = IdFilter(field_name="community_id", help_text="社区 id")
    grid = IdFilter(field_name="grid_id", help_text="网格 id")
    is_vacant = filters.BooleanFilter(help_text="空置")
    use = filters.ChoiceFilter(choices=Dwelling.Use.choices, help_text="用途")
    address = filters.CharFilter(method="filter_address", help_text="地址前缀,如 阳光花园3栋2单元")

    class Meta:
        model = Dwelling
        fields = ["unit", "building", "compound", "community", "grid", "is_vacant", "use"]

    def filter_address(self, queryset, name, value):
        return queryset.filter(address__startswith=selectors.normalize_address(value))


@extend_schema_view(
    list=extend_schema(summary="房屋列表 — list dwellings", tags=TAG),
    retrieve=extend_schema(
        summary="房屋详情 — one dwelling with counts", responses=DwellingDetailSerializer, tags=TAG
    ),
    create=extend_schema(
        summary="新建房屋 — create a dwelling in a unit",
        request=DwellingCreateInput,
        responses={201: DwellingSerializer},
        tags=TAG,
    ),
    update=extend_schema(
        summary="修改房屋 — update a dwelling",
        request=DwellingUpdateInput,
        responses=DwellingSerializer,
        tags=TAG,
    ),
    partial_update=extend_schema(
        summary="部分修改房屋 — partially update a dwelling",
        request=DwellingUpdateInput,
        responses=DwellingSerializer,
        tags=TAG,
    ),
)
class DwellingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = DwellingSerializer
    create_serializer_class = DwellingCreateInput
    update_serializer_class = DwellingUpdateInput
    filterset_class = DwellingFilter
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.dwellings_visible_to(self.request.user).order_by("address", "id")

    def retrieve(self, request, *args, **kwargs):
        dwelling = self.get_object()
        dwelling.household_count = dwelling.households.filter(is_active=True).count()
        dwelling.resident_count = (
            dwelling.residencies.filter(until__isnull=True, lives_here=True)
            .values("person_id")
            .distinct()
            .count()
        )
        return Response(DwellingDetailSerializer(dwelling, context=self.get_serializer_context()).data)

    def perform_service_create(self, data):
        data = dict(data)
        unit = resolve_visible(
            selectors.places_visible_to(self.request.user).filter(level=Level.UNIT),
            data.pop("unit"),
            field="unit",
            label="单元",
        )
        return services.dwelling_create(actor=self.request.user, unit=unit, room=data.pop("room"), **data)

    def perform_service_update(self, obj, data):
        return services.dwelling_update(actor=self.request.user, dwelling=obj, **data)


def register(router) -> None:
    router.register("places", PlaceViewSet, basename="places-place")
    router.register("grids", GridViewSet, basename="places-grid")
    router.register("dwellings", DwellingViewSet, basename="places-dwelling")

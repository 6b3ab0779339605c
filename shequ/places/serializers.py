"""What the places API shows and accepts. Input serializers only validate; the viewsets call places.services."""

from __future__ import annotations

from rest_framework import serializers

from shequ.places.models import Dwelling, Grid, Level, Place

PLACE_READ_FIELDS = (
    "id",
    "level",
    "level_display",
    "name",
    "parent",
    "path",
    "street",
    "community",
    "compound",
    "building",
    "unit",
    "grid",
    "division_code",
    "has_property_management",
    "property_company",
    "has_security",
    "is_enclosed",
    "is_three_without",
    "built_year",
    "floors",
    "has_elevator",
    "address",
    "sort_key",
)


class PlaceSerializer(serializers.ModelSerializer):
    """A node of the place tree (街道 → 社区 → 小区 → 楼栋 → 单元)."""

    level_display = serializers.CharField(source="get_level_display", read_only=True)
    is_three_without = serializers.BooleanField(read_only=True, help_text="三无小区: 无物业、无保安、不封闭")

    class Meta:
        model = Place
        fields: tuple[str, ...] = PLACE_READ_FIELDS
        read_only_fields: tuple[str, ...] = PLACE_READ_FIELDS


class PlaceDetailSerializer(PlaceSerializer):
    """A place with the counts under it."""

    child_count = serializers.IntegerField(read_only=True)
    dwelling_count = serializers.IntegerField(read_only=True)
    resident_count = serializers.IntegerField(read_only=True, help_text="current residents living here")

    class Meta(PlaceSerializer.Meta):
        fields: tuple[str, ...] = (*PLACE_READ_FIELDS, "child_count", "dwelling_count", "resident_count")
        read_only_fields: tuple[str, ...] = fields


class PlaceChildSerializer(PlaceSerializer):
    dwelling_count = serializers.IntegerField(read_only=True)
    resident_count = serializers.IntegerField(read_only=True)

    class Meta(PlaceSerializer.Meta):
        fields: tuple[str, ...] = (*PLACE_READ_FIELDS, "dwelling_count", "resident_count")
        read_only_fields: tuple[str, ...] = fields


class PlaceFieldsInput(serializers.Serializer):
    division_code = serializers.CharField(required=False, allow_blank=True, max_length=12)
    has_property_management = serializers.BooleanField(required=False, allow_null=True)
    property_company = serializers.CharField(required=False, allow_blank=True, max_length=100)
    has_security = serializers.BooleanField(required=False, allow_null=True)
    is_enclosed = serializers.BooleanField(required=False, allow_null=True)
    built_year = serializers.IntegerField(required=False, allow_null=True, min_value=1800, max_value=2100)
    floors = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=200)
    has_elevator = serializers.BooleanField(required=False, allow_null=True)
    address = serializers.CharField(required=False, allow_blank=True, max_length=200)
    grid = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="楼栋所属网格")


class PlaceCreateInput(PlaceFieldsInput):
    """A new 社区/小区/楼栋/单元 under a parent in the caller's jurisdiction (streets are created by the system)."""

    level = serializers.ChoiceField(choices=Level.choices, help_text="社区/小区/楼栋/单元(街道由系统建立)")
    name = serializers.CharField(max_length=100)
    parent = serializers.IntegerField(min_value=1, help_text="上级地点 id")  # type: ignore[assignment]  # a field named like a Field attribute


class PlaceUpdateInput(PlaceFieldsInput):
    name = serializers.CharField(required=False, max_length=100)
    sort_key = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)


class GridSerializer(serializers.ModelSerializer):
    """网格 — buildings of one community kept by a grid worker."""

    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Grid
        fields: tuple[str, ...] = ("id", "name", "code", "community", "community_name", "street")
        read_only_fields: tuple[str, ...] = fields


class GridCreateInput(serializers.Serializer):
    community = serializers.IntegerField(min_value=1)
    name = serializers.CharField(max_length=60)
    code = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")


class DwellingSerializer(serializers.ModelSerializer):
    """户 — one dwelling (room) in a unit."""

    use_display = serializers.CharField(source="get_use_display", read_only=True)

    class Meta:
        model = Dwelling
        fields: tuple[str, ...] = (
            "id",
            "unit",
            "room",
            "floor",
            "area_m2",
            "use",
            "use_display",
            "is_vacant",
            "street",
            "community",
            "compound",
            "building",
            "grid",
            "address",
        )
        read_only_fields: tuple[str, ...] = fields


class DwellingDetailSerializer(DwellingSerializer):
    household_count = serializers.IntegerField(read_only=True)
    resident_count = serializers.IntegerField(read_only=True)

    class Meta(DwellingSerializer.Meta):
        fields: tuple[str, ...] = (*DwellingSerializer.Meta.fields, "household_count", "resident_count")
        read_only_fields: tuple[str, ...] = fields


class DwellingFieldsInput(serializers.Serializer):
    floor = serializers.IntegerField(required=False, allow_null=True, min_value=-10, max_value=200)
    area_m2 = serializers.DecimalField(
        required=False, allow_null=True, max_digits=7, decimal_places=2, min_value=0
    )
    use = serializers.ChoiceField(choices=Dwelling.Use.choices, required=False)
    is_vacant = serializers.BooleanField(required=False)


class DwellingCreateInput(DwellingFieldsInput):
    unit = serializers.IntegerField(min_value=1, help_text="所在单元 id")
    room = serializers.CharField(max_length=20)


class DwellingUpdateInput(DwellingFieldsInput):
    room = serializers.CharField(max_length=20, required=False)

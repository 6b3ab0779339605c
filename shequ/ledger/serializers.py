"""What the ledger API shows and accepts. ID numbers and phones appear only masked (never the encrypted value
or the look-up hash); a home address is shown in full only to those who may edit that home's records; health
details only to those who may reveal. Input serializers only validate: the viewsets call ledger.services."""

from __future__ import annotations

from rest_framework import serializers

from shequ.core.jurisdiction import covers
from shequ.core.rights import Right
from shequ.ledger.models import (
    Duty,
    GroupTag,
    Household,
    HouseholdMember,
    IdType,
    Need,
    Person,
    Relation,
    Residency,
    Sex,
)
from shequ.ledger.services import REVEALABLE

MASK = "***"


def _actor(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def _home_address(serializer, dwelling) -> str:
    if dwelling is None:
        return ""
    actor = _actor(serializer)
    if covers(actor, Right.LEDGER_EDIT, dwelling) or covers(actor, Right.PII_REVEAL, dwelling):
        return dwelling.address
    return dwelling.masked_address()


class PersonSerializer(serializers.ModelSerializer):
    """A person in the ledger, personal data masked."""

    sex_display = serializers.CharField(source="get_sex_display", read_only=True)
    age = serializers.IntegerField(read_only=True, allow_null=True)
    is_floating = serializers.BooleanField(read_only=True, help_text="流动人口(户籍不在本地)")
    id_number = serializers.CharField(source="id_number_masked", read_only=True, help_text="证件号码(脱敏)")
    phone = serializers.CharField(source="phone_masked", read_only=True, help_text="手机号(脱敏)")
    community_name = serializers.CharField(source="community.name", read_only=True)
    home_address = serializers.SerializerMethodField(help_text="现居住地址(无编辑权限时隐去房号)")
    political_status = serializers.CharField(
        read_only=True, help_text="政治面貌: party/probationary/league/masses/other, or empty"
    )

    class Meta:
        model = Person
        fields: tuple[str, ...] = (
            "id",
            "name",
            "sex",
            "sex_display",
            "birth_date",
            "age",
            "ethnicity",
            "id_type",
            "id_number",
            "phone",
            "phone_is_landline",
            "hukou_region",
            "hukou_is_local",
            "is_floating",
            "political_status",
            "is_deceased",
            "community",
            "community_name",
            "home",
            "home_compound",
            "home_address",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_home_address(self, person) -> str:
        return _home_address(self, person.home)


class TagSerializer(serializers.ModelSerializer):
    """A vulnerable/special-group tag (独居老人, 残疾 …). Health details are hidden from those who may not reveal."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True)
    recorded_by_name = serializers.SerializerMethodField()
    is_current = serializers.SerializerMethodField()

    class Meta:
        model = GroupTag
        fields: tuple[str, ...] = (
            "id",
            "person",
            "person_name",
            "kind",
            "kind_display",
            "grade",
            "detail",
            "since",
            "until",
            "is_current",
            "recorded_by_name",
            "created_at",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_recorded_by_name(self, tag) -> str:
        return tag.recorded_by.display_label if tag.recorded_by_id else ""

    def get_is_current(self, tag) -> bool:
        from django.utils import timezone

        return tag.until is None or tag.until >= timezone.localdate()

    def to_representation(self, tag):
        data = super().to_representation(tag)
        if tag.is_health and not covers(_actor(self), Right.PII_REVEAL, tag.person.community):
            data["grade"] = MASK if tag.grade else ""
            data["detail"] = MASK if tag.detail else ""
        return data


class ResidencySerializer(serializers.ModelSerializer):
    """Who stands in what relation to a dwelling (产权人/租户/实际居住/仅户籍登记), with dates."""

    role_display = serializers.CharField(source="get_role_display", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True)
    dwelling_address = serializers.SerializerMethodField()
    is_current = serializers.BooleanField(read_only=True)

    class Meta:
        model = Residency
        fields: tuple[str, ...] = (
            "id",
            "person",
            "person_name",
            "dwelling",
            "dwelling_address",
            "role",
            "role_display",
            "lives_here",
            "since",
            "until",
            "is_current",
            "source",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_dwelling_address(self, residency) -> str:
        return _home_address(self, residency.dwelling)


class MembershipSerializer(serializers.ModelSerializer):
    person_name = serializers.CharField(source="person.name", read_only=True)
    relation_display = serializers.CharField(source="get_relation_display", read_only=True)

    class Meta:
        model = HouseholdMember
        fields: tuple[str, ...] = (
            "id",
            "household",
            "person",
            "person_name",
            "relation",
            "relation_display",
            "joined_on",
            "left_on",
        )
        read_only_fields: tuple[str, ...] = fields


class DutySerializer(serializers.ModelSerializer):
    """A duty on the roster (网格员, 楼栋长, 党员, 志愿者, 下沉干部 …) with a place of duty."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True)
    place_name = serializers.CharField(source="place.name", read_only=True)

    class Meta:
        model = Duty
        fields: tuple[str, ...] = (
            "id",
            "person",
            "person_name",
            "kind",
            "kind_display",
            "place",
            "place_name",
            "grid",
            "community",
            "title",
            "employer",
            "skills",
            "since",
            "until",
            "is_active",
        )
        read_only_fields: tuple[str, ...] = fields


class PersonDetailSerializer(PersonSerializer):
    """A person with tags, residencies, household memberships and duties."""

    tags = TagSerializer(many=True, read_only=True)
    residencies = ResidencySerializer(many=True, read_only=True)
    memberships = MembershipSerializer(many=True, read_only=True)
    duties = DutySerializer(many=True, read_only=True)

    class Meta(PersonSerializer.Meta):
        fields: tuple[str, ...] = (
            *PersonSerializer.Meta.fields,
            "education",
            "occupation",
            "notes",
            "tags",
            "residencies",
            "memberships",
            "duties",
        )
        read_only_fields: tuple[str, ...] = fields


class PersonInput(serializers.Serializer):
    """Fields a person is registered or corrected with. ID number and phone are given in clear and stored
    encrypted; birth date and sex are derived from the ID number and checked against what was entered."""

    name = serializers.CharField(max_length=50)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    id_type = serializers.ChoiceField(choices=IdType.choices, required=False)
    id_number = serializers.CharField(
        required=False, allow_blank=True, max_length=30, help_text="证件号码(明文输入)"
    )
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30, help_text="手机号或座机")
    phone_is_landline = serializers.BooleanField(required=False)
    ethnicity = serializers.CharField(required=False, allow_blank=True, max_length=20)
    hukou_region = serializers.CharField(required=False, allow_blank=True, max_length=100)
    hukou_is_local = serializers.BooleanField(required=False)
    political_status = serializers.ChoiceField(
        choices=list(Person._meta.get_field("political_status").choices or []),
        required=False,
        allow_blank=True,
    )
    education = serializers.CharField(required=False, allow_blank=True, max_length=20)
    occupation = serializers.CharField(required=False, allow_blank=True, max_length=100)
    is_deceased = serializers.BooleanField(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PersonCreateInput(PersonInput):
    community = serializers.IntegerField(min_value=1, help_text="登记所在社区 id")


class PersonRevealInput(serializers.Serializer):
    field = serializers.ChoiceField(choices=sorted(REVEALABLE), help_text="id_number 或 phone")
    reason = serializers.CharField(max_length=300, help_text="查看原因(写入审计日志)")


class PersonRevealOutput(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


class PersonMoveInput(serializers.Serializer):
    dwelling = serializers.IntegerField(min_value=1, help_text="迁入房屋 id")
    role = serializers.ChoiceField(
        choices=Residency.Role.choices, required=False, default=Residency.Role.OCCUPANT
    )
    on = serializers.DateField(required=False, allow_null=True)
    source = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")  # type: ignore[assignment]  # a field named like a Field attribute


class HouseholdSerializer(serializers.ModelSerializer):
    """户 — a household in one dwelling."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    dwelling_address = serializers.SerializerMethodField()
    head_name = serializers.SerializerMethodField()
    community = serializers.IntegerField(source="dwelling.community_id", read_only=True)

    class Meta:
        model = Household
        fields: tuple[str, ...] = (
            "id",
            "dwelling",
            "dwelling_address",
            "community",
            "kind",
            "kind_display",
            "head",
            "head_name",
            "is_active",
            "last_confirmed_on",
            "last_confirmed_source",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_dwelling_address(self, household) -> str:
        return _home_address(self, household.dwelling)

    def get_head_name(self, household) -> str:
        return household.head.name if household.head_id else ""


class NeedSerializer(serializers.ModelSerializer):
    """服务需求 — what a household needs now, with status."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    person_name = serializers.SerializerMethodField()

    class Meta:
        model = Need
        fields: tuple[str, ...] = (
            "id",
            "household",
            "person",
            "person_name",
            "kind",
            "kind_display",
            "detail",
            "status",
            "status_display",
            "created_at",
            "updated_at",
        )
        read_only_fields: tuple[str, ...] = fields

    def get_person_name(self, need) -> str:
        return need.person.name if need.person_id else ""


class HouseholdMemberDetailSerializer(MembershipSerializer):
    person_detail = PersonSerializer(source="person", read_only=True)

    class Meta(MembershipSerializer.Meta):
        fields: tuple[str, ...] = (*MembershipSerializer.Meta.fields, "person_detail")
        read_only_fields: tuple[str, ...] = fields


class HouseholdDetailSerializer(HouseholdSerializer):
    """一户一档: members (with masked personal data), who stands in what relation to the dwelling, needs."""

    members = serializers.SerializerMethodField()
    residencies = serializers.SerializerMethodField()
    needs = serializers.SerializerMethodField()

    class Meta(HouseholdSerializer.Meta):
        fields: tuple[str, ...] = (*HouseholdSerializer.Meta.fields, "members", "residencies", "needs")
        read_only_fields: tuple[str, ...] = fields

    def get_members(self, household) -> list[dict]:
        rows = household.members.select_related("person__community", "person__home").order_by("left_on", "id")
        return list(HouseholdMemberDetailSerializer(rows, many=True, context=self.context).data)

    def get_residencies(self, household) -> list[dict]:
        rows = Residency.objects.filter(dwelling=household.dwelling).select_related("person", "dwelling")
        return list(
            ResidencySerializer(rows.order_by("until", "role", "id"), many=True, context=self.context).data
        )

    def get_needs(self, household) -> list[dict]:
        rows = household.needs.select_related("person").order_by("status", "-created_at")
        return list(NeedSerializer(rows, many=True, context=self.context).data)


class HouseholdCreateInput(serializers.Serializer):
    dwelling = serializers.IntegerField(min_value=1)
    head = serializers.IntegerField(min_value=1, required=False, allow_null=True, help_text="户主 person id")
    kind = serializers.ChoiceField(
        choices=Household.Kind.choices, required=False, default=Household.Kind.FAMILY
    )


class HouseholdConfirmInput(serializers.Serializer):
    source = serializers.CharField(max_length=60, help_text="核实来源,如 入户走访")  # type: ignore[assignment]  # a field named like a Field attribute
    on = serializers.DateField(required=False, allow_null=True)


class HouseholdMemberAddInput(serializers.Serializer):
    person = serializers.IntegerField(min_value=1)
    relation = serializers.ChoiceField(choices=Relation.choices)
    joined_on = serializers.DateField(required=False, allow_null=True)


class ResidencyCreateInput(serializers.Serializer):
    person = serializers.IntegerField(min_value=1)
    dwelling = serializers.IntegerField(min_value=1)
    role = serializers.ChoiceField(choices=Residency.Role.choices)
    lives_here = serializers.BooleanField(required=False, default=True)
    since = serializers.DateField(required=False, allow_null=True)
    until = serializers.DateField(required=False, allow_null=True)
    source = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")  # type: ignore[assignment]  # a field named like a Field attribute


class LedgerEndInput(serializers.Serializer):
    until = serializers.DateField(required=False, allow_null=True, help_text="结束日期,默认今天")


class TagCreateInput(serializers.Serializer):
    person = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=GroupTag.Kind.choices)
    grade = serializers.CharField(required=False, allow_blank=True, max_length=20, default="")
    detail = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    since = serializers.DateField(required=False, allow_null=True)
    until = serializers.DateField(required=False, allow_null=True)


class NeedCreateInput(serializers.Serializer):
    household = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=Need.Kind.choices)
    detail = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    person = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class NeedStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=Need.Status.choices)


class DutyCreateInput(serializers.Serializer):
    person = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=Duty.Kind.choices)
    place = serializers.IntegerField(min_value=1, help_text="履职地点(社区/小区/楼栋/单元)id")
    title = serializers.CharField(required=False, allow_blank=True, max_length=60, default="")
    employer = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    skills = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    since = serializers.DateField(required=False, allow_null=True)

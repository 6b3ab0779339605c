"""Forms for the ledger pages. They parse input; the services validate the domain and raise DomainError,
which `add_domain_error` puts next to the field it names."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.ledger.models import Duty, GroupTag, IdType, Need, Person, Relation, Residency, Sex

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # what <input type=date> accepts

POLITICAL_CHOICES = [("", "—"), *(Person._meta.get_field("political_status").choices or [])]


class PersonFieldsForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    sex = forms.ChoiceField(
        label=_("性别"), choices=[("", _("由证件号码识别")), *Sex.choices], required=False
    )
    birth_date = forms.DateField(label=_("出生日期"), required=False, widget=DATE)
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IdType.choices, initial=IdType.RESIDENT)
    id_number = forms.CharField(label=_("证件号码"), max_length=30, required=False)
    phone = forms.CharField(
        label=_("手机号"), max_length=30, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    phone_is_landline = forms.BooleanField(label=_("座机号码"), required=False)
    ethnicity = forms.CharField(label=_("民族"), max_length=20, required=False, initial="汉族")
    hukou_region = forms.CharField(label=_("户籍地"), max_length=100, required=False)
    hukou_is_local = forms.BooleanField(label=_("本地户籍"), required=False, initial=True)
    political_status = forms.ChoiceField(label=_("政治面貌"), choices=POLITICAL_CHOICES, required=False)
    education = forms.CharField(label=_("文化程度"), max_length=20, required=False)
    occupation = forms.CharField(label=_("职业/单位"), max_length=100, required=False)
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class PersonCreateForm(PersonFieldsForm):
    community: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("所属社区"), queryset=None, empty_label=None
    )
    field_order = ["community"]

    def __init__(self, *args, communities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities
        self.fields["community"].label_from_instance = lambda p: p.name


class PersonJoinForm(forms.Form):
    """When a person is created from a household page: their relation to the head and to the dwelling."""

    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    role = forms.ChoiceField(
        label=_("居住关系"), choices=[("", _("不登记")), *Residency.Role.choices], required=False
    )


class PersonEditForm(PersonFieldsForm):
    is_deceased = forms.BooleanField(label=_("已故"), required=False)

    def __init__(self, *args, person: Person, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].help_text = _("当前:%(v)s。留空则不修改。") % {
            "v": person.id_number_masked or _("未登记")
        }
        self.fields["phone"].help_text = _("当前:%(v)s。留空则不修改。") % {
            "v": person.phone_masked or _("未登记")
        }
        if not self.is_bound:
            for name in self.fields:
                if name not in ("id_number", "phone") and hasattr(person, name):
                    self.initial[name] = getattr(person, name)

    def changes(self, person: Person) -> dict:
        """Only what differs from the stored person (so an untouched field is never rewritten)."""
        data = self.cleaned_data
        result = {}
        for name, value in data.items():
            if name in ("id_number", "phone"):
                if value.strip():
                    result[name] = value.strip()
                continue
            if name == "sex" and not value:
                continue
            if getattr(person, name, None) != value:
                result[name] = value
        return result


class RevealForm(forms.Form):
    field = forms.ChoiceField(
        label=_("查看内容"), choices=[("id_number", _("证件号码")), ("phone", _("手机号"))]
    )
    reason = forms.CharField(
        label=_("查看原因"),
        max_length=300,
        min_length=2,
        error_messages={"required": _("请填写查看原因"), "min_length": _("请填写查看原因")},
    )


class PickPersonMixin(forms.Form):
    person = forms.IntegerField(
        label=_("人员"), widget=forms.HiddenInput, error_messages={"required": _("请先搜索并选择人员")}
    )


class MemberAddForm(PickPersonMixin):
    relation = forms.ChoiceField(label=_("与户主关系"), choices=Relation.choices)
    joined_on = forms.DateField(label=_("入户日期"), required=False, widget=DATE)


class ResidencyForm(forms.Form):
    person = forms.TypedChoiceField(label=_("人员"), coerce=int)
    role = forms.ChoiceField(label=_("居住关系"), choices=Residency.Role.choices)
    lives_here = forms.BooleanField(label=_("在此居住"), required=False, initial=True)
    since = forms.DateField(label=_("起始日期"), required=False, widget=DATE)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.name) for p in people]


class MoveForm(forms.Form):
    dwelling = forms.IntegerField(
        label=_("房屋"), widget=forms.HiddenInput, error_messages={"required": _("请先搜索并选择房屋")}
    )
    role = forms.ChoiceField(label=_("居住关系"), choices=Residency.Role.choices, initial="occupant")
    on = forms.DateField(label=_("迁入日期"), required=False, widget=DATE)


class TagForm(forms.Form):
    person = forms.TypedChoiceField(label=_("人员"), coerce=int)
    kind = forms.ChoiceField(label=_("类别"), choices=GroupTag.Kind.choices)
    grade = forms.CharField(label=_("等级"), max_length=20, required=False)
    detail = forms.CharField(label=_("说明"), max_length=200, required=False)
    since = forms.DateField(label=_("起始日期"), required=False, widget=DATE)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(p.pk, p.name) for p in people]


class NeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("需求类别"), choices=Need.Kind.choices)
    detail = forms.CharField(label=_("说明"), max_length=300, required=False)
    person = forms.TypedChoiceField(label=_("涉及人员"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [("", "—")] + [(p.pk, p.name) for p in people]


class NeedStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("状态"), choices=Need.Status.choices)


class ConfirmForm(forms.Form):
    source = forms.CharField(label=_("核实来源"), max_length=60, initial="入户走访")
    on = forms.DateField(label=_("核实日期"), required=False, widget=DATE)


class DutyForm(PickPersonMixin):
    kind = forms.ChoiceField(label=_("职责"), choices=Duty.Kind.choices)
    title = forms.CharField(label=_("岗位"), max_length=60, required=False)
    employer = forms.CharField(label=_("工作单位"), max_length=100, required=False)
    skills = forms.CharField(label=_("技能"), max_length=200, required=False)
    since = forms.DateField(label=_("起始日期"), required=False, widget=DATE)

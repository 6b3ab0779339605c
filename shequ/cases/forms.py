"""Forms parse input only; the services validate the domain rules and say what is wrong."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from shequ.cases.models import (
    DEPARTMENTS,
    SERVICE_ITEM_FIELDS,
    AdmissionItem,
    Case,
    HandlingLevel,
    ServiceItem,
)
from shequ.places.models import Level


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if not data:
            return []
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data]


def _category_choices(items) -> list[tuple]:
    return [("", _("— 请选择 —"))] + [(i.pk, f"{i.get_kind_display()} · {i.name}") for i in items]


class IntakeForm(forms.Form):
    """Counter, hotline, on-behalf or visit intake by a worker."""

    channel = forms.ChoiceField(
        label=_("来源渠道"),
        choices=[
            (c.value, c.label)
            for c in Case.Channel
            if c not in (Case.Channel.RESIDENT, Case.Channel.ANONYMOUS)
        ],
    )
    place = forms.TypedChoiceField(label=_("地点"), coerce=int, choices=())
    category = forms.TypedChoiceField(
        label=_("诉求类别"), coerce=int, choices=(), required=False, empty_value=None
    )
    title = forms.CharField(label=_("标题"), max_length=120, required=False)
    description = forms.CharField(
        label=_("详细描述"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    requester_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    requester_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    attachments = MultipleFileField(label=_("照片或文件"), required=False)

    def __init__(self, *args, places=(), items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [(p.pk, f"{p.get_level_display()} · {p}") for p in places]
        self.fields["category"].choices = _category_choices(items)


class ResidentSubmitForm(forms.Form):
    category = forms.TypedChoiceField(
        label=_("诉求类别"), coerce=int, choices=(), required=False, empty_value=None
    )
    title = forms.CharField(label=_("一句话说明问题"), max_length=120, required=False)
    description = forms.CharField(
        label=_("详细描述"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    photo = MultipleFileField(label=_("照片(可多张)"), required=False)

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = _category_choices(items)
        self.fields["photo"].widget.attrs.update({"accept": "image/*", "capture": "environment"})


class AnonymousSubmitForm(ResidentSubmitForm):
    place = forms.TypedChoiceField(label=_("小区或社区"), coerce=int, choices=())
    requester_name = forms.CharField(label=_("您的称呼"), max_length=50, required=False)
    requester_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    field_order = ["place", "category", "title", "description", "photo", "requester_name", "requester_phone"]

    def __init__(self, *args, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = [("", _("— 请选择 —"))] + [
            (p.pk, f"{p.community.name} · {p.name}" if p.level == Level.COMPOUND else p.name) for p in places
        ]


_stars = lazy(lambda n: ngettext("%(n)s星", "%(n)s星", n) % {"n": n}, str)


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("满意度"),
        coerce=int,
        choices=[(i, _stars(i)) for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("评价"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class WhistleForm(forms.Form):
    reason = forms.CharField(label=_("吹哨事由"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    report_by = forms.DateTimeField(
        label=_("报到期限"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    departments = forms.MultipleChoiceField(
        label=_("召集部门"),
        choices=[(d, _(d)) for d in DEPARTMENTS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    members = forms.TypedMultipleChoiceField(
        label=_("召集党员"), coerce=int, choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [(u.pk, u.display_label) for u in members]


class ServiceItemForm(forms.ModelForm):
    class Meta:
        model = ServiceItem
        fields = list(SERVICE_ITEM_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "documents_needed": forms.Textarea(attrs={"rows": 3}),
            "department": forms.Select(choices=[("", "—")] + [(d, _(d)) for d in DEPARTMENTS]),
        }

    scope = forms.ChoiceField(label=_("适用范围"), choices=(), required=False)

    def __init__(self, *args, scopes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scopes
        self.fields["lowest_level"].choices = HandlingLevel.choices

    def validate_unique(self):  # the service checks the code; the street is not a form field
        pass


class AdmissionItemForm(forms.ModelForm):
    class Meta:
        model = AdmissionItem
        fields = ["department", "name", "basis", "resources", "funding_yuan", "is_active"]
        widgets = {
            "department": forms.Select(choices=[("", "—")] + [(d, _(d)) for d in DEPARTMENTS]),
            "resources": forms.Textarea(attrs={"rows": 3}),
        }

    def validate_unique(self):
        pass


class DutyForm(forms.Form):
    community = forms.TypedChoiceField(label=_("社区"), coerce=int, choices=())
    department = forms.ChoiceField(
        label=_("下派部门"), choices=[("", "—")] + [(d, _(d)) for d in DEPARTMENTS], required=False
    )
    title = forms.CharField(label=_("事项"), max_length=120, required=False)
    admission_item = forms.TypedChoiceField(
        label=_("对应准入清单事项"), coerce=int, choices=(), required=False, empty_value=None
    )
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    handed_on = forms.DateField(
        label=_("下派日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    estimated_hours = forms.DecimalField(label=_("预计工时(小时)"), required=False, min_value=0, max_digits=7)

    def __init__(self, *args, communities=(), admission_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.pk, c.name) for c in communities]
        self.fields["admission_item"].choices = [("", _("— 不在清单内 / 自动匹配 —"))] + [
            (i.pk, str(i)) for i in admission_items
        ]

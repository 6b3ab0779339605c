"""Forms for plans, activation, teams and review. They parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.emergency.models import ResponseLevel


class ActivateForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("预案"), queryset=None)
    scope = forms.ModelMultipleChoiceField(
        label=_("响应范围"),
        queryset=None,
        help_text=_("选择整个社区,或若干小区/楼栋"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    level = forms.TypedChoiceField(label=_("响应级别"), choices=ResponseLevel.choices, coerce=int)
    title = forms.CharField(label=_("事件名称"), max_length=120, required=False)
    is_drill = forms.BooleanField(label=_("演练(不计入正式统计)"), required=False)

    def __init__(self, *args, plans, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans
        self.fields["scope"].queryset = places
        self.fields["scope"].label_from_instance = lambda p: (
            f"{p.get_level_display()} · {p.full_address() or p.name}"
        )


class PlanCopyForm(forms.Form):
    community = forms.ModelChoiceField(label=_("复制到社区"), queryset=None)
    name = forms.CharField(label=_("新预案名称"), max_length=100, required=False)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class PlanEditForm(forms.Form):
    name = forms.CharField(label=_("预案名称"), max_length=100)
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    teams = forms.CharField(label=_("小组与岗位(JSON)"), widget=forms.Textarea(attrs={"rows": 10}))
    tasks = forms.CharField(label=_("任务与时限(JSON)"), widget=forms.Textarea(attrs={"rows": 10}))

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan_parameters = list(plan.parameters.all())
        for p in self.plan_parameters:
            self.fields[f"param_{p.key}"] = forms.CharField(
                label=f"{p.label}{f'({p.unit})' if p.unit else ''}",
                required=p.type != "text",
                help_text=p.get_type_display(),
                widget=forms.Textarea(attrs={"rows": 3}) if p.type == "json" else forms.TextInput,
            )

    def parameter_values(self) -> dict:
        import json

        out = {}
        for p in self.plan_parameters:
            raw = self.cleaned_data.get(f"param_{p.key}", "")
            if p.type == "json":
                try:
                    raw = json.loads(raw)
                except ValueError:
                    self.add_error(f"param_{p.key}", _("不是有效的 JSON"))
                    continue
            out[p.key] = raw
        return out


class KindForm(forms.Form):
    name = forms.CharField(label=_("新增突发事件类别"), max_length=60)


class MemberAddForm(forms.Form):
    team = forms.ModelChoiceField(label=_("小组"), queryset=None)
    person = forms.ModelChoiceField(label=_("人员"), queryset=None)
    post = forms.CharField(label=_("岗位"), max_length=40)
    responsibility = forms.CharField(label=_("职责"), max_length=200, required=False)
    place = forms.ModelChoiceField(label=_("点位"), queryset=None, required=False)

    def __init__(self, *args, teams, people, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams
        self.fields["person"].queryset = people
        self.fields["place"].queryset = places


class MemberUpdateForm(forms.Form):
    team = forms.ModelChoiceField(label=_("小组"), queryset=None)
    post = forms.CharField(label=_("岗位"), max_length=40)
    responsibility = forms.CharField(label=_("职责"), max_length=200, required=False)

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务"), max_length=200)
    team = forms.ModelChoiceField(label=_("小组"), queryset=None, required=False)
    due_at = forms.DateTimeField(
        label=_("截止时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams


class NotesForm(forms.Form):
    notes = forms.CharField(label=_("复盘意见"), widget=forms.Textarea(attrs={"rows": 5}), required=False)

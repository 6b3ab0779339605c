"""Forms of record linkage: a review decision, a dedupe scan's community, and a split's new person."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.ledger.models import Sex


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("判断"),
        choices=[("match", _("是同一人")), ("not_match", _("不是同一人")), ("skip", _("跳过"))],
        error_messages={"required": _("请选择:是同一人、不是同一人或跳过"), "invalid_choice": _("判断无效")},
    )


class ScanForm(forms.Form):
    community = forms.ChoiceField(label=_("社区"))

    def __init__(self, *args, communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(str(c.pk), c.name) for c in communities]


class SplitForm(forms.Form):
    name = forms.CharField(label=_("新人员姓名"), max_length=50)
    sex = forms.ChoiceField(label=_("性别"), choices=[("", "—")] + list(Sex.choices), required=False)
    birth_date = forms.DateField(
        label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    id_number = forms.CharField(label=_("证件号码"), max_length=24, required=False)
    phone = forms.CharField(label=_("手机号"), max_length=20, required=False)

"""Forms for epidemic operations. The plan's zone types fill the zone form's choices."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.epidemic.models import Monitoring


class ZoneForm(forms.Form):
    place = forms.ModelChoiceField(label=_("小区/楼栋"), queryset=None)
    zone_type = forms.ChoiceField(label=_("区域类型"))
    starts_at = forms.DateTimeField(
        label=_("开始时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def __init__(self, *args, places, zone_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places
        self.fields["place"].label_from_instance = lambda p: p.full_address() or p.name
        self.fields["zone_type"].choices = [(z, z) for z in zone_types]


class PersonByIdForm(forms.Form):
    """Pick a person in scope: by ID number (exact) — the ledger's search does the rest."""

    id_number = forms.CharField(label=_("证件号码"), max_length=24)


class MonitoringForm(PersonByIdForm):
    kind = forms.ChoiceField(label=_("类型"), choices=Monitoring.Kind.choices)
    reason = forms.CharField(label=_("原因"), max_length=200)
    starts_on = forms.DateField(
        label=_("开始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class EntryForm(forms.Form):
    temperature = forms.CharField(label=_("体温(℃)"), max_length=5)
    has_symptoms = forms.BooleanField(label=_("有症状"), required=False)
    notes = forms.CharField(label=_("备注"), max_length=200, required=False)


class TransferForm(forms.Form):
    destination = forms.CharField(label=_("转运去向"), max_length=100)


class RefusalForm(forms.Form):
    reason = forms.CharField(label=_("拒绝原因"), max_length=200)
    follow_up = forms.CharField(label=_("跟进措施"), max_length=200)


class ContactForm(PersonByIdForm):
    case_label = forms.CharField(label=_("关联病例"), max_length=60)
    relation = forms.CharField(label=_("关系"), max_length=40)
    last_contact_on = forms.DateField(label=_("末次接触日期"), widget=forms.DateInput(attrs={"type": "date"}))


class RoundForm(forms.Form):
    name = forms.CharField(label=_("轮次名称"), max_length=100)
    on = forms.DateField(label=_("检测日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("结果文件(CSV:证件号码,结果[,采样时间])"))

"""Forms of the import pages: upload, data source, extract request."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.imports.fields import EXTRACT_COLUMNS
from shequ.imports.models import DataSource


class PlaceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class UploadForm(forms.Form):
    source = forms.ModelChoiceField(label=_("数据来源"), queryset=DataSource.objects.none())
    place = PlaceChoiceField(label=_("导入到"), queryset=None)
    file = forms.FileField(label=_("文件(.xlsx / .xls / .csv)"))
    observed_on = forms.DateField(
        label=_("数据日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("名单的截止日期;不填为今天"),
    )

    def __init__(self, *args, sources, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources
        self.fields["place"].queryset = places
        if places.count() == 1:
            self.fields["place"].initial = places.first()


class SourceForm(forms.Form):
    name = forms.CharField(label=_("来源名称"), max_length=60)
    kind = forms.ChoiceField(label=_("来源类别"), choices=DataSource.Kind.choices)
    owner = PlaceChoiceField(label=_("所属"), queryset=None)
    trust_rank = forms.IntegerField(
        label=_("可信度(0–100)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=_("来源说法不一致时,可信度高的为准;不填按类别默认"),
    )

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = places


class ExtractForm(forms.Form):
    place = PlaceChoiceField(label=_("范围"), queryset=None)
    columns = forms.MultipleChoiceField(
        label=_("列"),
        choices=[(key, _(label)) for key, label in EXTRACT_COLUMNS.items()],
        widget=forms.CheckboxSelectMultiple,
    )
    purpose = forms.CharField(label=_("用途"), max_length=200)

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = places
        if places.count() == 1:
            self.fields["place"].initial = places.first()


class SettleForm(forms.Form):
    field = forms.CharField(max_length=20)
    observation = forms.IntegerField()
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


STALE_PERIODS = [("30", _("30天")), ("90", _("90天")), ("180", _("180天")), ("365", _("一年"))]


class StaleForm(forms.Form):
    days = forms.ChoiceField(label=_("多久未核实"), choices=STALE_PERIODS, required=False)
    before = forms.DateField(
        label=_("或:在此日期之后未核实"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

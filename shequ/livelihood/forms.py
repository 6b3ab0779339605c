"""Forms of the living-guarantee pages. They parse; the rules (cut-off, limits, codes, capacity) live in the
services, so the page and the API refuse the same things with the same words."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.livelihood.models import Contact, Merchant


class MerchantForm(forms.Form):
    name = forms.CharField(label=_("商户名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=Merchant.Kind.choices)
    areas = forms.ModelMultipleChoiceField(label=_("服务范围"), queryset=None)
    contact_name = forms.CharField(label=_("联系人"), max_length=40, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    def __init__(self, *args, areas=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = areas


class GroupBuyForm(forms.Form):
    merchant = forms.ModelChoiceField(label=_("商户"), queryset=None)
    place = forms.ModelChoiceField(label=_("团购范围(楼栋或小区)"), queryset=None)
    title = forms.CharField(label=_("团购名称"), max_length=100)
    cutoff_at = forms.DateTimeField(
        label=_("截单时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    delivery_on = forms.DateField(
        label=_("配送日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    items = forms.CharField(
        label=_("商品清单"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一件:名称,单位,单价,每户限购 — 如:蔬菜包,份,39.9,2"),
    )
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, merchants=None, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merchant"].queryset = merchants
        self.fields["place"].queryset = places

    def clean_items(self) -> list[dict]:
        rows = []
        for number, line in enumerate(self.cleaned_data["items"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            parts = [p.strip() for p in line.replace(",", ",").split(",")]
            if len(parts) != 4:
                raise forms.ValidationError(_("第%(n)s行应为“名称,单位,单价,每户限购”四项") % {"n": number})
            rows.append(
                {"name": parts[0], "unit": parts[1], "price": parts[2], "limit_per_household": parts[3]}
            )
        if not rows:
            raise forms.ValidationError(_("请至少添加一件商品"))
        return rows


class PickupCodeForm(forms.Form):
    pickup_code = forms.CharField(
        label=_("取件码"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class DeliveryPlanForm(forms.Form):
    volunteers = forms.ModelMultipleChoiceField(
        label=_("配送志愿者"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, volunteers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteers"].queryset = volunteers
        self.fields["volunteers"].label_from_instance = lambda u: u.display_label


class MedicineForm(forms.Form):
    person = forms.ModelChoiceField(label=_("居民"), queryset=None)
    details = forms.CharField(
        label=_("药品(名称、规格、数量)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("属于健康信息,保存后隐藏显示"),
    )
    pharmacy = forms.ModelChoiceField(label=_("药店"), queryset=None, required=False)

    def __init__(self, *args, people=None, pharmacies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = people
        self.fields["pharmacy"].queryset = pharmacies


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看原因"), max_length=300)


class PairingForm(forms.Form):
    resident = forms.ModelChoiceField(label=_("重点人员"), queryset=None)
    helper = forms.ModelChoiceField(label=_("帮扶人"), queryset=None)

    def __init__(self, *args, residents=None, helpers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = residents
        self.fields["helper"].queryset = helpers


class ReassignForm(forms.Form):
    helper = forms.ModelChoiceField(label=_("改为帮扶人"), queryset=None)

    def __init__(self, *args, helpers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["helper"].queryset = helpers


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("方式"), choices=Contact.Kind.choices)
    note = forms.CharField(label=_("情况"), max_length=200, required=False)

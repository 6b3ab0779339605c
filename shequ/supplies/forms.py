"""Forms of the supplies pages. They only parse; quantities are checked by the services (countable items,
stock on hand) so the page and the API give the same messages."""

from __future__ import annotations

import html

from django import forms
from django.forms.utils import flatatt
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from shequ.supplies.allocation import DEFAULT_WEIGHTS, WEIGHT_LABELS
from shequ.supplies.models import Item


class LongSelect(forms.Select):
    """A <select> for the catalogue (1,000 items), written out in Python. Django renders every <option> through
    a template (~40 µs each): the store page's four item pickers cost ~150 ms that way. Same markup; the options
    of a shared choice list are written once per request (OptionList) however many pickers show them."""

    def render(self, name, value, attrs=None, renderer=None):
        final = self.build_attrs(self.attrs, attrs)
        final["name"] = name
        chosen = [str(v) for v in self.format_value(value) if v not in (None, "")]
        options = self.choices.html() if isinstance(self.choices, OptionList) else _options_html(self.choices)
        for v in chosen:
            needle = f'<option value="{html.escape(v)}">'
            options = options.replace(needle, needle[:-1] + " selected>", 1)
        if not chosen:
            options = options.replace('<option value="">', '<option value="" selected>', 1)
        return mark_safe(f"<select{flatatt(final)}>{options}</select>")  # values and labels escaped


def _options_html(choices) -> str:
    return "".join(
        f'<option value="{html.escape("" if v is None else str(v))}">{html.escape(str(label))}</option>'
        for v, label in choices
    )


class OptionList(BaseChoiceIterator):
    """A choice list shared by several pickers on one page; its <option> markup is built once. (A choice
    iterator, so Django keeps it as given instead of copying it into a plain list.)"""

    def __init__(self, choices):
        self._choices = list(choices)
        self._html: str | None = None

    def __iter__(self):
        return iter(self._choices)

    def __len__(self) -> int:
        return len(self._choices)

    def html(self) -> str:
        if self._html is None:
            self._html = _options_html(self._choices)
        return self._html


class ItemChoiceForm(forms.Form):
    def __init__(self, *args, items=None, stores=None, item_choices=None, store_choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "item" in self.fields and items is not None:
            self.fields["item"].widget = LongSelect()
            self.fields["item"].queryset = items  # also hands the widget its choices
            if item_choices is not None:
                # The page's forms share one list (one query, not one per picker); validation still goes
                # through the scoped queryset.
                self.fields["item"].widget.choices = item_choices
        for name in ("store", "to_store", "into_store"):
            if name in self.fields and stores is not None:
                self.fields[name].widget = LongSelect()  # a street has a hundred stores
                self.fields[name].queryset = stores
                if store_choices is not None:
                    self.fields[name].widget.choices = store_choices


class ReceiptForm(ItemChoiceForm):
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.none())
    quantity = forms.CharField(label=_("数量"), max_length=20)
    lot_number = forms.CharField(label=_("批号"), max_length=40, required=False)
    expires_on = forms.DateField(
        label=_("有效期至"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class IssueForm(ItemChoiceForm):
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.none())
    quantity = forms.CharField(label=_("数量"), max_length=20)
    recipient = forms.CharField(label=_("领用方"), max_length=100)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class TransferForm(ItemChoiceForm):
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.none())
    quantity = forms.CharField(label=_("数量"), max_length=20)
    to_store = forms.ModelChoiceField(label=_("调入仓库"), queryset=Item.objects.none())
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class CountForm(forms.Form):
    lot = forms.IntegerField(widget=forms.HiddenInput)
    counted = forms.CharField(label=_("盘点数"), max_length=20)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class ReorderForm(ItemChoiceForm):
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.none())
    level = forms.CharField(label=_("补货线"), max_length=20)


class RequestForm(ItemChoiceForm):
    place = forms.ModelChoiceField(label=_("申领单位"), queryset=Item.objects.none())
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.none())
    quantity = forms.CharField(label=_("数量"), max_length=20)
    team = forms.CharField(label=_("队伍"), max_length=60, required=False)
    reason = forms.CharField(label=_("用途说明"), max_length=200, required=False)

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        if places is not None:
            self.fields["place"].queryset = places


class AllocateForm(ItemChoiceForm):
    store = forms.ModelChoiceField(label=_("出库仓库"), queryset=Item.objects.none())
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, default in DEFAULT_WEIGHTS.items():
            self.fields[f"w_{key}"] = forms.CharField(
                label=_("权重:") + WEIGHT_LABELS[key], initial=default, max_length=10
            )

    def weights(self) -> dict:
        return {k: self.cleaned_data.get(f"w_{k}") for k in DEFAULT_WEIGHTS}


class ReceiveForm(ItemChoiceForm):
    quantity = forms.CharField(label=_("实收数量"), max_length=20, required=False)
    into_store = forms.ModelChoiceField(label=_("入库到"), queryset=Item.objects.none(), required=False)


class ItemForm(forms.Form):
    code = forms.CharField(label=_("物资编码"), max_length=30)
    name = forms.CharField(label=_("名称"), max_length=80)
    category = forms.ChoiceField(label=_("类别"), choices=Item.Category.choices)
    grade = forms.CharField(label=_("规格/等级"), max_length=40, required=False)
    unit = forms.CharField(label=_("计量单位"), max_length=10)
    pack_size = forms.IntegerField(label=_("每包装数量"), min_value=1, initial=1)
    is_countable = forms.BooleanField(label=_("按件计数(整数)"), required=False, initial=True)
    daily_norm_per_person = forms.CharField(label=_("人均日消耗"), max_length=20, initial="0")


class NormForm(ItemChoiceForm):
    item = forms.ModelChoiceField(label=_("物资"), queryset=Item.objects.none())
    norm = forms.CharField(label=_("人均日消耗"), max_length=20)
    plan = forms.CharField(label=_("预案(留空为默认定额)"), max_length=60, required=False)

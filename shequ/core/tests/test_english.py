"""English pages of the later apps carry no Chinese chrome: every heading, label, button, menu entry, chart legend
and placeholder comes from the catalogue (locale/en). Chinese left on the page must be data (names, places,
titles typed by users, seeded catalogues), which the test recognises by reading every text column of the database.

It fails if the catalogue were empty or a template/Python string were left unmarked."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from importlib import import_module
from importlib.util import find_spec

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.urls import reverse

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
# The language switch names Chinese in Chinese on purpose.
ALLOWED = {"中文"}
VISIBLE_ATTRS = {"placeholder", "title", "aria-label", "alt"}


class _Visible(HTMLParser):
    """Text a user sees: text nodes, placeholder/title/aria-label/alt, button values and chart JSON (its legends
    and series names are drawn on screen); not option values, hidden inputs or other scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._script = "json" if attrs.get("type") == "application/json" else "skip"
            return
        self.parts += [v for k, v in attrs.items() if k in VISIBLE_ATTRS and v]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._script = None

    def handle_data(self, data):
        if self._script == "json":
            self.parts.append(json.dumps(json.loads(data), ensure_ascii=False))
        elif self._script is None:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def _collect(value, out: set[str]) -> None:
    if isinstance(value, str):
        if CJK.search(value):
            out.add(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            _collect(k, out)
            _collect(v, out)
    elif isinstance(value, list | tuple):
        for v in value:
            _collect(v, out)


def data_strings() -> set[str]:
    """Every Chinese string stored in a text or JSON column (choice columns excluded: their labels are chrome)."""
    out: set[str] = set()
    for model in apps.get_models():
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField) and not f.choices
        ]
        if columns:
            for row in model._default_manager.values_list(*columns):
                _collect(row, out)
    return out


def chinese_chrome(html: str, data: set[str]) -> list[str]:
    """CJK runs left once the data values are taken out. A one-character value (a unit, a surname) is taken out
    only where it stands alone, so it cannot hide a one-character word of chrome."""
    text = visible_text(html)
    for value in sorted((d for d in data if len(d) > 1), key=len, reverse=True):
        text = text.replace(value, " ")
    return sorted({run for run in CJK.findall(text) if run not in data and run not in ALLOWED})


def populate_apps(world) -> None:
    """Each app's `testing.populate(world)` (as the jurisdiction walk uses): cases with whistles, incidents with an
    epidemic campaign, group buys, stores and requests, import batches, review items, notifications."""
    for app in settings.SHEQU_APPS:
        name = f"shequ.{app}.testing"
        if find_spec(name) is not None and hasattr(module := import_module(name), "populate"):
            module.populate(world)


@pytest.fixture
def pages(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    populate_apps(world)
    from shequ.cases.models import Case
    from shequ.emergency.models import Incident
    from shequ.imports.models import ImportBatch
    from shequ.livelihood.models import GroupBuy
    from shequ.supplies.models import Store

    a = world.a
    case = Case.objects.get(title="阳光花园3栋楼道漏水-甲方案例")
    incident = Incident.objects.filter(community=a.community, plan__kind__code="public_health").latest("pk")
    group_buy = GroupBuy.objects.get(title="阳光3栋蔬菜团")
    store = Store.objects.get(code="A-STORE")
    batch = ImportBatch.objects.filter(original_name="走访名单.xlsx").latest("pk")
    worker_pages = [
        reverse("cases:queue"),
        reverse("cases:detail", args=[case.pk]),
        reverse("cases:intake"),
        reverse("cases:whistles"),
        reverse("emergency:incident_list"),
        reverse("emergency:plan_list"),
        reverse("emergency:plan_detail", args=[incident.plan_id]),
        reverse("emergency:incident_detail", args=[incident.pk]),
        reverse("emergency:incident_review", args=[incident.pk]),
        reverse("epidemic:board", args=[incident.pk]),
        reverse("epidemic:checkins", args=[incident.pk]),
        reverse("epidemic:monitoring_list", args=[incident.pk]),
        reverse("supplies:stock"),
        reverse("supplies:store_detail", args=[store.pk]),
        reverse("supplies:requests"),
        reverse("livelihood:index"),
        reverse("livelihood:group_buy", args=[group_buy.pk]),
        reverse("livelihood:pairing"),
        reverse("imports:index"),
        reverse("imports:batch", args=[batch.pk]),
        reverse("imports:owners"),
        reverse("linkage:queue"),
        reverse("notifications:inbox"),
    ]
    officer_pages = [
        reverse("cases:dashboard"),
        reverse("cases:catalogue"),
        reverse("cases:admission"),
        reverse("supplies:stock"),
        reverse("supplies:catalogue"),
    ]
    resident_pages = [reverse("cases:my"), reverse("livelihood:index")]
    return [
        (a.worker, worker_pages),
        (world.street_officer, officer_pages),
        (a.resident, resident_pages),
    ]


def _english_client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def test_later_apps_show_no_chinese_chrome_in_english(pages):
    data = data_strings()
    leftovers = {}
    for user, urls in pages:
        client = _english_client(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user.username, url, response.status_code)
            html = response.content.decode()
            assert '<html lang="en">' in html, url
            found = chinese_chrome(html, data)
            if found:
                leftovers[f"{user.username} {url}"] = found
    assert not leftovers, leftovers


def test_the_check_sees_untranslated_chrome(pages):
    """The same pages in Chinese are full of chrome the check reports: it is not vacuous."""
    data = data_strings()
    user, urls = pages[0]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    html = client.get(urls[0]).content.decode()
    found = chinese_chrome(html, data)
    assert "诉求工单" in found and "筛选" in found, found


def test_field_errors_follow_the_language(world):
    """Domain errors are translated where they are raised: a plain message and one with placeholders."""
    from django.utils import translation

    from shequ.core.errors import DomainError
    from shequ.supplies.parsing import parse_quantity
    from shequ.supplies.testing import catalogue

    masks = catalogue(world)["MASK-N95"]
    with translation.override("en"):
        with pytest.raises(DomainError) as not_a_number:
            parse_quantity(masks, "abc")
        with pytest.raises(DomainError) as fractional:
            parse_quantity(masks, "1.5")
    assert not_a_number.value.message_dict == {"quantity": ["The quantity must be a number"]}
    assert fractional.value.message_dict["quantity"][0].endswith("the quantity must be a whole number")
    assert not CJK.search(
        fractional.value.message_dict["quantity"][0].replace(masks.name, "").replace(masks.unit, "")
    )
    with translation.override("zh-hans"), pytest.raises(DomainError) as chinese:
        parse_quantity(masks, "abc")
    assert chinese.value.message_dict == {"quantity": ["数量必须是数字"]}

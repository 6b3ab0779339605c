"""Template helpers shared by every app."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from shequ.core import registry

register = template.Library()


@register.filter
def yesno_cn(value) -> str:
    if value is None:
        return _("未知")
    return _("是") if value else _("否")


@register.simple_tag
def risk_badge(place) -> str:
    """三无小区 is shown as a risk point wherever a compound appears."""
    if getattr(place, "is_three_without", False):
        return format_html(
            '<span class="badge badge-risk" title="{}">{}</span>',
            _("无物业管理、无保安、无封闭围合"),
            _("三无小区"),
        )
    return ""


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """The current query string with some parameters replaced (for pagination links with filters)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None) if request is not None else context.get("user")


@register.simple_tag(takes_context=True)
def address_of(context, dwelling) -> str:
    """A dwelling's address: in full for users who keep the ledger there, the room hidden for others."""
    from shequ.core.jurisdiction import covers
    from shequ.core.rights import Right

    if dwelling is None:
        return ""
    if covers(_user(context), Right.LEDGER_EDIT, dwelling):
        return dwelling.address or str(dwelling)
    return dwelling.masked_address()


@register.simple_tag(takes_context=True)
def tag_label(context, tag, person=None) -> str:
    """A group tag's label. Health tags (残疾, 慢病 …) are shown only to users who keep the ledger there."""
    from shequ.core.jurisdiction import covers
    from shequ.core.rights import Right

    person = person or tag.person
    if getattr(tag, "is_health", False) and not covers(
        _user(context), Right.LEDGER_EDIT, person.home or person.community
    ):
        return format_html('<span class="badge">{}</span>', _("健康信息(已隐藏)"))
    label = tag.get_kind_display()
    if tag.grade:
        label = f"{label}({tag.grade})"
    css = "badge-warn" if tag.kind in tag.VULNERABLE_KINDS else "badge-info"
    return format_html('<span class="badge {}">{}</span>', css, label)


# The audit log, in words ---------------------------------------------------------------------------------------

ACTION_LABELS = {
    "person_create": N_("登记人员"),
    "person_update": N_("修改人员信息"),
    "person_reveal": N_("查看敏感信息"),
    "household_create": N_("新建户"),
    "household_add_member": N_("添加成员"),
    "household_remove_member": N_("成员离户"),
    "household_confirm": N_("核实本户信息"),
    "residency_create": N_("登记居住关系"),
    "residency_end": N_("结束居住关系"),
    "tag_add": N_("添加人群标签"),
    "tag_end": N_("结束人群标签"),
    "need_create": N_("登记服务需求"),
    "need_set_status": N_("更新需求状态"),
    "duty_assign": N_("安排职责"),
    "duty_end": N_("结束职责"),
    "place_create": N_("新建地点"),
    "place_update": N_("修改地点"),
    "dwelling_create": N_("新建房屋"),
    "grid_create": N_("新建网格"),
}

FIELD_LABELS = {
    "name": N_("姓名"),
    "sex": N_("性别"),
    "birth_date": N_("出生日期"),
    "ethnicity": N_("民族"),
    "id_type": N_("证件类型"),
    "id_number": N_("证件号码"),
    "phone": N_("手机号"),
    "phone_is_landline": N_("座机号码"),
    "hukou_region": N_("户籍地"),
    "hukou_is_local": N_("本地户籍"),
    "political_status": N_("政治面貌"),
    "education": N_("文化程度"),
    "occupation": N_("职业/单位"),
    "is_deceased": N_("已故"),
    "notes": N_("备注"),
    "status": N_("状态"),
    "since": N_("起始日期"),
    "until": N_("结束日期"),
    "member": N_("成员"),
    "relation": N_("与户主关系"),
    "kind": N_("类别"),
    "grade": N_("等级"),
    "detail": N_("说明"),
    "dwelling": N_("房屋"),
    "role": N_("居住关系"),
    "lives_here": N_("在此居住"),
    "person": N_("人员"),
    "last_confirmed_on": N_("最近核实日期"),
    "source": N_("来源"),
    "left_on": N_("离户日期"),
    "head": N_("户主"),
    "place": N_("地点"),
    "level": N_("层级"),
}


def _value_labels() -> dict:
    return registry.audit_value_labels()


def _show(value, labels: dict) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    return str(labels.get(str(value), value))


@register.simple_tag
def audit_action(event) -> str:
    label = ACTION_LABELS.get(event.action)
    return _(label) if label else event.action


@register.filter
def audit_field_names(event) -> str:
    return "、".join(_(FIELD_LABELS.get(f, f)) for f in (event.field or "").split(",") if f)


@register.filter
def audit_changes(event) -> list[dict]:
    """Before → after per field (values in the log are already masked)."""
    if event.kind == "reveal":
        return []
    before, after = event.before or {}, event.after or {}
    labels = _value_labels()
    rows = []
    for key in list(dict.fromkeys([*after.keys(), *before.keys()])):
        if before.get(key) in (None, "") and after.get(key) in (None, ""):
            continue
        rows.append(
            {
                "label": _(FIELD_LABELS.get(key, key)),
                "before": _show(before.get(key), labels),
                "after": _show(after.get(key), labels),
            }
        )
    return rows


@register.filter
def actor_name(event) -> str:
    label = event.actor_label
    return _("系统") if not label or label == "system" else label


@register.simple_tag(takes_context=True)
def tag_detail(context, tag, person=None) -> str:
    """A group tag's free-text detail, hidden with the tag itself when it is health information."""
    from shequ.core.jurisdiction import covers
    from shequ.core.rights import Right

    person = person or tag.person
    if getattr(tag, "is_health", False) and not covers(
        _user(context), Right.LEDGER_EDIT, person.home or person.community
    ):
        return "—"
    return tag.detail or "—"

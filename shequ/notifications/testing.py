"""For the generic jurisdiction walk: notifications in both communities; returns strings only B's users see."""

from __future__ import annotations

from shequ.core.jurisdiction import SYSTEM
from shequ.notifications.services import notify


def populate(world) -> list[str]:
    notify(actor=SYSTEM, recipients=[world.a.worker], kind="test", title="A社区工作者的消息-甲壹")
    notify(actor=SYSTEM, recipients=[world.b.worker], kind="test", title="B社区专属消息-乙贰叁")
    return ["B社区专属消息-乙贰叁"]

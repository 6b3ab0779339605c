"""The levels of the place tree (街道 → 社区 → 小区 → 楼栋 → 单元): choices any layer may name without reading places'
models (views of other apps import them from here; the models re-export them)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    STREET = "street", _("街道")
    COMMUNITY = "community", _("社区")
    COMPOUND = "compound", _("小区")
    BUILDING = "building", _("楼栋")
    UNIT = "unit", _("单元")


LEVEL_ORDER = [Level.STREET, Level.COMMUNITY, Level.COMPOUND, Level.BUILDING, Level.UNIT]
PARENT_LEVEL: dict[str, str] = {LEVEL_ORDER[i + 1]: LEVEL_ORDER[i] for i in range(len(LEVEL_ORDER) - 1)}

__all__ = ["LEVEL_ORDER", "PARENT_LEVEL", "Level"]

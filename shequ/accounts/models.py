"""Users and their role assignments at places (jurisdiction)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import TimeStampedModel
from shequ.core.rights import ROLE_LABELS, ROLE_SCOPE, Role


class User(AbstractUser):
    display_name = models.CharField(_("显示名称"), max_length=60, blank=True)
    person = models.ForeignKey(
        "ledger.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="users",
        help_text="the ledger person this account belongs to",
    )
    department = models.CharField(
        _("所属部门"), max_length=60, blank=True, help_text="for department liaisons: 公安, 城管, 卫健 …"
    )

    @property
    def display_label(self) -> str:
        return self.display_name or self.username


class RoleAssignment(TimeStampedModel):
    """A role held at a place (street, community, compound, building), a grid, or — for residents — a household."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("角色"), max_length=20, choices=[(r.value, ROLE_LABELS[r]) for r in Role])
    place = models.ForeignKey(
        "places.Place", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    grid = models.ForeignKey("places.Grid", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(
        "ledger.Household", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user", "role"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    (
                        models.Q(place__isnull=False)
                        & models.Q(grid__isnull=True)
                        & models.Q(household__isnull=True)
                    )
                    | (
                        models.Q(place__isnull=True)
                        & models.Q(grid__isnull=False)
                        & models.Q(household__isnull=True)
                    )
                    | (
                        models.Q(place__isnull=True)
                        & models.Q(grid__isnull=True)
                        & models.Q(household__isnull=False)
                    )
                ),
                name="role_assignment_exactly_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.target}"

    @property
    def target(self):
        return self.place or self.grid or self.household

    def clean(self) -> None:
        scope = ROLE_SCOPE.get(Role(self.role))
        if scope == "grid" and not self.grid_id:
            raise ValidationError({"grid": _("网格员须指定网格")})
        if scope == "household" and not self.household_id:
            raise ValidationError({"household": _("居民账号须关联到户")})
        if scope in {"street", "community", "building"} and (self.place is None or self.place.level != scope):
            raise ValidationError({"place": _("该角色须分配在对应层级的地点")})
        if scope == "place" and not self.place_id:
            raise ValidationError({"place": _("请选择地点")})

    @property
    def audit_community(self):
        if self.place_id:
            return self.place.community
        if self.grid_id:
            return self.grid.community
        return self.household.dwelling.community if self.household_id else None

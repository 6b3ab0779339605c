"""accounts' references to a ledger person or household, registered in AccountsConfig.ready() (see
ledger/person_relations.py)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shequ.accounts.models import RoleAssignment, User
from shequ.ledger import person_relations as pr


def register() -> None:
    pr.register(User, "person", label=_("用户账号"))
    pr.register(RoleAssignment, "household", label=_("家庭角色"))

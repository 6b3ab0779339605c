"""epidemic's references to a ledger person or household, registered in EpidemicConfig.ready() (see
ledger/person_relations.py). Their unique constraints (one check-in a day, one active monitoring, one contact and
one testing entry per incident or round) are honoured by the default handler: the survivor's row wins."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from shequ.epidemic.models import CheckIn, Contact, Monitoring, PersonCondition, TestingEntry, VisitItem
from shequ.ledger import person_relations as pr


def register() -> None:
    pr.register(CheckIn, "person", label=_("健康打卡"))
    pr.register(Monitoring, "person", label=_("居家监测"))
    pr.register(Contact, "person", label=_("密切接触者"))
    pr.register(PersonCondition, "person", label=_("走访健康情况"))
    pr.register(TestingEntry, "person", label=_("核酸检测"))
    pr.register(VisitItem, "household", label=_("走访户"))

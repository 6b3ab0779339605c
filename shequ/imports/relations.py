"""imports' references to a ledger person, registered in ImportsConfig.ready() (see ledger/person_relations.py)."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shequ.imports.models import FieldDecision, FieldObservation, ImportRow
from shequ.ledger import person_relations as pr


def _import_row_options(person) -> list[tuple[int, str]]:
    return [
        (r.pk, f"{r.batch.source.name} · {r.batch.number} " + gettext("第%(n)s行") % {"n": r.row_number})
        for r in ImportRow.objects.filter(person=person).select_related("batch__source")
    ]


def register() -> None:
    # Observations may be split but are not offered in the form (they follow the import rows in practice).
    pr.register(
        FieldObservation, "person", label=_("来源记录"), key="observations", split_options=lambda person: []
    )
    pr.register(FieldDecision, "person", label=_("字段核定"), key="field_decisions")
    pr.register(
        ImportRow, "person", label=_("导入记录"), key="import_rows", split_options=_import_row_options
    )

"""Benchmark-only tables."""

from __future__ import annotations

from django.db import models


class BareCheckIn(models.Model):
    """The same row inserted by a bare endpoint (no auth, validation or idempotency), so the real check-in
    endpoint's cost can be measured against it in the same run (bench/emergency)."""

    client_uuid = models.UUIDField()
    incident_id_value = models.BigIntegerField()
    person_id_value = models.BigIntegerField()
    on = models.DateField()
    temperature = models.DecimalField(max_digits=4, decimal_places=1)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.client_uuid)

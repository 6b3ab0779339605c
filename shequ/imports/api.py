"""The imports API (/api/v1/import-sources/, /import-batches/, /conflicts/, /reports/owner-occupant/,
/reports/stale-households/, /extracts/): the same services as the pages, scoped the same way (another
community's batch → 404), personal data masked."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shequ.core.api import ServiceViewSet, StandardPagination, resolve_visible
from shequ.core.errors import DomainError
from shequ.core.rights import Right
from shequ.imports import policies, selectors, services
from shequ.imports.downloads import xlsx_download, xlsx_response
from shequ.imports.forms import STALE_PERIODS
from shequ.imports.models import DataSource, Extract, ImportBatch, ImportRow
from shequ.imports.parsing import write_error_report
from shequ.ledger.selectors import people_visible_to

TAG = ["数据导入 imports"]


class SourceSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.name", read_only=True)

    class Meta:
        model = DataSource
        fields = ["id", "name", "kind", "owner", "trust_rank", "is_builtin"]


class SourceInput(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    kind = serializers.ChoiceField(choices=DataSource.Kind.choices)
    owner = serializers.IntegerField(help_text="街道或社区 id")
    trust_rank = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)


class BatchSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name", read_only=True)  # type: ignore[assignment]  # a field named like Field.source
    place = serializers.CharField(source="place.name", read_only=True)

    class Meta:
        model = ImportBatch
        fields = [
            "id", "number", "source", "place", "original_name", "status", "headers", "mapping", "notes",
            "total", "accepted", "rejected", "duplicates", "linked", "new", "review", "progress", "phase",
            "error", "created_at", "finished_at", "observed_on",
        ]  # fmt: skip


class BatchInput(serializers.Serializer):
    source = serializers.IntegerField()  # type: ignore[assignment]  # a field named like Field.source
    place = serializers.IntegerField(help_text="街道或社区 id")
    file = serializers.FileField()
    observed_on = serializers.DateField(required=False, allow_null=True)


class MappingInput(serializers.Serializer):
    mapping = serializers.DictField(child=serializers.CharField(allow_blank=True, allow_null=True))


class RowSerializer(serializers.ModelSerializer):
    class Meta:
        model = ImportRow
        fields = ["row_number", "status", "raw", "clean", "reasons", "link_status", "match_probability"]


class SourceViewSet(mixins.ListModelMixin, ServiceViewSet):
    serializer_class = SourceSerializer
    create_serializer_class = SourceInput
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.sources_visible_to(self.request.user).order_by("pk")

    def perform_service_create(self, data):
        owner = resolve_visible(
            selectors.import_places_for(self.request.user), data["owner"], field="owner", label="所属"
        )
        return services.source_create(
            actor=self.request.user,
            owner=owner,
            name=data["name"],
            kind=data["kind"],
            trust_rank=data.get("trust_rank"),
        )


class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    serializer_class = BatchSerializer
    create_serializer_class = BatchInput
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.batches_visible_to(self.request.user).order_by("-created_at", "-pk")

    def perform_service_create(self, data):
        actor = self.request.user
        place = resolve_visible(
            selectors.import_places_for(actor), data["place"], field="place", label="导入范围"
        )
        source = resolve_visible(
            selectors.sources_visible_to(actor), data["source"], field="source", label="数据来源"
        )
        return services.batch_upload(
            actor=actor,
            source=source,
            place=place,
            uploaded=data["file"],
            observed_on=data.get("observed_on"),
        )

    @extend_schema(summary="确认字段对应 — set the column mapping", request=MappingInput, tags=TAG)
    @action(detail=True, methods=["post"])
    def mapping(self, request, pk=None):
        batch = self.get_object()
        data = self._input(MappingInput, request.data)
        return self._output(
            services.batch_set_mapping(actor=request.user, batch=batch, mapping=data["mapping"])
        )

    @extend_schema(summary="预览前20行 — validate the first rows", request=None, tags=TAG)
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        batch = self.get_object()
        rows = selectors.batch_preview(batch)
        return Response(
            [{"row_number": r.row_number, "cells": r.cells, "reasons": r.reasons, "ok": r.ok} for r in rows]
        )

    @extend_schema(summary="开始导入 — queue the import (background task)", request=None, tags=TAG)
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        batch = self.get_object()
        return self._output(services.batch_start(actor=request.user, batch=batch), status=202)

    @extend_schema(summary="导入进度 — progress 0–100 and counts", request=None, tags=TAG)
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        batch = self.get_object()
        return Response(
            {
                "status": batch.status,
                "progress": batch.progress,
                "phase": batch.phase,
                "total": batch.total,
                "accepted": batch.accepted,
                "rejected": batch.rejected,
            }
        )

    @extend_schema(summary="批次的行 — rows, ?status=rejected|accepted|duplicate", request=None, tags=TAG)
    @action(detail=True, methods=["get"])
    def rows(self, request, pk=None):
        batch = self.get_object()
        status = request.query_params.get("status")
        rows = selectors.rows_of(batch, status if status in ImportRow.Status.values else None)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(RowSerializer(page, many=True).data)

    @extend_schema(summary="错误报告 — the rejected rows as .xlsx", request=None, tags=TAG)
    @action(detail=True, methods=["get"], url_path="error-report")
    def error_report(self, request, pk=None):
        batch = self.get_object()
        out = io.BytesIO()
        write_error_report(batch.headers, selectors.rejected_for_report(batch), out)
        return xlsx_download(out.getvalue(), gettext("%(number)s-未导入的行.xlsx") % {"number": batch.number})


class SettleInput(serializers.Serializer):
    person = serializers.IntegerField()
    field = serializers.CharField(max_length=20)
    observation = serializers.IntegerField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ConflictViewSet(viewsets.ViewSet):
    """Open conflicts between sources, and settling one."""

    def list(self, request):
        if not policies.can_settle_conflicts(request.user):
            return Response([])
        return Response(
            [
                {
                    "person": c.person.pk,
                    "name": c.person.name,
                    "field": c.field,
                    "label": c.label,
                    "values": [
                        {
                            "observation": o.pk,
                            "value": o.value_masked,
                            "source": o.source.name,
                            "observed_on": o.observed_on,
                        }
                        for o in c.observations
                    ],
                }
                for c in selectors.conflicts_for(request.user)
            ]
        )

    @extend_schema(summary="核定冲突 — take one source's value", request=SettleInput, tags=TAG)
    @action(detail=False, methods=["post"])
    def settle(self, request):
        serializer = SettleInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        person = resolve_visible(
            people_visible_to(request.user, Right.LEDGER_EDIT), data["person"], field="person", label="人员"
        )
        observation = selectors.observation_of(person, pk=data["observation"], field=data["field"])
        if observation is None:
            raise DomainError(gettext("所选的值不属于该人员的这一项"), field="observation")
        decision = services.conflict_settle(
            actor=request.user,
            person=person,
            field=data["field"],
            observation=observation,
            note=data.get("note", ""),
        )
        return Response({"person": person.pk, "field": decision.field, "value": decision.value_masked})


class OwnerOccupantViewSet(viewsets.ViewSet):
    def list(self, request):
        lines = selectors.owner_occupant_report(request.user)
        return Response(
            [
                {
                    "dwelling": line.dwelling.pk,
                    "address": line.dwelling.address,
                    "kind": line.kind,
                    "owners": [r.person.name for r in line.owners],
                    "occupants": [{"name": r.person.name, "role": r.role} for r in line.occupants],
                }
                for line in lines
            ]
        )


class StaleViewSet(viewsets.ViewSet):
    def list(self, request):
        """?days=30|90|180|365 or ?before=YYYY-MM-DD (default 90 days)."""
        today = timezone.localdate()
        before = today - timedelta(days=90)
        days = request.query_params.get("days")
        if request.query_params.get("before"):
            field = serializers.DateField()
            before = field.run_validation(request.query_params["before"])
        elif days:
            if days not in dict(STALE_PERIODS):
                raise DomainError(gettext("期限应为30、90、180或365天"), field="days")
            before = today - timedelta(days=int(days))
        households = selectors.stale_households(request.user, before=before)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(households, request, view=self)
        return paginator.get_paginated_response(
            [
                {
                    "household": h.pk,
                    "address": h.dwelling.masked_address(),
                    "head": h.head.name if h.head else "",
                    "last_confirmed_on": h.last_confirmed_on,
                    "last_confirmed_source": h.last_confirmed_source,
                }
                for h in page
            ]
        )


class ExtractInput(serializers.Serializer):
    place = serializers.IntegerField()
    columns = serializers.ListField(child=serializers.ChoiceField(choices=list(services.EXTRACT_COLUMNS)))
    purpose = serializers.CharField(max_length=200)
    format = serializers.ChoiceField(choices=["json", "xlsx"], default="json")


class ExtractSerializer(serializers.ModelSerializer):
    place = serializers.CharField(source="place.name", read_only=True)

    class Meta:
        model = Extract
        fields = ["id", "number", "place", "columns", "purpose", "row_count", "is_masked", "created_at"]


class ExtractViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ExtractSerializer
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.extracts_requested_by(self.request.user)

    def create(self, request):
        if not policies.can_request_extract(request.user):
            raise Http404
        serializer = ExtractInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        place = resolve_visible(
            selectors.extract_places_for(request.user), data["place"], field="place", label="范围"
        )
        try:
            extract = services.extract_create(
                actor=request.user,
                place=place,
                columns=data["columns"],
                purpose=data["purpose"],
                fmt=data["format"],
            )
        except PermissionDenied:
            raise Http404 from None
        rows = selectors.extract_rows(actor=request.user, extract=extract)
        if data["format"] == "xlsx":
            return xlsx_response(f"{extract.number}.xlsx", rows, title="提取")
        header = next(rows)
        return Response(
            {
                "number": extract.number,
                "masked": extract.is_masked,
                "columns": extract.columns,
                "headers": header,
                "rows": [dict(zip(extract.columns, line, strict=True)) for line in rows],
            },
            status=201,
        )


def register(router) -> None:
    router.register("import-sources", SourceViewSet, basename="imports-source")
    router.register("import-batches", BatchViewSet, basename="imports-batch")
    router.register("conflicts", ConflictViewSet, basename="imports-conflict")
    router.register("reports/owner-occupant", OwnerOccupantViewSet, basename="imports-owner-occupant")
    router.register("reports/stale-households", StaleViewSet, basename="imports-stale")
    router.register("extracts", ExtractViewSet, basename="imports-extract")

"""Shared API pieces: pagination, the error handler, and the helper that resolves an id through a scoped query."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext, gettext_noop
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shequ.core.errors import DomainError


class StandardPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    page_query_description = "页码 — page number"
    page_size_query_description = "每页条数(最多500)— results per page (at most 500)"


def _json_safe(value):
    """Extras on a DomainError may carry model instances; the API answers with plain values only (a model
    instance is left out: the endpoint that raised decides what of it the caller may see)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items() if not isinstance(v, models.Model)}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value if not isinstance(v, models.Model)]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def validation_detail(exc: DjangoValidationError) -> dict:
    """{field: [messages]} for a Django ValidationError (DomainError included); `__all__` → non_field_errors."""
    if hasattr(exc, "error_dict"):
        detail = {field: [str(m) for m in msgs] for field, msgs in exc.message_dict.items()}
        detail = {("non_field_errors" if k == "__all__" else k): v for k, v in detail.items()}
    else:
        detail = {"non_field_errors": [str(m) for m in exc.messages]}
    extra = _json_safe(getattr(exc, "extra", None) or {})
    if extra:
        detail["detail_extra"] = extra
    return detail


def exception_handler(exc, context):
    """Django ValidationError / DomainError become 400 with {field: [messages]}; PermissionDenied 403; Http404 404.
    Anything else DRF does not know stays an error for the 500 handler, which never shows exception text."""
    if isinstance(exc, DjangoValidationError):
        return Response(validation_detail(exc), status=400)
    if isinstance(exc, DjangoPermissionDenied):
        message = str(exc) if exc.args and isinstance(exc.args[0], str) else None
        exc = exceptions.PermissionDenied(message or gettext("没有权限"))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(gettext("未找到,或不在您的管辖范围内"))
    return drf_exception_handler(exc, context)


# Labels the API modules pass to resolve_visible that appear nowhere else, listed so makemessages keeps them in the
# catalogue; resolve_visible translates whichever label it is given.
_RESOLVE_LABELS = (
    gettext_noop("上级地点"),
    gettext_noop("住户"),
    gettext_noop("保留人员"),
    gettext_noop("导入范围"),
    gettext_noop("应急事件"),
    gettext_noop("被合并人员"),
    gettext_noop("走访户"),
)


def resolve_visible(queryset, value, *, field: str, label: str):
    """The object with pk `value` in a scoped queryset, or a 400 naming the field. Objects outside the caller's
    jurisdiction and objects that do not exist answer alike, so the answer tells nothing about other communities."""
    if value is None or value == "":
        return None
    obj = queryset.filter(pk=value).first() if str(value).isdigit() else None
    if obj is None:
        raise DomainError(
            gettext("%(label)s不存在或不在您的管辖范围内") % {"label": gettext(str(label))},
            field=field,
            code="not_found",
        )
    return obj


def _build_service_viewset():
    # Built on first use: DRF imports this module (for StandardPagination) while rest_framework.generics is
    # still loading, so the viewset base class cannot be imported at module level.
    from rest_framework import viewsets

    class ServiceViewSet(viewsets.GenericViewSet):
        """A viewset that reads through a scoped selector (get_queryset) and writes only through services.

        Subclasses set `serializer_class` (what is shown), `create_serializer_class` / `update_serializer_class`
        (what is accepted), and implement `perform_service_create(data)` / `perform_service_update(obj, data)`,
        which call the app's services and return the object. Serializers here only validate input; they never save.
        """

        lookup_value_regex = r"[0-9]+"
        create_serializer_class = None
        update_serializer_class = None

        def get_serializer_class(self):
            if self.action == "create" and self.create_serializer_class is not None:
                return self.create_serializer_class
            if self.action in ("update", "partial_update") and self.update_serializer_class is not None:
                return self.update_serializer_class
            return super().get_serializer_class()

        def _input(self, serializer_class, data, *, partial=False):
            serializer = serializer_class(data=data, partial=partial, context=self.get_serializer_context())
            serializer.is_valid(raise_exception=True)
            return serializer.validated_data

        def _output(self, obj, status=200):
            serializer = self.serializer_class(obj, context=self.get_serializer_context())
            return Response(serializer.data, status=status)

        def create(self, request, *args, **kwargs):
            data = self._input(self.create_serializer_class, request.data)
            obj = self.perform_service_create(data)
            return self._output(self.get_queryset().filter(pk=obj.pk).first() or obj, status=201)

        def update(self, request, *args, **kwargs):
            partial = kwargs.pop("partial", False)
            obj = self.get_object()
            data = self._input(self.update_serializer_class, request.data, partial=partial)
            obj = self.perform_service_update(obj, data)
            return self._output(self.get_queryset().filter(pk=obj.pk).first() or obj)

        def partial_update(self, request, *args, **kwargs):
            kwargs["partial"] = True
            return self.update(request, *args, **kwargs)

        def perform_service_create(self, data):  # pragma: no cover - subclasses implement
            raise NotImplementedError

        def perform_service_update(self, obj, data):  # pragma: no cover - subclasses implement
            raise NotImplementedError

    return ServiceViewSet


def _id_filter_class():
    from django import forms
    from django_filters import rest_framework as filters

    class IdFilter(filters.NumberFilter):
        """A filter on an id: a whole number in the database's range, else a 400 naming the parameter
        (a float or a 300-digit number must not reach the database)."""

        field_class = forms.IntegerField

        def __init__(self, *args, **kwargs):
            kwargs.setdefault("min_value", 0)
            kwargs.setdefault("max_value", 2**63 - 1)
            super().__init__(*args, **kwargs)

    return IdFilter


_LAZY = {"ServiceViewSet": "_build_service_viewset", "IdFilter": "_id_filter_class"}


def __getattr__(name: str):
    if name in _LAZY:
        cls = globals()[_LAZY[name]]()
        globals()[name] = cls
        return cls
    raise AttributeError(name)

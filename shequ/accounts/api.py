"""Accounts API: a token for machines (POST /api/v1/auth/token/) and who am I (GET /api/v1/me/)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.urls import path
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from shequ.accounts import services
from shequ.accounts.selectors import role_assignments_of
from shequ.core.rights import ROLE_LABELS, ROLE_RIGHTS, Role

TAG = ["accounts 账号"]


class ApiTokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"}, trim_whitespace=False)


class ApiTokenOutput(serializers.Serializer):
    token = serializers.CharField(help_text="Authorization: Token <token>")


class MeRoleOutput(serializers.Serializer):
    role = serializers.CharField()
    role_display = serializers.CharField()
    place = serializers.IntegerField(allow_null=True)
    grid = serializers.IntegerField(allow_null=True)
    household = serializers.IntegerField(allow_null=True)
    target_name = serializers.CharField()
    rights = serializers.ListField(child=serializers.CharField())


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    department = serializers.CharField()
    roles = MeRoleOutput(many=True)
    rights = serializers.ListField(
        child=serializers.CharField(), help_text="all rights the user holds somewhere"
    )


class TokenView(APIView):
    """Exchange a username and password for an API token (the same token on every call until revoked)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]

    @extend_schema(
        summary="获取接口令牌 — obtain an API token",
        request=ApiTokenInput,
        responses={200: ApiTokenOutput, 400: OpenApiResponse(description="用户名或密码错误")},
        tags=TAG,
        auth=[],
    )
    def post(self, request):
        data = ApiTokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError({"non_field_errors": [gettext("用户名或密码错误")]})
        return Response({"token": services.api_token_issue(actor=user)})


class MeView(APIView):
    """The caller, their role assignments and the rights each grants."""

    permission_classes = [IsAuthenticated]

    @extend_schema(summary="当前用户及角色权限 — the caller's roles and rights", responses=MeOutput, tags=TAG)
    def get(self, request):
        user = request.user
        roles = []
        rights: set[str] = set()
        for ra in role_assignments_of(user).select_related("household"):
            role_rights = sorted(str(r) for r in ROLE_RIGHTS.get(Role(ra.role), ()))
            rights.update(role_rights)
            target = ra.place or ra.grid
            roles.append(
                {
                    "role": ra.role,
                    "role_display": str(ROLE_LABELS.get(Role(ra.role), ra.role)),
                    "place": ra.place_id,
                    "grid": ra.grid_id,
                    "household": ra.household_id,
                    "target_name": target.name if target is not None else "本户",
                    "rights": role_rights,
                }
            )
        return Response(
            {
                "id": user.pk,
                "username": user.username,
                "display_name": user.display_label,
                "department": user.department,
                "roles": roles,
                "rights": sorted(rights),
            }
        )


urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="accounts-token"),
    path("me/", MeView.as_view(), name="accounts-me"),
]

"""The linkage API (/api/v1/linkage/…): the review queue (list, decide), merges and splits (create, undo) and
linkage runs (list, start a duplicate scan). Reads go through the scoped selectors (another community's → 404);
writes through linkage.services; personal data masked."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from shequ.core.api import resolve_visible
from shequ.core.errors import DomainError
from shequ.linkage import selectors, services
from shequ.linkage.models import LinkRun, Merge, ReviewItem
from shequ.linkage.policies import can_review

ERRORS = {
    400: OpenApiResponse(description="输入有误:{字段: [问题]}"),
    404: OpenApiResponse(description="不存在或不在管辖范围内"),
}
TAGS = ["linkage 数据比对"]
NUMBER = r"[A-Za-z0-9-]+"


class LinkagePersonBrief(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.CharField()
    phone_masked = serializers.CharField()


class LinkageContribution(serializers.Serializer):
    label = serializers.CharField(help_text="比较项")
    level = serializers.CharField(help_text="级别")
    weight = serializers.FloatField(allow_null=True, help_text="贡献(位):正为支持,负为反对")


class LinkageField(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    left = serializers.CharField()
    right = serializers.CharField()
    state = serializers.ChoiceField(choices=["same", "differs", "one_missing", "missing"])


class LinkageReviewItemSerializer(serializers.ModelSerializer):
    community = serializers.CharField(source="community.name")
    person = LinkagePersonBrief()
    left_person = LinkagePersonBrief(allow_null=True)
    comparison = serializers.SerializerMethodField(help_text="两条记录逐项对照(已打码),state 标出差异")
    contributions = LinkageContribution(many=True)

    class Meta:
        model = ReviewItem
        fields = [
            "number",
            "kind",
            "status",
            "community",
            "probability",
            "person",
            "left_person",
            "comparison",
            "contributions",
            "created_at",
            "decided_at",
        ]

    @extend_schema_field(LinkageField(many=True))
    def get_comparison(self, obj) -> list[dict]:
        return LinkageField(selectors.pair_view(obj)["fields"], many=True).data


class LinkageDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=list(services.DECISIONS), help_text="match / not_match / skip")
    keep = serializers.IntegerField(
        required=False, help_text="台账查重的一对:保留哪一人(人员 id),默认较早登记者"
    )


class LinkageMergeSerializer(serializers.ModelSerializer):
    community = serializers.CharField(source="community.name")
    keep = LinkagePersonBrief()
    drop_person = serializers.IntegerField(source="drop_id", allow_null=True)
    is_undone = serializers.BooleanField()
    review_item = serializers.CharField(source="review_item.number", allow_null=True, default=None)

    class Meta:
        model = Merge
        fields = [
            "number",
            "kind",
            "community",
            "keep",
            "drop_person",
            "drop_name",
            "summary",
            "review_item",
            "created_at",
            "is_undone",
            "undone_at",
        ]


class LinkageMergeInput(serializers.Serializer):
    keep = serializers.IntegerField(help_text="保留的人员 id")
    drop = serializers.IntegerField(help_text="并入保留人员的人员 id")


class LinkageSplitInput(serializers.Serializer):
    person = serializers.IntegerField(help_text="被拆分的人员 id")
    moves = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField()),
        help_text="{residencies|memberships|tags|duties|needs|observations|import_rows: [id, …]}",
    )
    name = serializers.CharField(max_length=50)
    sex = serializers.ChoiceField(choices=["", "M", "F"], required=False, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    id_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=24)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)


class LinkageRunSerializer(serializers.ModelSerializer):
    place = serializers.CharField(source="place.name")
    batch = serializers.CharField(source="batch.number", allow_null=True, default=None)

    class Meta:
        model = LinkRun
        fields = [
            "number",
            "kind",
            "place",
            "batch",
            "status",
            "progress",
            "phase",
            "records",
            "candidates",
            "linked",
            "created",
            "review",
            "reused",
            "seconds",
            "error",
            "created_at",
            "finished_at",
        ]


class LinkageRunInput(serializers.Serializer):
    community = serializers.IntegerField(help_text="要查重的社区 id")


class _Base(viewsets.GenericViewSet):
    lookup_field = "number"
    lookup_value_regex = NUMBER

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can_review(request.user):
            raise Http404

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _service(fn, **kwargs):
    try:
        return fn(**kwargs)
    except PermissionDenied as exc:
        raise Http404 from exc


@extend_schema_view(
    list=extend_schema(summary="待核对列表 — review items in the caller's jurisdiction", tags=TAGS),
    retrieve=extend_schema(
        summary="核对项详情 — one pair side by side (masked)",
        tags=TAGS,
        responses={200: LinkageReviewItemSerializer, 404: ERRORS[404]},
    ),
)
class ReviewItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    serializer_class = LinkageReviewItemSerializer

    def get_queryset(self):
        qs = selectors.review_items_visible_to(self.request.user).order_by("-probability", "id")
        status = self.request.query_params.get("status")
        if status in ReviewItem.Status.values:
            qs = qs.filter(status=status)
        return qs

    @extend_schema(
        summary="作出判断 — decide: match / not_match / skip (a person pair decided match is merged)",
        request=LinkageDecisionInput,
        responses={200: LinkageReviewItemSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, number=None):
        item = self.get_object()
        data = self._input(LinkageDecisionInput)
        keep = None
        if data.get("keep") is not None:
            keep = resolve_visible(
                selectors.people_for_linkage(request.user), data["keep"], field="keep", label="保留人员"
            )
        item = _service(
            services.review_decide, actor=request.user, item=item, decision=data["decision"], keep=keep
        )
        body = LinkageReviewItemSerializer(self.get_queryset().get(pk=item.pk)).data
        if getattr(item, "merge", None) is not None:
            body["merge"] = item.merge.number
        return Response(body)


@extend_schema_view(
    list=extend_schema(summary="合并与拆分记录 — merges and splits", tags=TAGS),
    retrieve=extend_schema(
        summary="合并详情 — one merge or split",
        tags=TAGS,
        responses={200: LinkageMergeSerializer, 404: ERRORS[404]},
    ),
)
class MergeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    serializer_class = LinkageMergeSerializer

    def get_queryset(self):
        return selectors.merges_visible_to(self.request.user)

    @extend_schema(
        summary="合并两人 — merge `drop` into `keep`",
        request=LinkageMergeInput,
        responses={201: LinkageMergeSerializer, 400: ERRORS[400]},
        tags=TAGS,
    )
    def create(self, request):
        data = self._input(LinkageMergeInput)
        people = selectors.people_for_linkage(request.user)
        keep = resolve_visible(people, data["keep"], field="keep", label="保留人员")
        drop = resolve_visible(people, data["drop"], field="drop", label="被合并人员")
        merge = _service(services.person_merge, actor=request.user, keep=keep, drop=drop)
        return Response(LinkageMergeSerializer(self.get_queryset().get(pk=merge.pk)).data, status=201)

    @extend_schema(
        summary="拆分人员 — split a person: chosen records go to a new person",
        request=LinkageSplitInput,
        responses={201: LinkageMergeSerializer, 400: ERRORS[400]},
        tags=TAGS,
    )
    @action(detail=False, methods=["post"])
    def split(self, request):
        data = self._input(LinkageSplitInput)
        person = resolve_visible(
            selectors.people_for_linkage(request.user), data.pop("person"), field="person", label="人员"
        )
        merge = _service(services.person_split, actor=request.user, person=person, **data)
        return Response(LinkageMergeSerializer(self.get_queryset().get(pk=merge.pk)).data, status=201)

    @extend_schema(
        summary="撤销合并或拆分 — undo a merge or a split",
        request=None,
        responses={200: LinkageMergeSerializer, 400: ERRORS[400], 404: ERRORS[404]},
        tags=TAGS,
    )
    @action(detail=True, methods=["post"])
    def undo(self, request, number=None):
        merge = self.get_object()
        _service(services.merge_undo, actor=request.user, merge=merge)
        return Response(LinkageMergeSerializer(self.get_queryset().get(pk=merge.pk)).data)


@extend_schema_view(
    list=extend_schema(summary="比对运行记录 — linkage runs with progress and counts", tags=TAGS),
    retrieve=extend_schema(
        summary="比对运行详情 — one run", tags=TAGS, responses={200: LinkageRunSerializer, 404: ERRORS[404]}
    ),
)
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _Base):
    serializer_class = LinkageRunSerializer

    def get_queryset(self):
        return selectors.runs_visible_to(self.request.user)

    @extend_schema(
        summary="开始台账查重 — start a duplicate scan of one community (background task)",
        request=LinkageRunInput,
        responses={201: LinkageRunSerializer, 400: ERRORS[400]},
        tags=TAGS,
    )
    def create(self, request):
        data = self._input(LinkageRunInput)
        community = selectors.community_by_pk(data["community"])
        if community is None:
            raise DomainError("社区不存在或不在您的管辖范围内", field="community", code="not_found")
        try:
            run = services.dedupe_scan_start(actor=request.user, community=community)
        except PermissionDenied as exc:
            raise DomainError("社区不存在或不在您的管辖范围内", field="community", code="not_found") from exc
        return Response(LinkageRunSerializer(self.get_queryset().get(pk=run.pk)).data, status=201)


def register(router) -> None:
    router.register("linkage/review-items", ReviewItemViewSet, basename="linkage-review-item")
    router.register("linkage/merges", MergeViewSet, basename="linkage-merge")
    router.register("linkage/runs", RunViewSet, basename="linkage-run")

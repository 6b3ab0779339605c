"""Record linkage in the ledger (M3): linkage runs, the review queue of uncertain pairs, the reviewers' kept
decisions, and merges/splits of people with what moved (so each can be undone exactly)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LinkRun(models.Model):
    """一次比对 — linking an import batch to the ledger, or a duplicate scan of one community's ledger."""

    class Kind(models.TextChoices):
        BATCH = "batch", _("导入批次比对")
        DEDUPE = "dedupe", _("台账查重")

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("比对中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    number = models.CharField(_("编号"), max_length=24, unique=True)
    kind = models.CharField(_("类别"), max_length=8, choices=Kind.choices)
    # The community (or, for a street-wide import batch, the street) whose records were compared.
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey(
        "imports.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    phase = models.CharField(max_length=60, blank=True)
    records = models.PositiveIntegerField(_("记录数"), default=0)
    candidates = models.PositiveIntegerField(_("候选对"), default=0)
    linked = models.PositiveIntegerField(_("自动关联"), default=0)
    created = models.PositiveIntegerField(_("新建人员"), default=0)
    review = models.PositiveIntegerField(_("待核对"), default=0)
    reused = models.PositiveIntegerField(_("沿用以往决定"), default=0)
    seconds = models.FloatField(default=0)
    error = models.CharField(max_length=300, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="linkrun_progress_max")
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_community(self):
        return self.place.community


class ReviewItem(models.Model):
    """待核对 — a pair the model is unsure about: an import row and a ledger person, or two ledger people."""

    class Kind(models.TextChoices):
        ROW_PERSON = "row_person", _("导入记录与台账人员")
        PERSON_PERSON = "person_person", _("台账疑似重复")

    class Status(models.TextChoices):
        OPEN = "open", _("待核对")
        MATCH = "match", _("是同一人")
        NOT_MATCH = "not_match", _("不是同一人")
        SKIPPED = "skipped", _("暂不确定")
        CLOSED = "closed", _("已由其他决定处理")

    number = models.CharField(_("编号"), max_length=24, unique=True)
    kind = models.CharField(_("类别"), max_length=14, choices=Kind.choices)
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(LinkRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    row = models.ForeignKey(
        "imports.ImportRow", null=True, blank=True, on_delete=models.CASCADE, related_name="review_items"
    )
    left_person = models.ForeignKey(
        "ledger.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey("ledger.Person", on_delete=models.CASCADE, related_name="+")
    probability = models.FloatField(_("匹配概率"))
    contributions = models.JSONField(
        default=list, blank=True, help_text="[{label, level, weight}] strongest first"
    )
    pair_key = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-probability", "id"]
        indexes = [models.Index(fields=["community", "status", "-probability"])]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="row_person", row__isnull=False, left_person__isnull=True))
                | (models.Q(kind="person_person", row__isnull=True, left_person__isnull=False)),
                name="reviewitem_sides_match_kind",
            ),
            models.CheckConstraint(
                condition=models.Q(probability__gte=0, probability__lte=1),
                name="reviewitem_probability_range",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_community(self):
        return self.community


class ReviewDecision(models.Model):
    """A reviewer's verdict on a pair of records, keyed by a stable fingerprint of the two records (keyed hashes
    of normalised ID + name + birth date), so the same two records are never asked about again."""

    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    pair_key = models.CharField(max_length=64)
    key_1 = models.CharField(max_length=64, help_text="record fingerprint (the smaller)")
    key_2 = models.CharField(max_length=64, help_text="record fingerprint (the larger)")
    is_match = models.BooleanField()
    item = models.ForeignKey(ReviewItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["community", "pair_key"], name="reviewdecision_unique_pair")
        ]

    def __str__(self) -> str:
        return "是同一人" if self.is_match else "不是同一人"

    @property
    def audit_community(self):
        return self.community


class Merge(models.Model):
    """合并/拆分 — two ledger people made one (`drop` into `keep`), or one person split in two (`keep` gave the
    chosen records to the new `drop`). `moved` is the full snapshot of what moved, so the undo restores exactly."""

    class Kind(models.TextChoices):
        MERGE = "merge", _("合并")
        SPLIT = "split", _("拆分")

    number = models.CharField(_("编号"), max_length=24, unique=True)
    kind = models.CharField(_("类别"), max_length=6, choices=Kind.choices)
    community = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    keep = models.ForeignKey("ledger.Person", on_delete=models.PROTECT, related_name="+")
    drop = models.ForeignKey(
        "ledger.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    drop_name = models.CharField(max_length=50, blank=True)
    moved = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True, help_text="{relation label: count} for display")
    review_item = models.ForeignKey(
        ReviewItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_community(self):
        return self.community

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None

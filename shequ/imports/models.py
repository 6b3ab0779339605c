"""Imports and the calibrated ledger (M3, M17): data sources, remembered column mappings, import batches and their
rows (kept whether accepted or rejected), each source's word on each field of a person (provenance), the
decisions that settle conflicts between sources, and the log of extracts shared back to departments.

Personal data: an ImportRow's JSON never holds a plain ID number or phone. The original cells and the plain
sensitive values are sealed (one Fernet token per row, `sealed`); `raw` holds the cells with anything that looks
like an ID number or a phone masked, and `clean` holds masked forms and keyed hashes only."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shequ.core.models import TimeStampedModel


class DataSource(TimeStampedModel):
    """数据来源 — a register data comes from (公安户籍, 物业业主名册, 入户走访 …). `trust_rank`: higher wins when
    sources disagree on a field and no worker has settled it."""

    class Kind(models.TextChoices):
        POLICE = "police", _("公安户籍")
        PROPERTY = "property", _("物业业主名册")
        SURVEY = "survey", _("入户走访")
        SELF_REPORT = "self_report", _("居民自主申报")
        CIVIL_AFFAIRS = "civil_affairs", _("民政低保名单")
        HEALTH = "health", _("卫健/疾控")
        OTHER = "other", _("其他")

    DEFAULT_TRUST = {
        "police": 90,
        "civil_affairs": 80,
        "health": 70,
        "survey": 60,
        "property": 50,
        "self_report": 40,
        "other": 30,
    }
    # Sources whose rows say the person is seen living at the address (not only owning or registered there).
    OBSERVES_LIVING = frozenset({"survey", "self_report"})

    name = models.CharField(_("来源名称"), max_length=60)
    kind = models.CharField(_("来源类别"), max_length=16, choices=Kind.choices)
    # The street or community that keeps this source (a street source serves every community under it).
    owner = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    trust_rank = models.PositiveSmallIntegerField(_("可信度"), default=50)
    is_builtin = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-trust_rank", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="datasource_unique_name")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_community(self):
        return self.owner.community


class ColumnMapping(TimeStampedModel):
    """A header of a source's files and the field it means, remembered for the next file from that source."""

    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="mappings")
    header_key = models.CharField(max_length=100, help_text="normalize_header(header)")
    field = models.CharField(max_length=30, blank=True, help_text="'' = the column is not imported")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "header_key"], name="columnmapping_unique_header")
        ]

    def __str__(self) -> str:
        return f"{self.header_key} → {self.field or '-'}"


class ImportBatch(TimeStampedModel):
    """一次导入 — one uploaded file from one source, for one community or street, with its counts and progress."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        MAPPED = "mapped", _("已对应字段")
        VALIDATING = "validating", _("校验中")
        VALIDATED = "validated", _("已校验")
        IMPORTING = "importing", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    RUNNING = ("validating", "validated", "importing")

    number = models.CharField(_("批次号"), max_length=24, unique=True)
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="batches")
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    headers = models.JSONField(default=list, blank=True)
    mapping = models.JSONField(default=dict, blank=True, help_text="{header: field or null}")
    notes = models.JSONField(
        default=list, blank=True, help_text="reader notes: title rows, merged headers, totals rows"
    )
    total = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    linked = models.PositiveIntegerField(default=0)
    new = models.PositiveIntegerField(default=0)
    review = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)
    phase = models.CharField(max_length=60, blank=True)
    error = models.CharField(max_length=300, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    observed_on = models.DateField(_("数据日期"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="importbatch_progress_max"),
        ]
        indexes = [models.Index(fields=["source", "file_sha256"])]

    def __str__(self) -> str:
        return f"{self.number} {self.original_name}"

    @property
    def audit_community(self):
        return self.place.community

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING


class ImportRow(models.Model):
    """One data row of a batch, accepted or rejected, never dropped. `fingerprint` is a keyed hash of the row's
    normalised content and its source: the same row imported again is a duplicate, not a new person."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("通过")
        REJECTED = "rejected", _("未通过")
        DUPLICATE = "duplicate", _("重复(已导入过)")

    class Link(models.TextChoices):
        PENDING = "pending", _("待比对")
        LINKED = "linked", _("已关联")
        NEW = "new", _("新建人员")
        REVIEW = "review", _("待人工核对")
        SKIPPED = "skipped", _("不关联")

    # Indexes are what a million-row COPY pays for most (docs/adr/0004, bench/imports): `batch` is served by the
    # (batch, row_number) and (batch, status) indexes, `person` only needs its linked rows indexed, and
    # `fingerprint` (equality look-ups of random hex) has a hash index on PostgreSQL, made in migration 0002.
    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows", db_index=False)
    row_number = models.PositiveIntegerField()
    raw = models.JSONField(
        default=list, blank=True, help_text="original cells, ID-like and phone-like text masked"
    )
    sealed = models.TextField(blank=True, help_text="Fernet token: original cells and plain ID/phone")
    clean = models.JSONField(
        default=dict, blank=True, help_text="validated values: masked forms and keyed hashes only"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    reasons = models.JSONField(default=list, blank=True, help_text="[[field, message], ...]")
    fingerprint = models.CharField(max_length=64)
    dwelling = models.ForeignKey(
        "places.Dwelling", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    person = models.ForeignKey(
        "ledger.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_rows",
        db_index=False,
    )
    link_status = models.CharField(max_length=10, choices=Link.choices, default=Link.PENDING)
    match_probability = models.FloatField(null=True, blank=True)
    link_method = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["batch", "row_number"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "row_number"], name="importrow_unique_number")
        ]
        indexes = [
            models.Index(fields=["batch", "status"]),
            models.Index(fields=["batch", "link_status"]),
            models.Index(
                fields=["person"], condition=models.Q(person__isnull=False), name="importrow_person_linked"
            ),
        ]

    def __str__(self) -> str:
        return f"第{self.row_number}行"

    @property
    def audit_community(self):
        return self.batch.place.community


SENSITIVE_FIELDS = frozenset({"id_number", "phone"})
OBSERVED_FIELDS = ("name", "sex", "birth_date", "ethnicity", "id_number", "phone", "hukou_region", "address")
FIELD_LABELS = {
    "name": _("姓名"),
    "sex": _("性别"),
    "birth_date": _("出生日期"),
    "ethnicity": _("民族"),
    "id_number": _("证件号码"),
    "phone": _("联系电话"),
    "hukou_region": _("户籍地"),
    "address": _("居住地址"),
}


class FieldObservation(models.Model):
    """某来源说 — what one source said about one field of a person, on a date. ID numbers and phones are kept
    encrypted with a masked display form; `value_key` (a keyed hash) compares values without decrypting."""

    person = models.ForeignKey("ledger.Person", on_delete=models.CASCADE, related_name="observations")
    field = models.CharField(max_length=20)
    value = models.CharField(max_length=200, blank=True, help_text="plain value; '' for sensitive fields")
    value_encrypted = models.TextField(blank=True)
    value_masked = models.CharField(max_length=200)
    value_key = models.CharField(max_length=64)
    source = models.ForeignKey(DataSource, on_delete=models.PROTECT, related_name="observations")
    batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="observations"
    )
    row = models.ForeignKey(ImportRow, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    observed_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["person", "field", "-observed_on", "-id"]
        indexes = [models.Index(fields=["person", "field"])]

    def __str__(self) -> str:
        return f"{self.source} · {self.field} = {self.value_masked}"

    @property
    def audit_community(self):
        return self.person.community


class FieldDecision(models.Model):
    """A worker settled a conflict between sources: this value is the person's, decided by whom and when."""

    person = models.ForeignKey("ledger.Person", on_delete=models.CASCADE, related_name="field_decisions")
    field = models.CharField(max_length=20)
    chosen = models.ForeignKey(FieldObservation, null=True, on_delete=models.SET_NULL, related_name="+")
    value_masked = models.CharField(max_length=200)
    value_key = models.CharField(max_length=64)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]
        indexes = [models.Index(fields=["person", "field"])]

    def __str__(self) -> str:
        return f"{self.field} = {self.value_masked}"

    @property
    def audit_community(self):
        return self.person.community


class Extract(models.Model):
    """A department's extract: who received which columns of which jurisdiction, how many rows, masked or not."""

    number = models.CharField(_("提取编号"), max_length=24, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    department = models.CharField(_("部门"), max_length=60, blank=True)
    place = models.ForeignKey("places.Place", on_delete=models.PROTECT, related_name="+")
    columns = models.JSONField(default=list, blank=True)
    purpose = models.CharField(_("用途"), max_length=200)
    row_count = models.PositiveIntegerField(default=0)
    is_masked = models.BooleanField(default=True)
    fmt = models.CharField(max_length=8, default="xlsx")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.number

    @property
    def audit_community(self):
        return self.place.community

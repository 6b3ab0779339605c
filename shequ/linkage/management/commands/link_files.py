"""`shequ link-files LEFT.csv [RIGHT.csv] --out pairs.csv`: link (or deduplicate) CSV files in the
standard import columns with the same model the ledger uses."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from shequ.linkage.engine.model import DEFAULT_THRESHOLD, link_frames
from shequ.linkage.engine.normalize import STANDARD_COLUMNS

# Chinese headers people write for the standard columns (docs/linkage.md lists them).
HEADER_ALIASES = {
    "记录编号": "record_id",
    "编号": "record_id",
    "序号": "record_id",
    "姓名": "name",
    "性别": "sex",
    "出生日期": "birth_date",
    "出生年月日": "birth_date",
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "证件号码": "id_number",
    "电话": "phone",
    "联系电话": "phone",
    "手机号": "phone",
    "手机号码": "phone",
    "住址": "address",
    "地址": "address",
    "现住址": "address",
    "居住地址": "address",
    "来源": "source",
}
REQUIRED = ("record_id", "name")
ENCODINGS = ("utf-8-sig", "gb18030")


def read_standard_csv(path: Path) -> pd.DataFrame:
    """Read a CSV in UTF-8 (with or without BOM) or GBK/GB18030 and map its headers to the
    standard columns. Raises CommandError naming the file and the problem."""
    if not path.is_file():
        raise CommandError(f"找不到文件: {path}")
    last_error: Exception | None = None
    for encoding in ENCODINGS:
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError as exc:
            last_error = exc
        except pd.errors.ParserError as exc:
            raise CommandError(f"{path.name}: 不是有效的CSV文件({exc})") from exc
        except pd.errors.EmptyDataError as exc:
            raise CommandError(f"{path.name}: 文件为空") from exc
    else:
        raise CommandError(f"{path.name}: 无法识别文件编码(支持 UTF-8 与 GBK/GB18030)") from last_error
    df.columns = [HEADER_ALIASES.get(str(c).strip(), str(c).strip().lower()) for c in df.columns]
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise CommandError(
            f"{path.name}: 缺少必需的列 {', '.join(missing)}(标准列: {', '.join(STANDARD_COLUMNS)})"
        )
    if df["record_id"].eq("").any():
        rows = (df.index[df["record_id"].eq("")] + 2).tolist()[:5]
        raise CommandError(f"{path.name}: record_id 为空(第 {rows} 行)")
    dupes = df["record_id"][df["record_id"].duplicated()].unique().tolist()
    if dupes:
        raise CommandError(f"{path.name}: record_id 重复: {', '.join(map(str, dupes[:5]))}")
    for col in STANDARD_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    return df


class Command(BaseCommand):
    help = (
        "Link two CSV files of person records (or deduplicate one) and write every pair at or above "
        "--min-probability with its match probability. Columns: record_id, name, sex, birth_date, "
        "id_number, phone, address (UTF-8 or GBK)."
    )

    def add_arguments(self, parser):
        parser.add_argument("left", help="CSV file in the standard columns")
        parser.add_argument("right", nargs="?", help="second CSV file; omit to deduplicate LEFT")
        parser.add_argument("--out", required=True, help="where to write the pairs (CSV, UTF-8 with BOM)")
        parser.add_argument(
            "--threshold",
            type=float,
            default=DEFAULT_THRESHOLD,
            help="probability at which a pair is a match",
        )
        parser.add_argument("--min-probability", type=float, default=0.05, help="lowest probability written")

    def handle(self, *args, **options):
        for key in ("threshold", "min_probability"):
            if not 0.0 <= options[key] <= 1.0:
                raise CommandError(f"--{key.replace('_', '-')} 应在 0 与 1 之间")
        left = read_standard_csv(Path(options["left"]))
        right = read_standard_csv(Path(options["right"])) if options["right"] else None
        if len(left) + (0 if right is None else len(right)) < 2:
            raise CommandError("记录太少,无法比对")
        result = link_frames(
            left, right, threshold=options["threshold"], min_probability=min(options["min_probability"], 0.01)
        )
        pairs = result.pairs[result.pairs["match_probability"] >= options["min_probability"]]
        pairs = pairs.sort_values("match_probability", ascending=False)
        out = pairs[["record_id_1", "record_id_2", "match_probability", "match_weight"]].copy()
        out["is_match"] = (out["match_probability"] >= options["threshold"]).astype(int)
        out["why"] = [
            "; ".join(f"{c}:{lvl}({w:+.1f})" for c, lvl, w in result.explain(row))
            for _, row in pairs.iterrows()
        ]
        out.to_csv(options["out"], index=False, encoding="utf-8-sig", float_format="%.6f")
        mode = "去重" if right is None else "比对"
        self.stdout.write(
            f"{mode}完成: {len(out)} 对记录写入 {options['out']},其中 {int(out['is_match'].sum())} 对"
            f"匹配概率 ≥ {options['threshold']}"
        )

"""`shequ link-files`: CSVs in UTF-8 and GBK, dedupe and link, clear errors for bad files."""

import io

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from shequ.linkage.engine.synthetic import generate

TRUTH = ["entity_id", "household_id", "twin_of", "source"]


@pytest.fixture(scope="module")
def population():
    return generate(1200, seed=21)


def _write(df, path, encoding):
    df.to_csv(path, index=False, encoding=encoding)
    return str(path)


def test_dedupe_one_utf8_file(tmp_path, population):
    src = _write(population.drop(columns=TRUTH), tmp_path / "people.csv", "utf-8")
    out = tmp_path / "pairs.csv"
    stdout = io.StringIO()
    call_command("link_files", src, "--out", str(out), "--min-probability", "0.2", stdout=stdout)
    pairs = pd.read_csv(out, dtype={"record_id_1": str, "record_id_2": str}, encoding="utf-8-sig")
    assert list(pairs.columns[:5]) == [
        "record_id_1",
        "record_id_2",
        "match_probability",
        "match_weight",
        "is_match",
    ]
    assert (pairs["match_probability"] >= 0.2).all()
    entity = population.set_index("record_id")["entity_id"]
    matched = pairs[pairs["is_match"] == 1]
    same = entity.loc[matched["record_id_1"]].to_numpy() == entity.loc[matched["record_id_2"]].to_numpy()
    assert same.mean() > 0.95
    assert "去重完成" in stdout.getvalue()
    assert pairs["why"].str.contains("姓名").any()


def test_link_two_files_gbk_with_chinese_headers(tmp_path, population):
    headers = {
        "record_id": "记录编号",
        "name": "姓名",
        "sex": "性别",
        "birth_date": "出生日期",
        "id_number": "身份证号",
        "phone": "联系电话",
        "address": "住址",
    }
    left = population[population["source"] == "公安户籍"].drop(columns=TRUTH).rename(columns=headers)
    right = population[population["source"] == "物业业主名册"].drop(columns=TRUTH)
    a = _write(left, tmp_path / "police.csv", "gbk")
    b = _write(right, tmp_path / "property.csv", "utf-8-sig")
    out = tmp_path / "pairs.csv"
    stdout = io.StringIO()
    call_command("link_files", a, b, "--out", str(out), "--threshold", "0.9", stdout=stdout)
    pairs = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    assert set(pairs["record_id_1"]) <= set(left["记录编号"])
    assert set(pairs["record_id_2"]) <= set(right["record_id"])
    assert (pairs["match_probability"].astype(float) >= 0.05).all()  # the default low probability
    assert "比对完成" in stdout.getvalue()


@pytest.mark.parametrize(
    "content, message",
    [
        ("name,phone\n张三,13800000000\n", "缺少必需的列"),
        ("record_id,name\n1,张三\n1,李四\n", "record_id 重复"),
        ("record_id,name\n,张三\n2,李四\n", "record_id 为空"),
        ("", "文件为空"),
    ],
)
def test_bad_files_are_reported_clearly(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("link_files", str(path), "--out", str(tmp_path / "out.csv"))
    assert not (tmp_path / "out.csv").exists()


def test_missing_file_and_bad_threshold(tmp_path):
    with pytest.raises(CommandError, match="找不到文件"):
        call_command("link_files", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv"))
    path = tmp_path / "ok.csv"
    path.write_text("record_id,name\n1,张三\n2,张三\n", encoding="utf-8")
    with pytest.raises(CommandError, match="0 与 1 之间"):
        call_command("link_files", str(path), "--out", str(tmp_path / "o.csv"), "--threshold", "2")

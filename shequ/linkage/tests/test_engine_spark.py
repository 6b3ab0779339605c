"""The same settings on Splink's Spark backend (pyspark local mode)."""

import shutil

import pytest

from shequ.linkage.engine.model import DEFAULT_THRESHOLD, link_frames
from shequ.linkage.engine.synthetic import generate

pyspark = pytest.importorskip("pyspark")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_spark_backend_links_a_small_population():
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("shequ-linkage-test")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    try:
        population = generate(200, seed=9)
        result = link_frames(
            population.drop(columns=["entity_id", "household_id", "twin_of"]),
            backend="spark",
            spark=spark,
            u_max_pairs=1e4,
        )
        entity = population.set_index("record_id")["entity_id"]
        pred = result.matches(DEFAULT_THRESHOLD)
        assert len(pred) > 0
        same = entity.loc[pred["record_id_1"]].to_numpy() == entity.loc[pred["record_id_2"]].to_numpy()
        assert same.mean() > 0.9
        duck = link_frames(population.drop(columns=["entity_id", "household_id", "twin_of"]), u_max_pairs=1e4)
        assert abs(len(duck.matches()) - len(pred)) <= max(3, 0.1 * len(pred))
    finally:
        spark.stop()

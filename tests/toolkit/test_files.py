"""score_files end to end on real Spark, real Parquet and real scikit-learn models."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import toolkit as tk
from toolkit.files.progress import Progress
from toolkit.scoring.schema import output_spec

NUMERIC = ["x0", "x1", "x2", "x3", "x4"]


def write_table(root: Path, frame: pd.DataFrame, *, files_per_part: int = 2) -> Path:
    """``frame`` as a hive table ``part=0|1/f<i>.parquet``, several row groups per file."""
    for part in (0, 1):
        rows = frame[frame["id"] % 2 == part]
        for i, chunk in enumerate(chunks(rows, files_per_part)):
            folder = root / f"part={part}"
            folder.mkdir(parents=True, exist_ok=True)
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            pq.write_table(table, folder / f"f{i}.parquet", row_group_size=60)
    return root


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def snapshot(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in files_under(root)}


def read_sorted(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).sort_values("id").reset_index(drop=True)


def chunks(frame: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    bounds = np.linspace(0, len(frame), n + 1).astype(int)
    return [frame.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def assert_same_output(actual: np.ndarray, expected: np.ndarray) -> None:
    """Labels and tree outputs exactly; BLAS-computed floats to the last few ulps (a batch of
    60 rows and one of 600 take different BLAS kernel paths)."""
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(actual, expected, rtol=1e-12, atol=1e-15)
    else:
        np.testing.assert_array_equal(actual, expected)


def matrix(column: pd.Series, spec) -> np.ndarray:
    if not spec.fields:
        return column.to_numpy()
    return np.array([[row[f] for f in spec.fields] for row in column])


@pytest.fixture(scope="module")
def table(tmp_path_factory, frame) -> Path:
    return write_table(tmp_path_factory.mktemp("table") / "in", frame)


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("logreg", "predict_proba"),
        ("forest", "predict"),
        ("pipeline", "predict_proba"),
        ("hgb_regressor", "predict"),
    ],
)
def test_predictions_equal_local_sklearn_and_layout_is_kept(
    spark, models, frame, table, tmp_path, name, method
):
    model = models[name]
    out = tmp_path / "out"
    report = tk.score_files(model, table, out, method=method, spark=spark)

    assert (report.rows_in, report.rows_out, report.rows_invalid) == (600, 600, 0)
    assert report.files == 4 and report.output_files >= 4
    assert report.rows_per_second > 0 and report.params["method"] == method
    assert files_under(out) == ["_SUCCESS", *files_under(table)]  # same layout and names
    scored = read_sorted(out)
    expected = np.asarray(getattr(model, method)(frame[list(model.feature_names_in_)]))
    spec = output_spec(model, method)
    assert_same_output(matrix(scored[spec.column], spec), expected)
    pd.testing.assert_frame_equal(scored[frame.columns], frame)  # every input column kept
    assert (scored["part"].astype(int) == scored["id"] % 2).all()  # partition column kept


def test_output_reads_back_with_spark(spark, models, frame, table, tmp_path):
    out = tmp_path / "out"
    tk.score_files(models["logreg"], table, out, method="predict_proba", spark=spark)
    back = spark.read.parquet(str(out))
    assert back.count() == 600
    assert back.select("id").distinct().count() == 600
    assert set(back.columns) == {*frame.columns, "part", "probability"}
    assert (
        back.schema["probability"].dataType.simpleString()
        == "struct<high:double,low:double,mid:double>"
    )
    row = back.where("id = 7").first()
    expected = models["logreg"].predict_proba(frame.loc[frame.id == 7, NUMERIC])[0]
    assert_same_output(
        np.array([row.probability.high, row.probability.low, row.probability.mid]), expected
    )
    assert row.part == 1


def test_keep_columns_handle_invalid_keep_and_skip_count_exactly(spark, models, frame, tmp_path):
    bad = frame.copy()
    bad.loc[[3, 70, 71, 599], "x2"] = np.nan
    source = write_table(tmp_path / "in", bad)
    model = models["logreg"]

    kept = tk.score_files(
        model, source, tmp_path / "keep", keep_columns=["id"], handle_invalid="keep", spark=spark
    )
    assert (kept.rows_in, kept.rows_out, kept.rows_invalid) == (600, 600, 4)
    out = read_sorted(tmp_path / "keep")
    assert list(out.columns) == ["id", "prediction", "prediction_error", "part"]
    refused = out[out["prediction_error"].notna()]
    assert refused["id"].tolist() == [3, 70, 71, 599]
    assert refused["prediction"].isna().all()
    assert refused["prediction_error"].str.contains("'x2'").all()

    skipped = tk.score_files(model, source, tmp_path / "skip", handle_invalid="skip", spark=spark)
    assert (skipped.rows_in, skipped.rows_out, skipped.rows_invalid) == (600, 596, 4)
    out = read_sorted(tmp_path / "skip")
    assert 70 not in set(out["id"]) and len(out) == 596
    good = bad.drop(index=[3, 70, 71, 599])
    np.testing.assert_array_equal(out["prediction"], model.predict(good[NUMERIC]))


def test_invalid_row_fails_naming_file_column_and_leaves_nothing(spark, models, frame, tmp_path):
    bad = frame.copy()
    bad.loc[70, "x2"] = np.inf
    source = write_table(tmp_path / "in", bad)
    out = tmp_path / "out"
    with pytest.raises(tk.InvalidInputError, match=r"part=0/f0\.parquet.*'x2'.*inf"):
        tk.score_files(models["logreg"], source, out, spark=spark)
    assert not out.exists()  # no _SUCCESS, no partial output, no staging left behind


def test_partition_column_is_a_feature(spark, frame, tmp_path):
    from sklearn.tree import DecisionTreeRegressor

    data = frame.assign(bucket=frame["id"] % 3)
    model = DecisionTreeRegressor(max_depth=4, random_state=0).fit(
        data[["x0", "bucket"]], data["x1"] + data["bucket"]
    )
    for bucket, rows in data.groupby("bucket"):
        folder = tmp_path / "in" / f"bucket={bucket}"
        folder.mkdir(parents=True)
        rows.drop(columns="bucket").to_parquet(folder / "a.parquet", index=False)
    report = tk.score_files(model, tmp_path / "in", tmp_path / "out", spark=spark)
    assert report.rows_out == 600
    out = pd.read_parquet(tmp_path / "out").sort_values("id")
    expected = model.predict(data.sort_values("id")[["x0", "bucket"]])
    np.testing.assert_array_equal(out["prediction"].to_numpy(), expected)


def test_row_groups_split_into_fragments_and_tasks(spark, models, frame, tmp_path, monkeypatch):
    import toolkit.files.plan

    single = tmp_path / "one.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), single, row_group_size=50)
    monkeypatch.setattr(toolkit.files.plan, "MAX_TASK_BYTES", 4096)  # force splitting
    report = tk.score_files(models["forest"], single, tmp_path / "out", spark=spark)
    assert report.files == 1 and report.output_files > 2 and report.tasks > 2
    names = [n for n in files_under(tmp_path / "out") if n != "_SUCCESS"]
    assert len(names) == report.output_files and all(n.startswith("one-rg") for n in names)
    out = read_sorted(tmp_path / "out")
    np.testing.assert_array_equal(out["prediction"], models["forest"].predict(frame[NUMERIC]))


def test_glob_selects_files_and_keeps_partitions(spark, models, table, tmp_path):
    report = tk.score_files(
        models["forest"], f"{table}/part=*/f1.parquet", tmp_path / "out", spark=spark
    )
    assert report.files == 2 and report.rows_in == 300
    assert files_under(tmp_path / "out") == ["_SUCCESS", "part=0/f1.parquet", "part=1/f1.parquet"]


def test_spark_written_input_with_hidden_files(spark, models, frame, tmp_path):
    source = str(tmp_path / "spark_in")
    tk.to_spark(frame.assign(part=frame["id"] % 2)).write.partitionBy("part").parquet(source)
    assert any(name.startswith((".", "_")) for name in os.listdir(source))  # _SUCCESS, .crc
    report = tk.score_files(models["pipeline"], source, tmp_path / "out", spark=spark)
    assert report.rows_out == 600
    out = read_sorted(tmp_path / "out")
    model = models["pipeline"]
    np.testing.assert_array_equal(out["prediction"], model.predict(frame[model.feature_names_in_]))


def test_categorical_timestamp_and_index_columns_round_trip(spark, models, frame, tmp_path):
    stamp = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["id"], unit="s")
    data = frame.assign(when=stamp, color=frame["color"].astype("category")).set_index("when")
    (tmp_path / "in").mkdir()
    data.to_parquet(tmp_path / "in" / "a.parquet")  # pandas metadata, dictionary column, index
    model = models["pipeline"]
    tk.score_files(model, tmp_path / "in", tmp_path / "out", spark=spark)
    out = pd.read_parquet(tmp_path / "out")
    assert list(out.columns) == [*frame.columns, "when", "prediction"]
    assert (out["when"].to_numpy() == stamp.to_numpy()).all()
    np.testing.assert_array_equal(out["prediction"], model.predict(frame[model.feature_names_in_]))
    back = spark.read.parquet(str(tmp_path / "out"))
    assert dict(back.dtypes)["when"] == "timestamp_ntz" and back.count() == 600  # naive stays naive


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_csv_and_json_input(spark, models, frame, tmp_path, fmt):
    source = tmp_path / "in"
    source.mkdir()
    for i, chunk in enumerate(chunks(frame, 2)):
        if fmt == "csv":
            chunk.to_csv(source / f"c{i}.csv", index=False)
        else:
            chunk.to_json(source / f"c{i}.json", orient="records", lines=True)
    report = tk.score_files(models["pipeline"], source, tmp_path / "out", format=fmt, spark=spark)
    assert report.rows_out == 600
    assert files_under(tmp_path / "out") == ["_SUCCESS", "c0.parquet", "c1.parquet"]
    out = read_sorted(tmp_path / "out")
    model = models["pipeline"]
    expected = model.predict(frame[model.feature_names_in_])
    assert (out["prediction"].to_numpy() == expected).mean() > 0.99  # text round-trip of floats


def test_dataframe_engine_gives_the_same_output(spark, models, frame, table, tmp_path):
    model = models["logreg"]
    report = tk.score_files(
        model, table, tmp_path / "out", method="predict_proba", engine="dataframe", spark=spark
    )
    assert (report.rows_in, report.rows_out, report.files) == (600, 600, 4)
    assert (tmp_path / "out" / "_SUCCESS").exists()
    assert {p.name for p in (tmp_path / "out").iterdir() if p.is_dir()} == {"part=0", "part=1"}
    out = read_sorted(tmp_path / "out")
    assert_same_output(
        matrix(out["probability"], output_spec(model, "predict_proba")),
        model.predict_proba(frame[NUMERIC]),
    )


def test_dataframe_engine_scores_a_native_model(spark, models, frame, table, tmp_path):
    """``model_engine="native"``: the same values as the model, scored in the JVM."""
    model = models["logreg"]
    report = tk.score_files(model, table, tmp_path / "out", method="predict_proba",
                            engine="dataframe", model_engine="native", spark=spark)  # fmt: skip
    assert (report.rows_in, report.rows_out) == (600, 600)
    out = read_sorted(tmp_path / "out")
    np.testing.assert_allclose(
        matrix(out["probability"], output_spec(model, "predict_proba")),
        model.predict_proba(frame[NUMERIC]), rtol=1e-12,
    )  # fmt: skip
    with pytest.raises(tk.InvalidOptionError, match="--engine dataframe --model-engine native"):
        tk.score_files(model, table, tmp_path / "again", model_engine="native", spark=_no_spark)
    with pytest.raises(tk.InvalidOptionError, match="model_engine must be one of"):
        tk.score_files(model, table, tmp_path / "again", model_engine="jvm", spark=_no_spark)
    assert not (tmp_path / "again").exists()


def test_progress_reports_every_file_and_success_holds_the_report(spark, models, table, tmp_path):
    seen: list[Progress] = []
    report = tk.score_files(
        models["forest"], table, tmp_path / "out", spark=spark, progress=seen.append
    )
    last = seen[-1]
    assert (last.files_done, last.files_total, last.rows_done, last.rows_total) == (4, 4, 600, 600)
    assert "4/4 files, 600/600 rows" in last.line()
    success = json.loads((tmp_path / "out" / "_SUCCESS").read_text())
    assert (
        success["rows_out"] == 600 and success["params"]["model_class"] == "RandomForestClassifier"
    )
    assert report.metrics()["rows_in"] == 600.0


# -- refusals: each a ToolkitError naming the file, before any job; nothing written -------------


def test_existing_destination_is_refused_and_left_untouched(spark, models, table, tmp_path):
    out = tmp_path / "out"
    tk.score_files(models["forest"], table, out, spark=spark)
    before = snapshot(out)
    with pytest.raises(tk.DestinationExistsError, match="already exists.*overwrite"):
        tk.score_files(models["forest"], table, out, spark=spark)
    assert snapshot(out) == before


def test_overwrite_replaces_output_but_never_the_source(spark, models, table, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "stale.parquet").write_bytes(b"old")
    source_before = snapshot(table)
    report = tk.score_files(models["forest"], table, out, mode="overwrite", spark=spark)
    assert report.rows_out == 600
    assert "stale.parquet" not in files_under(out) and "_temporary" not in os.listdir(out)
    assert snapshot(table) == source_before
    for destination in (table, table / "part=0" / "scored", table.parent):
        with pytest.raises(tk.DestinationExistsError, match="source"):
            tk.score_files(models["forest"], table, destination, mode="overwrite", spark=spark)
    assert snapshot(table) == source_before


def test_failed_overwrite_keeps_the_previous_output(spark, models, frame, table, tmp_path):
    out = tmp_path / "out"
    tk.score_files(models["forest"], table, out, spark=spark)
    before = snapshot(out)
    bad = frame.copy()
    bad.loc[5, "x0"] = np.nan
    broken = write_table(tmp_path / "bad", bad)
    with pytest.raises(tk.InvalidInputError):
        tk.score_files(models["logreg"], broken, out, mode="overwrite", spark=spark)
    assert snapshot(out) == before


def test_empty_directory_gives_an_empty_result_with_a_warning(spark, models, tmp_path):
    (tmp_path / "in").mkdir()
    with pytest.warns(tk.ToolkitAdviceWarning, match="No rows"):
        report = tk.score_files(models["forest"], tmp_path / "in", tmp_path / "out", spark=spark)
    assert (report.rows_in, report.rows_out, report.files) == (0, 0, 0)
    assert files_under(tmp_path / "out") == ["_SUCCESS"]


def test_zero_row_file_gives_an_empty_output_file(spark, models, frame, tmp_path):
    (tmp_path / "in").mkdir()
    frame.head(0).to_parquet(tmp_path / "in" / "empty.parquet", index=False)
    with pytest.warns(tk.ToolkitAdviceWarning, match="No rows"):
        report = tk.score_files(models["forest"], tmp_path / "in", tmp_path / "out", spark=spark)
    assert report.rows_out == 0
    assert list(pd.read_parquet(tmp_path / "out").columns) == [*frame.columns, "prediction"]


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"", "empty \\(0 bytes\\)"), (b"PAR1 this is not parquet", "not a readable parquet")],
)
def test_corrupt_or_empty_file_is_named(models, table, tmp_path, content, match):
    source = tmp_path / "in"
    source.mkdir()
    for name in ("a.parquet", "b.parquet"):
        (source / name).write_bytes((table / "part=0" / "f0.parquet").read_bytes())
    (source / "broken.parquet").write_bytes(content)
    with pytest.raises(tk.InputFileError, match=f"broken.parquet.*{match}"):
        tk.score_files(models["forest"], source, tmp_path / "out", spark=_no_spark)
    assert not (tmp_path / "out").exists()


def test_file_lacking_a_feature_column_is_named(models, frame, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    frame.to_parquet(source / "good.parquet", index=False)
    frame.drop(columns="x3").rename(columns={"x1": "x_1"}).to_parquet(source / "bad.parquet")
    with pytest.raises(tk.InputFileError, match=r"bad\.parquet.*'x1' \(closest: 'x_1'"):
        tk.score_files(models["forest"], source, tmp_path / "out", spark=_no_spark)
    assert not (tmp_path / "out").exists()


def test_bad_options_and_missing_input_are_refused(models, table, tmp_path):
    model = models["forest"]
    with pytest.raises(tk.InputFileError, match="No input at"):
        tk.score_files(model, tmp_path / "nope", tmp_path / "out", spark=_no_spark)
    with pytest.raises(tk.InvalidOptionError, match="mode"):
        tk.score_files(model, table, tmp_path / "out", mode="append", spark=_no_spark)
    with pytest.raises(tk.InvalidOptionError, match="engine='dataframe'"):
        tk.score_files(model, table, tmp_path / "out", format="orc", spark=_no_spark)
    with pytest.raises(tk.InputFileError, match="lacks keep_columns \\['nope'\\]"):
        tk.score_files(model, table, tmp_path / "out", keep_columns=["nope"], spark=_no_spark)
    with pytest.raises(tk.SchemaMismatchError, match="x0.*output_col"):
        tk.score_files(model, table, tmp_path / "out", output_col="x0", spark=_no_spark)
    assert not (tmp_path / "out").exists()


def _no_spark():
    raise AssertionError("Spark must not be needed to refuse this request")


def test_public_names():
    assert "ScoreReport" in tk.__all__ and "score_files" in tk.__all__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = tk.ScoreReport(1, 1, 0, 1, 0.5, 2.0)
    assert report.to_dict()["rows_per_second"] == 2.0

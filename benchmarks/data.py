"""Synthetic benchmark tables, written once as Parquet and reused across runs.

One table serves every model: ``id``, float features ``f0..f{n-1}`` drawn around
eight centres (so KMeans has structure to find), a binary ``label`` for the
classifiers and a float ``target`` for the regressor, both with a non-linear
term so trees and linear models differ. A directory is identified by its size
and seed, and a ``_manifest.json`` written last says it is complete.

Examples
--------
>>> table = ensure_table("/tmp/bench", rows=10_000, features=5, files=2)  # doctest: +SKIP
>>> table.path.name                                                       # doctest: +SKIP
'table-10000x5-2f-s7'
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["CENTRES", "Table", "ensure_table", "feature_names", "make_chunk", "read_table"]

CENTRES = 8
ROW_GROUP = 131_072
_FORMAT = 1  # bump when the generator changes, so old directories are not reused


@dataclass(frozen=True)
class Table:
    """A complete benchmark table on disk.

    Examples
    --------
    >>> Table(Path("t"), 100, 3, 2, 7).features
    3
    """

    path: Path
    rows: int
    features: int
    files: int
    seed: int

    @property
    def feature_names(self) -> list[str]:
        return feature_names(self.features)

    @property
    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet"))


def feature_names(n: int) -> list[str]:
    """``['f0', 'f1', ...]``.

    Examples
    --------
    >>> feature_names(3)
    ['f0', 'f1', 'f2']
    """
    return [f"f{i}" for i in range(n)]


def ensure_table(
    workdir: str | Path, *, rows: int, features: int, files: int, seed: int = 7
) -> Table:
    """Return the table of this size under ``workdir/data``, writing it on first use.

    Examples
    --------
    >>> ensure_table(tmp, rows=1000, features=4, files=2).parts  # doctest: +SKIP
    [PosixPath('.../part-00000.parquet'), PosixPath('.../part-00001.parquet')]
    """
    files = max(1, min(files, rows))
    path = Path(workdir) / "data" / f"table-{rows}x{features}-{files}f-s{seed}"
    manifest = path / "_manifest.json"
    wanted = {"rows": rows, "features": features, "files": files, "seed": seed, "format": _FORMAT}
    if manifest.exists() and json.loads(manifest.read_text()) == wanted:
        return Table(path, rows, features, files, seed)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    _write(path, rows=rows, features=features, files=files, seed=seed)
    manifest.write_text(json.dumps(wanted))
    return Table(path, rows, features, files, seed)


def make_chunk(start: int, stop: int, *, features: int, seed: int) -> dict[str, np.ndarray]:
    """Rows ``start..stop`` of the table as columns; the same rows for the same seed.

    Examples
    --------
    >>> chunk = make_chunk(0, 5, features=3, seed=1)
    >>> sorted(chunk), chunk["id"].tolist()
    (['f0', 'f1', 'f2', 'id', 'label', 'target'], [0, 1, 2, 3, 4])
    """
    shape = np.random.default_rng([seed, 0])
    centres = shape.normal(scale=2.5, size=(CENTRES, features))
    weights = shape.normal(size=features) / np.sqrt(features)
    rng = np.random.default_rng([seed, 1, start])
    n = stop - start
    X = centres[rng.integers(CENTRES, size=n)] + rng.normal(size=(n, features))
    bend = np.sin(X[:, 0]) * X[:, min(1, features - 1)]
    linear = X @ weights
    label = (linear + 0.5 * bend + rng.normal(scale=0.5, size=n) > 0).astype(np.int64)
    target = linear + 0.5 * bend + rng.normal(scale=0.3, size=n)
    columns = {"id": np.arange(start, stop, dtype=np.int64)}
    columns.update({name: X[:, i] for i, name in enumerate(feature_names(features))})
    columns["label"] = label
    columns["target"] = target
    return columns


def read_table(table: Table, *, columns: list[str] | None = None, rows: int | None = None):
    """The table (or its first ``rows``) as a pandas DataFrame, in ``id`` order.

    Examples
    --------
    >>> read_table(table, columns=["id", "f0"], rows=10).shape  # doctest: +SKIP
    (10, 2)
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    pieces, have = [], 0
    for part in table.parts:
        piece = pq.read_table(part, columns=columns)
        pieces.append(piece)
        have += piece.num_rows
        if rows is not None and have >= rows:
            break
    frame = pa.concat_tables(pieces).to_pandas()
    return frame if rows is None else frame.iloc[:rows].reset_index(drop=True)


def _write(path: Path, *, rows: int, features: int, files: int, seed: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    bounds = np.linspace(0, rows, files + 1).astype(int)
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True)):
        with pq.ParquetWriter(path / f".part-{i:05d}.parquet", _schema(features)) as writer:
            for start in range(lo, hi, ROW_GROUP):
                chunk = make_chunk(start, min(hi, start + ROW_GROUP), features=features, seed=seed)
                writer.write_table(pa.table(chunk, schema=_schema(features)))
        (path / f".part-{i:05d}.parquet").rename(path / f"part-{i:05d}.parquet")


def _schema(features: int):
    import pyarrow as pa

    return pa.schema(
        [("id", pa.int64())]
        + [(name, pa.float64()) for name in feature_names(features)]
        + [("label", pa.int64()), ("target", pa.float64())]
    )

"""The per-core limit, measured in a plain Python process of its own.

One child process per model (no Spark, no MLflow, no benchmark state): it loads
the model once, caps BLAS/OpenMP to one thread, and then, on each ``run`` line
from its parent, does the limit's work once and answers ``done``:

- ``files``: stream every Parquet file in 65,536-row batches with pyarrow,
  ``predict``, write ``(id, prediction)`` with the same Parquet settings as
  ``score_files`` -- one ``score_files`` task's work, without Spark;
- ``memory``: ``predict`` on the table held in memory, in the same batches.

Measuring it inside the benchmark's own process made it slower by a third or
more (that process also drives Spark, samples memory and holds the reference
frames), which flattered every comparison against it.

Examples
--------
>>> with LimitProcess(model_path, parts, features, outdir) as limit:  # doctest: +SKIP
...     limit.run("files")
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

__all__ = ["BATCH", "LimitProcess", "main"]

BATCH = 65_536


class LimitProcess:
    """The parent's handle on one limit child; ``run`` returns once the child is done."""

    def __init__(self, model_path: Path, parts: list[Path], features: list[str], outdir: Path):
        spec = {"model": str(model_path), "parts": [str(p) for p in parts],
                "features": list(features), "outdir": str(outdir)}  # fmt: skip
        self.child = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.limit", json.dumps(spec)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        self._expect("ready")

    def run(self, mode: str) -> None:
        """Do the limit's work once (``files`` or ``memory``)."""
        self._send(f"run {mode}")

    def dump(self, mode: str) -> None:
        """Write the last run's ``(id, prediction)`` to ``outdir`` (untimed; memory mode)."""
        self._send(f"dump {mode}")

    def close(self) -> None:
        if self.child.poll() is None:
            self.child.stdin.close()
            self.child.wait(timeout=60)

    def __enter__(self) -> LimitProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, line: str) -> None:
        self.child.stdin.write(line + "\n")
        self.child.stdin.flush()
        self._expect("done")

    def _expect(self, word: str) -> None:
        answer = self.child.stdout.readline().strip()
        if answer != word:
            self.close()
            raise RuntimeError(f"the limit process answered {answer!r}, not {word!r}")


def main(argv: list[str] | None = None) -> int:
    import joblib
    from threadpoolctl import threadpool_limits

    spec = json.loads((argv or sys.argv[1:])[0])
    threadpool_limits(limits=1)
    model, features = joblib.load(spec["model"]), spec["features"]
    parts, outdir = [Path(p) for p in spec["parts"]], Path(spec["outdir"])
    memory = None
    last: dict[str, Any] = {}
    print("ready", flush=True)
    for line in sys.stdin:
        command, mode = line.split()
        try:
            if command == "run" and mode == "files":
                _files(model, parts, features, outdir / "files")
            elif command == "run":
                memory = memory if memory is not None else _load(parts, features)
                last["memory"] = _memory(model, memory, features)
            else:
                _dump(memory, last["memory"], outdir / "memory.parquet")
        except Exception as exc:  # the parent raises with this line
            print(f"error {type(exc).__name__}: {exc}".replace("\n", " "), flush=True)
            continue
        print("done", flush=True)
    return 0


def _files(model: Any, parts: list[Path], features: list[str], out: Path) -> None:
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    from toolkit.files.api import parquet_write_options

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for part in parts:
        source = pq.ParquetFile(part)
        writer = None
        for batch in source.iter_batches(batch_size=BATCH, columns=["id", *features],
                                         use_threads=False):  # fmt: skip
            X = batch.select(features).to_pandas()
            result = pa.record_batch({"id": batch.column("id"), "prediction": model.predict(X)})
            if writer is None:
                writer = pq.ParquetWriter(out / part.name, result.schema,
                                          **parquet_write_options(result.schema))  # fmt: skip
            writer.write_batch(result)
        if writer is not None:
            writer.close()


def _load(parts: list[Path], features: list[str]) -> Any:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.concat_tables(pq.read_table(p, columns=["id", *features]) for p in parts)
    return table.to_pandas()


def _memory(model: Any, frame: Any, features: list[str]) -> Any:
    import numpy as np

    X = frame[features]
    return np.concatenate([model.predict(X.iloc[i : i + BATCH]) for i in range(0, len(X), BATCH)])


def _dump(frame: Any, predictions: Any, path: Path) -> None:
    import pandas as pd

    pd.DataFrame({"id": frame["id"].to_numpy(), "prediction": predictions}).to_parquet(path)


if __name__ == "__main__":
    raise SystemExit(main())

"""Save and load the Spark ML stages that hold a scikit-learn object.

Layout of a saved stage, the same as Spark's own stages::

    path/metadata/   one JSON line (DefaultParamsWriter.saveMetadata): class, uid, params,
                     and a "scaleout" entry with the scikit-learn, skops, Python and
                     scaleout versions, the object's class and the SHA-256 of its bytes
    path/data/       Parquet, one row: the scikit-learn object as skops bytes

Both parts are written through Spark, so any path Spark can write works (local,
HDFS, S3, ...), on classic Spark and Spark Connect. Loading is safe: skops never
runs pickle, and types outside its trusted set are refused unless named
(:func:`trusted_types`); scikit-learn's own classes are trusted, functions and
third-party types are not.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import platform
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from pyspark.ml.util import (
    DefaultParamsReader,
    DefaultParamsWriter,
    MLReadable,
    MLReader,
    MLWritable,
    MLWriter,
)

from toolkit.exceptions import (
    DestinationExistsError,
    ModelLoadError,
    ToolkitAdviceWarning,
    UnsupportedInputError,
    first_line,
)
from toolkit.models.api import load_skops
from toolkit.session.api import is_connect

__all__ = ["PersistedStage", "SklearnStageReader", "SklearnStageWriter", "trusted_types"]

# Types that are data, not code, and that fitted scikit-learn objects hold.
_TRUSTED: contextvars.ContextVar[bool | frozenset[str]] = contextvars.ContextVar(
    "scaleout_trusted_types", default=frozenset()
)


@contextlib.contextmanager
def trusted_types(types: bool | Iterable[str]) -> Iterator[None]:
    """Inside this block, loading a stage also accepts the named skops types.

    ``True`` trusts every type in the file: only for files you made yourself.

    Examples
    --------
    >>> with trusted_types(["mypkg.features.Winsorizer"]):       # doctest: +SKIP
    ...     model = PipelineModel.load("models/churn")
    """
    token = _TRUSTED.set(True if types is True else frozenset(types or ()))
    try:
        yield
    finally:
        _TRUSTED.reset(token)


class SklearnStageWriter(MLWriter):
    """Write a stage's params as Spark metadata and its scikit-learn object as skops bytes.

    Examples
    --------
    >>> stage.write().overwrite().save("models/churn")  # doctest: +SKIP
    """

    def __init__(self, instance: Any) -> None:
        super().__init__()
        self.instance = instance

    def save(self, path: str) -> None:
        """Save to ``path``; an existing path is refused unless ``overwrite()`` was called."""
        import skops.io as sio

        obj = self.instance._sklearn_object()
        params = _json_params(self.instance)
        try:  # serialise before touching the destination: a failure leaves it as it was
            blob = sio.dumps(obj)
        except Exception as exc:
            raise UnsupportedInputError(
                f"skops cannot serialise the {type(obj).__name__} held by {self.instance.uid}: "
                f"{exc}. Keep to objects skops supports (scikit-learn, numpy, scipy, plain "
                "Python classes)."
            ) from None
        spark = self.sparkSession
        _prepare_destination(spark, path, overwrite=self.shouldOverwrite)
        extra = {"scaleout": _versions(obj, blob)}
        DefaultParamsWriter.saveMetadata(self.instance, path, spark, extra, params)
        frame = spark.createDataFrame([(blob,)], "skops binary")
        frame.coalesce(1).write.parquet(os.path.join(path, "data"))

    def saveImpl(self, path: str) -> None:  # pragma: no cover - save() does the work
        self.save(path)


class SklearnStageReader(MLReader):
    """Read a stage written by :class:`SklearnStageWriter`, loading its object safely.

    Examples
    --------
    >>> SklearnTransformer.read().load("models/churn")  # doctest: +SKIP
    """

    def __init__(self, cls: type) -> None:
        super().__init__()
        self.cls = cls

    def load(self, path: str) -> Any:
        spark = self.sparkSession
        try:
            metadata = DefaultParamsReader.loadMetadata(path, spark)
        except Exception as exc:
            raise ModelLoadError(
                f"No Spark ML stage at {path!r} (its metadata cannot be read: "
                f"{first_line(exc)}). Check the path."
            ) from None
        expected = f"{self.cls.__module__}.{self.cls.__name__}"
        if metadata.get("class") != expected:
            raise ModelLoadError(
                f"{path!r} holds a {metadata.get('class')}, not a {expected}. Load it with "
                "that class, or with PipelineModel.load / DefaultParamsReader.loadParamsInstance."
            )
        instance = self.cls()
        instance._resetUid(metadata["uid"])
        DefaultParamsReader.getAndSetParams(instance, metadata)
        saved = metadata.get("scaleout", {})
        row = spark.read.parquet(os.path.join(path, "data")).select("skops").first()
        if row is None:
            raise ModelLoadError(f"{path}/data holds no model bytes: the save was incomplete.")
        blob = bytes(row[0])
        digest = saved.get("skopsSha256")
        if digest and hashlib.sha256(blob).hexdigest() != digest:
            raise ModelLoadError(
                f"{path}/data does not match the checksum in its metadata: the files were "
                "changed or mixed from two saves. Save the model again."
            )
        _warn_on_version_change(path, saved)
        instance._set_sklearn_object(load_skops_bytes(blob, origin=path))
        return instance


def load_skops_bytes(blob: bytes, *, origin: str) -> Any:
    """Load skops bytes, refusing types outside the trusted set (see :func:`trusted_types`).

    Examples
    --------
    >>> load_skops_bytes(skops.io.dumps(model), origin="memory")  # doctest: +SKIP
    """
    return load_skops(
        blob, trusted=_TRUSTED.get(), origin=origin,
        how_to_trust="load it inside `with adapters.sparkml.trusted_types({refused}):`",
    )  # fmt: skip


def _json_params(instance: Any) -> dict[str, Any]:
    import json

    params = {param.name: value for param, value in instance._paramMap.items()}
    for name, value in params.items():
        try:
            json.dumps(value)
        except TypeError:
            raise UnsupportedInputError(
                f"Param {name}={value!r} of {instance.uid} cannot be saved: Spark ML metadata "
                "holds JSON values only (numbers, strings, booleans, lists, dicts, None). Set "
                "such values on the scikit-learn object itself instead."
            ) from None
    return params


def _prepare_destination(spark: Any, path: str, *, overwrite: bool) -> None:
    """Spark's own check: refuse an existing path, or delete it when overwriting."""
    from pyspark.ml.wrapper import JavaWrapper

    try:
        if is_connect(spark):
            from pyspark.ml.util import ML_CONNECT_HELPER_ID

            JavaWrapper(java_obj=ML_CONNECT_HELPER_ID)._call_java(
                "handleOverwrite", path, overwrite
            )
        else:
            checker = JavaWrapper._new_java_obj("org.apache.spark.ml.util.FileSystemOverwrite")
            checker.handleOverwrite(path, overwrite, spark._jsparkSession)
    except Exception as exc:
        if "already exists" not in str(exc):
            raise
        raise DestinationExistsError(
            f"{path!r} already exists and was left as it is. To replace it, use "
            "write().overwrite().save(path); or save to a new path."
        ) from None


def _versions(obj: Any, blob: bytes) -> dict[str, str]:
    import sklearn
    import skops

    import toolkit

    return {
        "sklearnVersion": sklearn.__version__,
        "skopsVersion": skops.__version__,
        "pythonVersion": platform.python_version(),
        "scaleoutVersion": toolkit.__version__,
        "objectClass": f"{type(obj).__module__}.{type(obj).__qualname__}",
        "skopsSha256": hashlib.sha256(blob).hexdigest(),
    }


def _warn_on_version_change(path: str, saved: dict[str, Any]) -> None:
    import sklearn

    then, now = saved.get("sklearnVersion"), sklearn.__version__
    if then and then != now:
        warnings.warn(
            f"{path} was saved with scikit-learn {then} and is loaded with scikit-learn {now}; "
            "scikit-learn does not promise the same predictions across versions. Install "
            f"scikit-learn=={then} to reproduce them, or refit and save with {now}.",
            ToolkitAdviceWarning,
            stacklevel=4,
        )


class PersistedStage(MLReadable, MLWritable):
    """Save/load for stages holding a scikit-learn object: metadata + skops bytes under ``data``.

    Examples
    --------
    >>> stage.write().overwrite().save(path); type(stage).load(path)  # doctest: +SKIP
    """

    def write(self) -> SklearnStageWriter:
        """A writer: ``write().save(path)``, ``write().overwrite().save(path)``."""
        return SklearnStageWriter(self)

    @classmethod
    def read(cls) -> SklearnStageReader:
        """A reader: ``read().load(path)``."""
        return SklearnStageReader(cls)

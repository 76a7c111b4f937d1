"""scaleout: take pandas and scikit-learn work onto Apache Spark.

Examples
--------
>>> import toolkit as tk
>>> spark = tk.session()                                  # doctest: +SKIP
>>> sdf = tk.to_spark(pandas_frame, index_col="id")       # doctest: +SKIP
"""

from __future__ import annotations

from toolkit.bridge import to_pandas, to_pandas_on_spark, to_spark
from toolkit.exceptions import (
    DestinationExistsError,
    DriverMemoryError,
    ExportError,
    InputFileError,
    InvalidInputError,
    InvalidOptionError,
    MissingDependencyError,
    ModelLoadError,
    SchemaMismatchError,
    ScoringJobError,
    SessionError,
    SourceParseError,
    ToolkitAdviceWarning,
    ToolkitError,
    TrackingError,
    UnsupportedInputError,
    UnsupportedMethodError,
    UnsupportedModelError,
    UnsupportedPandasAPIError,
    UntrustedModelError,
    worker_errors,
)
from toolkit.files.api import ScoreReport, score_files
from toolkit.models.api import fingerprint, load_model, save_model
from toolkit.scoring.api import score
from toolkit.scoring.functions import register_udf, scoring_udf
from toolkit.scoring.streaming import score_stream
from toolkit.serving.api import export_onnx
from toolkit.session.api import is_connect, session
from toolkit.tuning.api import parallel_backend, register_spark
from toolkit.tuning.study import optimize

__version__ = "0.1.0"

__all__ = [
    "DestinationExistsError",
    "DriverMemoryError",
    "ExportError",
    "InputFileError",
    "InvalidInputError",
    "InvalidOptionError",
    "MissingDependencyError",
    "ModelLoadError",
    "SchemaMismatchError",
    "ScoreReport",
    "ScoringJobError",
    "SessionError",
    "SourceParseError",
    "ToolkitAdviceWarning",
    "ToolkitError",
    "TrackingError",
    "UnsupportedInputError",
    "UnsupportedMethodError",
    "UnsupportedModelError",
    "UnsupportedPandasAPIError",
    "UntrustedModelError",
    "__version__",
    "export_onnx",
    "fingerprint",
    "is_connect",
    "load_model",
    "optimize",
    "parallel_backend",
    "register_spark",
    "register_udf",
    "save_model",
    "score",
    "score_files",
    "score_stream",
    "scoring_udf",
    "session",
    "to_pandas",
    "to_pandas_on_spark",
    "to_spark",
    "worker_errors",
]

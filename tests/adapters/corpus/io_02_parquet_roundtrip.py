"""Write Parquet, read back only the needed columns."""

import os
import tempfile

import pandas as pd

path = os.path.join(tempfile.mkdtemp(), "events.parquet")
pd.DataFrame({"user": ["a", "b", "c"], "clicks": [3, 0, 7], "note": ["x", "y", "z"]}).to_parquet(
    path
)
result = pd.read_parquet(path, columns=["user", "clicks"])

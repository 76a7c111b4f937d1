"""Write JSON lines and read them back."""

import os
import tempfile

import pandas as pd

path = os.path.join(tempfile.mkdtemp(), "events.json")
pd.DataFrame({"user": ["a", "b"], "score": [1, 2]}).to_json(path, orient="records", lines=True)
result = pd.read_json(path, lines=True)

"""Write a CSV extract and read it back."""

import os
import tempfile

import pandas as pd

path = os.path.join(tempfile.mkdtemp(), "orders.csv")
pd.DataFrame(
    {"id": [1, 2, 3], "city": ["paris", "lyon", "nice"], "amount": [1.5, 2.0, 3.25]}
).to_csv(path, index=False)
result = pd.read_csv(path)

"""One-hot encode a colour column for a model."""

import pandas as pd

items = pd.DataFrame({"id": [1, 2, 3], "colour": ["red", "blue", "red"]})
result = pd.get_dummies(items, columns=["colour"], dtype=int)

"""Let pandas pick nullable dtypes for a freshly loaded frame."""

import pandas as pd

df = pd.DataFrame({"id": [1, 2, 3], "score": [0.5, None, 1.5], "flag": [True, False, True]})
typed = df.convert_dtypes()
result = typed.fillna(0)

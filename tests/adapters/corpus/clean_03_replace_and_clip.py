"""Map status codes to labels, replace sentinels, clip outliers."""

import numpy as np
import pandas as pd

df = pd.DataFrame(
    {
        "status": ["A", "C", "P", "A", "X", "P"],
        "temperature": [21.5, -999.0, 23.0, 80.0, 19.5, 22.0],
    }
)
df["status"] = df["status"].map({"A": "active", "C": "closed", "P": "pending"})
df["temperature"] = df["temperature"].replace(-999.0, np.nan)
df["temperature"] = df["temperature"].clip(lower=0, upper=40)
result = df

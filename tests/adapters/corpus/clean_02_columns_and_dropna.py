"""Tidy messy column names, drop rows without an amount, rename and fill a column."""

import pandas as pd

df = pd.DataFrame(
    {
        " Order ID": [101, 102, 103, 104, 105],
        "Amount ": [9.5, None, 3.25, 4.0, 12.0],
        "Region": ["north", "south", None, "north", "east"],
    }
)
df.columns = [c.strip().lower().replace(" ", "_") for c in df.columns]
df = df.dropna(subset=["amount"])
df = df.rename(columns={"region": "area"})
df["area"] = df["area"].fillna("unknown")
result = df

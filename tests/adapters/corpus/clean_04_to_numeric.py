"""Parse prices typed in by hand: strip currency symbols, coerce, cast quantities."""

import pandas as pd

df = pd.DataFrame({"price": ["$10.50", "7", "n/a", "$3.25"], "qty": ["1", "2", "3", "4"]})
df["price"] = pd.to_numeric(df["price"].str.replace("$", "", regex=False), errors="coerce")
df["qty"] = df["qty"].astype(int)
df["total"] = df["price"] * df["qty"]
result = df

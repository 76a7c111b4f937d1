"""Build a per-store summary by looping over the groups."""

import pandas as pd

sales = pd.DataFrame({"store": ["a", "b", "a", "c", "b"], "amount": [3.0, 4.0, 5.0, 1.0, 2.0]})
rows = []
for store, part in sales.groupby("store"):
    rows.append({"store": store, "best": part["amount"].max(), "n": len(part)})
result = pd.DataFrame(rows)

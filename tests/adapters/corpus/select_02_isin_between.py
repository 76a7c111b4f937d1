"""Rows in chosen regions with mid-sized amounts, top three by amount."""

import pandas as pd

orders = pd.DataFrame({"amount": [2.0, 8.0, 5.5, 12.0, 6.0], "region": ["n", "s", "n", "e", "s"]})
chosen = orders[orders["region"].isin(["n", "s"]) & orders["amount"].between(3, 10)]
result = chosen.nlargest(3, "amount")

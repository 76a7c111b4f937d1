"""Weekly revenue with pd.Grouper."""

import pandas as pd

sales = pd.DataFrame(
    {
        "ts": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-09", "2024-01-10"]),
        "amount": [1.0, 2.0, 3.0, 4.0],
    }
)
result = sales.groupby(pd.Grouper(key="ts", freq="W"))["amount"].sum()

"""Two-day time-based rolling sum on a timestamp index."""

import pandas as pd

sales = pd.DataFrame(
    {
        "ts": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04", "2024-01-05"]),
        "amount": [1.0, 2.0, 3.0, 4.0],
    }
)
result = sales.set_index("ts")["amount"].rolling("2D").sum()

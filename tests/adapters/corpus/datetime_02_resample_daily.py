"""Daily totals from timestamped sales."""

import pandas as pd

sales = pd.DataFrame(
    {
        "ts": pd.to_datetime(
            ["2024-01-01 09:00", "2024-01-01 17:00", "2024-01-02 12:00", "2024-01-04 08:00"]
        ),
        "amount": [1.0, 2.0, 3.0, 4.0],
    }
)
result = sales.set_index("ts")["amount"].resample("D").sum()

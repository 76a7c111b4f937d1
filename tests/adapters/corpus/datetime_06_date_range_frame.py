"""Build a calendar frame from a date range."""

import pandas as pd

calendar = pd.DataFrame(
    {"day": pd.date_range("2024-01-01", periods=4, freq="D"), "open": [1, 1, 0, 1]}
)
result = calendar[calendar["open"] == 1]

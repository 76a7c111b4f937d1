"""Median basket size per weekday."""

import pandas as pd

baskets = pd.DataFrame(
    {"weekday": ["mon", "mon", "tue", "tue", "tue", "tue"], "items": [1, 2, 3, 4, 5, 6]}
)
result = baskets.groupby("weekday")["items"].median()

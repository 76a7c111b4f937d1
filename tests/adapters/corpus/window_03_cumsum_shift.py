"""Running total and day-over-day change."""

import pandas as pd

daily = pd.DataFrame({"day": [1, 2, 3, 4], "sales": [5.0, 7.0, 6.0, 9.0]})
daily["running"] = daily["sales"].cumsum()
daily["change"] = daily["sales"] - daily["sales"].shift(1)
result = daily

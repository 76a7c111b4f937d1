"""Three-day moving average of daily sales."""

import pandas as pd

daily = pd.DataFrame({"day": [1, 2, 3, 4, 5], "sales": [10.0, 20.0, 30.0, 40.0, 50.0]})
daily["ma3"] = daily["sales"].rolling(3, min_periods=1).mean()
result = daily

"""Range (max - min) over a sliding window with a custom function."""

import pandas as pd

daily = pd.DataFrame({"sales": [5.0, 7.0, 6.0, 9.0, 4.0]})
daily["spread"] = daily["sales"].rolling(3).apply(lambda w: w.max() - w.min())
result = daily

"""Line totals computed row by row."""

import pandas as pd

lines = pd.DataFrame({"qty": [1, 2, 3], "price": [2.5, 1.0, 4.0]})
lines["total"] = lines.apply(lambda row: row["qty"] * row["price"], axis=1)
result = lines

"""Stack monthly extracts into one table."""

import pandas as pd

jan = pd.DataFrame({"day": [1, 2], "sales": [10.0, 12.0]})
feb = pd.DataFrame({"day": [1, 2, 3], "sales": [9.0, 11.0, 8.0]})
jan["month"] = "jan"
feb["month"] = "feb"
result = pd.concat([jan, feb], ignore_index=True)

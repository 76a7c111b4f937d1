"""Each order's share of its region's revenue."""

import pandas as pd

sales = pd.DataFrame({"region": ["n", "s", "n", "s", "e"], "amount": [10.0, 30.0, 30.0, 10.0, 5.0]})
sales["region_total"] = sales.groupby("region")["amount"].transform("sum")
sales["share"] = sales["amount"] / sales["region_total"]
result = sales

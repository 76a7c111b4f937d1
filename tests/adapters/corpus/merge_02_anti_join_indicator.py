"""Find orders whose customer is missing from the master data (anti-join)."""

import pandas as pd

orders = pd.DataFrame({"order_id": [1, 2, 3, 4], "customer_id": [10, 20, 10, 30]})
customers = pd.DataFrame({"customer_id": [10, 20], "segment": ["retail", "b2b"]})
both = orders.merge(customers, on="customer_id", how="left", indicator=True)
result = both[both["_merge"] == "left_only"][["order_id", "customer_id"]]

"""Enrich orders with customer attributes."""

import pandas as pd

orders = pd.DataFrame(
    {"order_id": [1, 2, 3, 4], "customer_id": [10, 20, 10, 30], "amount": [5.0, 7.0, 1.0, 2.0]}
)
customers = pd.DataFrame({"customer_id": [10, 20], "segment": ["retail", "b2b"]})
result = orders.merge(customers, on="customer_id", how="left")

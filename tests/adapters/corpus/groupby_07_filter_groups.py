"""Keep only customers with more than one order."""

import pandas as pd

orders = pd.DataFrame(
    {"customer": ["a", "b", "a", "c", "c", "c"], "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]}
)
result = orders.groupby("customer").filter(lambda g: len(g) > 1)

"""Revenue per region with named aggregations."""

import pandas as pd

sales = pd.DataFrame(
    {
        "region": ["n", "s", "n", "e", "s", "n"],
        "amount": [10.0, 20.0, 5.0, 7.5, 2.5, 1.0],
        "units": [1, 2, 1, 3, 1, 1],
    }
)
result = sales.groupby("region").agg(
    revenue=("amount", "sum"), orders=("amount", "count"), units=("units", "max")
)

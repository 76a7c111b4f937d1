"""Sum by two keys and keep the keys as columns."""

import pandas as pd

sales = pd.DataFrame(
    {
        "region": ["n", "s", "n", "n", "s"],
        "product": ["a", "a", "b", "a", "b"],
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
    }
)
result = sales.groupby(["region", "product"], as_index=False)["amount"].sum()

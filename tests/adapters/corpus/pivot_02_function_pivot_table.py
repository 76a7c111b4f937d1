"""The same table through the top-level function."""

import pandas as pd

sales = pd.DataFrame(
    {
        "region": ["n", "n", "s", "s", "n"],
        "quarter": ["q1", "q2", "q1", "q2", "q1"],
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
    }
)
result = pd.pivot_table(sales, values="amount", index=["region"], columns="quarter", aggfunc="sum")

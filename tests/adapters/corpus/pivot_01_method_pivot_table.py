"""Quarterly revenue per region, as a wide table."""

import pandas as pd

sales = pd.DataFrame(
    {
        "region": ["n", "n", "s", "s", "n"],
        "quarter": ["q1", "q2", "q1", "q2", "q1"],
        "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
    }
)
result = sales.pivot_table(values="amount", index="region", columns="quarter", aggfunc="sum")

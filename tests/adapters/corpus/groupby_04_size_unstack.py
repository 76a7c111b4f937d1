"""Orders per region and channel as a table, zeros where there were none."""

import pandas as pd

orders = pd.DataFrame(
    {
        "region": ["n", "n", "s", "e", "s", "n"],
        "channel": ["web", "shop", "web", "web", "web", "web"],
    }
)
result = orders.groupby(["region", "channel"]).size().unstack(fill_value=0)

"""Filter with query and add a derived column with assign."""

import pandas as pd

orders = pd.DataFrame({"amount": [2.0, 8.0, 5.5, 12.0], "region": ["n", "s", "n", "e"]})
result = orders.query("amount > 5").assign(tax=lambda d: d["amount"] * 0.2)

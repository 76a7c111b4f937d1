"""Pull the numeric part out of an SKU."""

import pandas as pd

items = pd.DataFrame({"sku": ["PRO-1", "basic-22", "PRO-303"]})
items["number"] = items["sku"].str.extract(r"(\d+)", expand=False).astype(int)
result = items

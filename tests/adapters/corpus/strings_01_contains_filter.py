"""Select professional SKUs and flag those on sale."""

import pandas as pd

items = pd.DataFrame(
    {"sku": ["PRO-1", "basic-2", "PRO-3", None], "title": ["Pro Max", "Basic", "Pro Mini", "?"]}
)
pro = items[items["sku"].str.contains("PRO", na=False)]
result = pro.assign(is_max=pro["title"].str.endswith("Max"))

"""Join two frames keyed by product id on their index."""

import pandas as pd

stock = pd.DataFrame({"sku": ["a", "b", "c"], "on_hand": [5, 0, 12]}).set_index("sku")
prices = pd.DataFrame({"sku": ["a", "c", "d"], "price": [1.5, 3.0, 9.9]}).set_index("sku")
result = stock.join(prices, how="inner")

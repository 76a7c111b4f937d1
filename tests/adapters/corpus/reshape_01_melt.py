"""Turn a wide monthly sales sheet into a long table."""

import pandas as pd

wide = pd.DataFrame({"store": ["a", "b"], "jan": [1.0, 2.0], "feb": [3.0, 4.0]})
result = pd.melt(wide, id_vars=["store"], var_name="month", value_name="sales")

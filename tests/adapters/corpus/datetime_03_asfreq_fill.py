"""Put a sparse daily series on a regular calendar and forward-fill it."""

import pandas as pd

prices = pd.DataFrame(
    {"day": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-04"]), "price": [10.0, 11.0, 12.5]}
)
result = prices.set_index("day").asfreq("D").ffill()

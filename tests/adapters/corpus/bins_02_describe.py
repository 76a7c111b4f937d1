"""Summary statistics of order values."""

import pandas as pd

orders = pd.DataFrame({"amount": [1.0, 2.0, 3.0, 4.0, 10.0, 12.0]})
result = orders["amount"].describe()

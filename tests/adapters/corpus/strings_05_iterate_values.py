"""Build a lookup of upper-cased city names with a Python loop."""

import pandas as pd

cities = pd.DataFrame({"city": ["paris", "lyon", "nice"]})
upper = [name.upper() for name in cities["city"]]
result = pd.Series(upper, name="city")

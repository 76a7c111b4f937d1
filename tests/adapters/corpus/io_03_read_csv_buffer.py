"""Parse a CSV payload received from an API."""

import io

import pandas as pd

payload = "sku,qty\na,1\nb,2\n"
result = pd.read_csv(io.StringIO(payload))

"""How often each (country, device) pair occurs."""

import pandas as pd

visits = pd.DataFrame({"country": ["fr", "de", "fr", "fr"], "device": ["ios", "web", "ios", "web"]})
result = visits.value_counts(["country", "device"])

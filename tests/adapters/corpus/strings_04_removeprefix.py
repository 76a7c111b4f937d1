"""Strip a vendor prefix from product codes."""

import pandas as pd

codes = pd.DataFrame({"code": ["acme_1", "acme_2", "other_3"]})
codes["short"] = codes["code"].str.removeprefix("acme_")
result = codes

"""Keep the latest record per email address."""

import pandas as pd

df = pd.DataFrame(
    {
        "email": ["a@x.com", "b@x.com", "a@x.com", "c@x.com", "b@x.com"],
        "updated": [1, 2, 3, 4, 5],
        "plan": ["free", "pro", "pro", "free", "team"],
    }
)
latest = df.sort_values("updated").drop_duplicates(subset=["email"], keep="last")
result = latest.set_index("email")

"""Clean a customer export: trim and title-case names, lower-case emails, fill gaps."""

import pandas as pd

raw = pd.DataFrame(
    {
        "customer_id": [1, 2, 2, 3, 4, 5],
        "name": ["  alice ", "BOB", "BOB", "carol", None, "eve  "],
        "email": ["A@X.COM", "bob@x.com", "bob@x.com", None, "d@x.com", "E@x.com"],
        "spend": [10.5, None, None, 3.0, 7.25, 0.0],
    }
)
clean = raw.drop_duplicates()
clean["name"] = clean["name"].str.strip().str.title()
clean["email"] = clean["email"].str.lower().fillna("unknown")
clean["spend"] = clean["spend"].fillna(0.0)
result = clean

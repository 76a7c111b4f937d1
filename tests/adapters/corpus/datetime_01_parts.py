"""Derive calendar features from timestamps stored as text."""

import pandas as pd

events = pd.DataFrame({"ts": ["2024-01-05 10:00", "2024-02-29 23:59", "2024-03-01 00:00"]})
events["ts"] = pd.to_datetime(events["ts"])
events["year"] = events["ts"].dt.year
events["month"] = events["ts"].dt.month
events["weekday"] = events["ts"].dt.dayofweek
events["day"] = events["ts"].dt.strftime("%Y-%m-%d")
result = events

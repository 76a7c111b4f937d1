"""Mark naive timestamps as UTC and convert them to local time."""

import pandas as pd

log = pd.DataFrame({"ts": pd.to_datetime(["2024-06-01 12:00", "2024-12-01 12:00"])})
log["local"] = log["ts"].dt.tz_localize("UTC").dt.tz_convert("Europe/Paris")
result = log

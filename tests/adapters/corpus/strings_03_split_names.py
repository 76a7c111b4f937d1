"""Split full names into first and last."""

import pandas as pd

people = pd.DataFrame({"full_name": ["Ada Lovelace", "Alan Turing", "Grace Hopper"]})
parts = people["full_name"].str.split(" ", expand=True)
people["first"] = parts[0]
people["last"] = parts[1]
result = people

"""Bucket ages into bands."""

import pandas as pd

people = pd.DataFrame({"age": [5, 17, 30, 64, 80]})
people["band"] = pd.cut(people["age"], bins=[0, 17, 64, 120], labels=["child", "adult", "senior"])
result = people

"""Count survey answers by group."""

import pandas as pd

survey = pd.DataFrame(
    {"group": ["a", "a", "b", "b", "b"], "answer": ["yes", "no", "yes", "yes", "no"]}
)
result = pd.crosstab(survey["group"], survey["answer"])

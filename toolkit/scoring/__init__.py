"""The DataFrame path: score any fitted model on Spark, pandas-on-Spark or pandas frames.

``options`` checks the options once; ``checks`` checks columns and types against the
model; ``schema`` derives the output schema from the model's metadata; ``worker`` is
what runs in Spark's Python workers; ``api`` holds ``score``, ``scoring_udf``,
``register_udf`` and ``make_request``; ``streaming`` scores a stream that follows a
registry alias.
"""

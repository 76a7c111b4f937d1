"""Model selection on Spark: scikit-learn's ``n_jobs`` as Spark tasks (a joblib backend).

``api`` holds the entry points (:func:`~toolkit.tuning.api.parallel_backend`,
:func:`~toolkit.tuning.api.register_spark`); ``backend`` the joblib backend that runs each
batch as a one-task Spark job; ``shipping`` pickles batches so that large arrays and
frames travel once per search; ``worker`` runs a batch inside the Spark task, with a
per-process cache of the shipped data.
"""

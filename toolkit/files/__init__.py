"""``score_files``: files in, files out, with pyarrow inside Spark tasks.

``plan`` lists the input and cuts it into fragments; ``task`` is what one Spark task
runs; ``api`` holds ``score_files`` and its two engines' dispatch; ``dataframe_engine``
is the Spark DataFrame engine; ``jobs`` runs, cancels and waits for Spark jobs;
``commit`` and ``stale`` are the commit protocol; ``partitions``, ``progress`` and
``report`` are what their names say.
"""

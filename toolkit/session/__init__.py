"""Getting a SparkSession: target resolution, fail-fast checks, conf checks, start-up.

``api`` holds the entry points (:func:`~toolkit.session.api.session`,
``active_session``, ``is_connect``, ``check_java``); ``checks`` parses and probes
master/remote URLs, ``conf`` checks Spark settings, ``start`` starts classic, local
Connect and remote Connect sessions, ``quiet`` keeps a local driver JVM's output off the
terminal (``session(quiet=True)``, the command line without ``--verbose``).
"""

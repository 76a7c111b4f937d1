"""The native engine: scikit-learn models compiled into Spark expressions (no Python worker).

Linear models, k-means and their preprocessing pipelines become Spark ``Column``
arithmetic that the JVM runs with whole-stage code generation, past the JVM -> Arrow ->
Python hand-over every Python path pays. ``score(..., engine="auto")`` uses it when every
step compiles (:func:`toolkit.native.plan.compile_request`), the Python path otherwise.
"""

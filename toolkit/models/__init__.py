"""Loading, saving and fingerprinting fitted models, safe by default for every source.

``api`` holds ``load_model``, ``save_model`` and ``fingerprint`` (defined in
``fingerprint``: a hash of the model's content, stable across loads); ``skops_io`` reads
skops data within limits and refuses unknown types; ``mlflow_source`` turns an MLflow
model URI or directory into a local directory and its flavor without unpickling.
"""

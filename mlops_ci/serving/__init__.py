"""The embedded model server: one skops model over the Open Inference Protocol's REST paths.

``columns`` (the inputs' schema), ``decode`` (requests into typed arrays, every refusal a 4xx),
``predictor`` (the loaded model), ``app`` (routes as a pure function), ``server`` (HTTP and
worker processes), ``__main__`` (``python -m mlops_ci.serving``). See ``app`` for the paths.
"""

"""The embedded model server: one skops model over the Open Inference Protocol's REST paths.

``columns`` (the inputs' schema), ``decode`` (requests into typed arrays, every refusal a 4xx),
``binary`` (the OIP binary tensor extension, as tritonclient sends it), ``predictor`` (the
loaded model and its two prediction paths), ``fused`` (a ``ColumnTransformer`` pipeline
compiled into numpy steps, used only once proven bit-for-bit equal to scikit-learn),
``logistic`` (a ``LogisticRegression``'s outputs with numpy alone), ``compiled`` and
``precompile`` (the fused model written beside the model file, so the server starts without
scikit-learn: see docs/serving.md), ``app
(routes as a pure function), ``server`` (HTTP and worker processes), ``prediction_log`` (the
log the server writes, which monitoring reads), ``__main__`` (``python -m mlops_ci.serving``).
The readiness and smoke checks a deploy runs against a server are ``deploy.probe``.
See ``app`` for the paths and ``server`` for the HTTP limits (``MAX_BODY_BYTES``).
"""

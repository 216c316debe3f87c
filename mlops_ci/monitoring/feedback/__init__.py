"""Production feedback: live quality from labelled production rows, and estimates before labels.

``predlog`` reads back the server's prediction log; ``sources`` reads the feedback data a
model's ``monitor.feedback`` names; ``join`` joins late labels to served predictions by id;
``calibration`` fits (at registration) and applies the calibrator the estimate relies on;
``cbpe`` estimates accuracy and ROC AUC from calibrated confidence; ``live`` compares live
metrics with those recorded at registration; ``check`` puts them together for ``monitor``;
``registration`` calibrates a candidate at registration; ``stream_cbpe``, ``stream_log``
and ``stream_data`` measure Parquet sources in batches, their labelled rows counted per window
(``live_windows``: ``live_counts`` for a classifier, ``live_errors`` for a regressor) instead
of held. ``report.feedback`` renders the result, every estimate marked as one.
"""

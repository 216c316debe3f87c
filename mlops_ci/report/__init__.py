"""Every rendering of a result for a reader: markdown for GitHub, plain text for a terminal.

Domains and stages return typed results; this package words them, the markdown and the
terminal text of a result side by side in one module, so a wording lives once:

- the run's report: ``model`` (what it holds), ``markdown`` (``render_report``), ``sections``
  (one section per ``StageDetail`` type), ``stored`` (the report kept for a later job);
- data checks: ``drift``, ``validation``, with ``data_figures`` (their shared wording) and
  ``chart``;
- production feedback: ``feedback``, with ``feedback_figures``;
- monitoring: ``monitoring_issue`` (the issue and its comments), ``monitor_summary`` (what
  ``mlops-ci monitor`` prints and writes to the job summary);
- releases: ``release`` (the model card);
- ``renderings``: ``ReportRenderings``, the ``stages.base.Renderings`` stages write through;
- building blocks: ``escape`` (inert markdown), ``terminal`` (inert terminal text),
  ``tables``.
"""

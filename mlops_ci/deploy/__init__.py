"""Deploy targets: where a model version goes when a stage is promoted.

``protocol`` (the ``DeployTarget`` protocol, ``DeployRequest``, ``Deployed``, ``DeployFailed``),
``targets`` (backend name -> implementation), one module per target (``docker``, ``command``,
``kubernetes``), and ``probe`` (the readiness and smoke checks a deploy runs against a server).
"""

"""``python -m mlops_ci`` runs the CLI."""

from __future__ import annotations

from mlops_ci.cli import main

raise SystemExit(main())

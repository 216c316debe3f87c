"""``ReportRenderings``: the ``stages.base.Renderings`` the commands hand to every stage.

Stages and ``monitoring.act`` write rendered text through the forge (the release notes, the
monitoring issue's title, body and comments) but may not import ``report``; they get this
object in ``StageContext.render`` instead. Each method only delegates to the module that
holds the wording (``report.card``, ``report.release``, ``report.monitoring_issue``), so a
wording lives once, beside the report's own. Stateless: one instance serves every stage of a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from mlops_ci.config.model import ModelSpec, MonitorSpec
from mlops_ci.monitoring.check import MonitorCheck
from mlops_ci.monitoring.feedback.registration import Calibration
from mlops_ci.monitoring.history import HistoryEntry
from mlops_ci.monitoring.run import MonitorRunInfo
from mlops_ci.report import card, monitoring_issue, release
from mlops_ci.stages.card_facts import CardFacts


class ReportRenderings:
    """The markdown of what stages write (see the module docstring)."""

    def model_card(
        self,
        model: ModelSpec,
        version: str,
        metrics: Mapping[str, object],
        calibration: Calibration,
        facts: CardFacts,
    ) -> str:
        return card.model_card(model, version, metrics, calibration, facts)

    def calibration_note(self, calibration: Calibration) -> str:
        return release.calibration_note(calibration)

    def issue_title(self, check: MonitorCheck) -> str:
        return monitoring_issue.issue_title(check)

    def issue_body(
        self,
        check: MonitorCheck,
        entries: Sequence[HistoryEntry],
        run: MonitorRunInfo,
        spec: MonitorSpec,
        *,
        notes: Sequence[str] = (),
        max_rows: int | None = None,
    ) -> str:
        return monitoring_issue.issue_body(
            check, entries, run, notes=notes, actions_line=monitoring_issue.actions_line(spec),
            max_rows=max_rows,
        )

    def cleared_comment(self, check: MonitorCheck, run: MonitorRunInfo) -> str:
        return monitoring_issue.cleared_comment(check, run)

    def dispatch_comment(self, check: MonitorCheck, run: MonitorRunInfo, spec: MonitorSpec) -> str:
        return monitoring_issue.dispatch_comment(check, run, monitoring_issue.dispatch_how(spec))

    def dispatch_failed_comment(
        self, check: MonitorCheck, run: MonitorRunInfo, spec: MonitorSpec
    ) -> str:
        how = monitoring_issue.dispatch_how(spec)
        return monitoring_issue.dispatch_failed_comment(check, run, how)

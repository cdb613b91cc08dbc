"""The lifecycles of hazards, major-hazard cases and public reports, each as one transition table.

A transition names the states it may start from, the state it leads to, the roles allowed to take it
and what it needs. ``firegov.hazards.services.transition`` is the only code that changes a status: it
looks the action up here, checks the role and the jurisdiction, and writes the audit record and the
timeline entry in the same transaction. Anything not in a table is refused with a reason.

Deadlines (working days, 消防监督检查规定): the rectification notice (责令限期改正通知书) is served within
3 working days of the inspection (Art. 20); re-inspection (复查) within 3 working days after the
deadline or the unit's application (Art. 20); a major hazard is decided within 7 working days and its
notice served within 3 working days of the decision (Art. 21; the article number is unverified).
"""

from __future__ import annotations

from firegov.core.lifecycle import (  # noqa: F401 - re-exported for the apps' tables
    ADMIN,
    DEPARTMENT,
    FINDERS,
    FIRE_LEADERS,
    FIRE_OFFICERS,
    GRID,
    UNIT,
    Transition,
    actions_from,
    allowed,
)
from firegov.core.lifecycle import transition as _t

NOTICE_WORKDAYS = 3          # serve the 责令限期改正通知书 within 3 working days of the inspection
REINSPECT_WORKDAYS = 3       # re-inspect within 3 working days after the deadline or the application
MAJOR_DECISION_WORKDAYS = 7  # decide a proposed major hazard within 7 working days
MAJOR_NOTICE_WORKDAYS = 3    # serve the 重大火灾隐患整改通知书 within 3 working days of the decision
MIN_DISCUSSION_PARTICIPANTS = 3  # GB 35181-2017 4.2 b)
MIN_EXPERTS = 7                  # GB 35181-2017 4.3
EXPERT_APPROVAL = (2, 3)         # GB 35181-2017 4.2 c): at least two thirds agree


# --------------------------------------------------------------------------- hazards
HAZARD_TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    _t("confirm", "reported", "confirmed", FIRE_OFFICERS | {DEPARTMENT}, (), "Confirm", "确认"),
    _t("invalidate", "reported confirmed", "invalid", FIRE_OFFICERS | {DEPARTMENT}, ("note",),
       "Mark invalid", "认定无效"),
    _t("correct", "reported confirmed", "corrected", FINDERS, (), "Corrected on the spot", "当场改正"),
    _t("order", "reported confirmed", "ordered", FIRE_OFFICERS, ("due",),
       "Serve rectification notice", "下达责令限期改正通知书"),
    _t("start", "ordered", "rectifying", FIRE_OFFICERS | {UNIT}, (), "Start rectifying", "开始整改"),
    _t("interim", "ordered rectifying", "rectifying", FIRE_OFFICERS | {UNIT}, ("note",),
       "Record interim measures", "落实临时防范措施"),
    _t("submit", "ordered rectifying", "submitted", {UNIT} | FIRE_OFFICERS, ("evidence",),
       "Submit rectification", "提交整改情况"),
    _t("extend", "ordered rectifying", "rectifying", FIRE_LEADERS, ("due", "note"),
       "Grant an extension", "批准延期"),
    _t("reinspect", "ordered rectifying submitted", None, FIRE_OFFICERS, ("passed",),
       "Re-inspect", "复查"),
]}

HAZARD_TERMINAL = frozenset({"closed", "corrected", "invalid"})

# "Corrected on the spot" and "invalid" end a hazard with no notice and no re-inspection. Outside the
# fire service (industry departments, grid workers, unit managers) they may end only what was found
# outside it: a hazard found by a fire officer, by fire monitoring or from a public report (no
# finder, or a fire officer as finder) is ended by a fire officer, or goes through the notice and
# the re-inspection.
ENDS_UNCHECKED = frozenset({"correct", "invalidate"})


def may_end_unchecked(role: str, finder_role: str | None) -> bool:
    """Whether ``role`` may take an ENDS_UNCHECKED action on a hazard whose finder has
    ``finder_role`` (None: no finder, e.g. fire monitoring)."""
    return role in FIRE_OFFICERS or (finder_role is not None and finder_role not in FIRE_OFFICERS)

# --------------------------------------------------------------------------- major hazard cases
CASE_TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    _t("discuss", "proposed expert_reviewed", "discussed", FIRE_LEADERS, ("participants", "conclusion"),
       "Record collective discussion", "集体讨论"),
    _t("expert_review", "proposed discussed", "expert_reviewed", FIRE_LEADERS, ("experts", "experts_agreeing"),
       "Record expert review", "专家论证"),
    _t("determine", "discussed expert_reviewed", "determined", FIRE_LEADERS, (),
       "Determine as major hazard", "判定为重大火灾隐患"),
    _t("serve", "determined listed rectified", None, FIRE_OFFICERS, ("received_by",),
       "Serve the major hazard notice", "送达重大火灾隐患整改通知书"),
    _t("reject", "proposed discussed expert_reviewed", "rejected", FIRE_LEADERS, ("note",),
       "Not a major hazard", "不构成重大火灾隐患"),
    _t("list", "determined", "listed", FIRE_LEADERS,
       ("listing_level", "listing_authority", "plan", "rectify_due", "officials", "funds"),
       "List for government supervision", "挂牌督办"),
    _t("progress", "listed", "listed", FIRE_OFFICERS | {UNIT, DEPARTMENT}, ("note",),
       "Report progress", "报告整改进展"),
    _t("rectified", "listed", "rectified", FIRE_OFFICERS | {UNIT}, ("note",), "Report rectified", "整改完成"),
    _t("accept", "rectified", "accepted", FIRE_LEADERS, (), "Accept", "验收通过"),
    _t("reopen", "rectified", "listed", FIRE_LEADERS, ("note",), "Not accepted", "验收未通过"),
    _t("delist", "accepted", "delisted", FIRE_LEADERS, (), "De-list", "销案摘牌"),
]}

# --------------------------------------------------------------------------- public reports
REPORT_TRANSITIONS: dict[str, Transition] = {t.action: t for t in [
    _t("assign", "received assigned", "assigned", FIRE_OFFICERS, ("agency",), "Assign for checking", "指派核查"),
    _t("inspect", "assigned", "assigned", FIRE_OFFICERS, ("unit", "inspectors"),
       "Open complaint inspection", "开展举报核查检查"),
    _t("duplicate", "received assigned", "duplicate", FIRE_OFFICERS, ("duplicate_of",),
       "Mark duplicate", "重复举报"),
    _t("confirm", "assigned", "valid", FIRE_OFFICERS, ("result",), "Confirmed", "核查属实"),
    _t("reject", "assigned", "invalid", FIRE_OFFICERS, ("result",), "Not confirmed", "核查不属实"),
]}

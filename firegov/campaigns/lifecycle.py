"""The lifecycle of a progress report (推进情况报告), as one transition table.

draft → submitted → accepted, or returned with a comment and submitted again. The reporting agency's
users save and submit; the issuing agency of the campaign (or an administrator) accepts or returns.
``firegov.campaigns.services.report_step`` is the only code that changes a report's status.
"""

from __future__ import annotations

from firegov.core.lifecycle import DEPARTMENT, FIRE_LEADERS, FIRE_OFFICERS, GRID, Transition, table
from firegov.core.lifecycle import transition as _t

REPORTERS = FIRE_OFFICERS | {DEPARTMENT, GRID}

REPORT_TRANSITIONS: dict[str, Transition] = table(
    _t("submit", "draft returned", "submitted", REPORTERS, (), "Submit", "提交"),
    _t("accept", "submitted", "accepted", FIRE_LEADERS, (), "Accept", "审核通过"),
    _t("return", "submitted", "returned", FIRE_LEADERS, ("note",), "Return with comments", "退回修改"),
)
EDITABLE = frozenset({"draft", "returned"})

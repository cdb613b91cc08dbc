"""Progress of a campaign's task tree and lagging detection (滞后预警), in plain Python.

A task's progress (0-100) is:

1. 100 when it is marked done;
2. otherwise, when it has sub-tasks that are not cancelled, their mean weighted by ``weight``;
3. otherwise, when lower levels copied it into their own lists, the weighted mean of the copies
   (the city's task is as far along as its counties' copies, taken together);
4. otherwise the percent its lead agency last reported and had accepted (0 when none).

A task is judged against its schedule on a given day. Expected progress runs linearly from 0 on its
start to 100 on its due day. The colour is

* red when the due day has passed unfinished (``overdue``), a milestone is past due and not done
  (``milestone_overdue``), a target value was not reached by its date (``target_missed``), or
  progress trails the schedule by more than ``RED_GAP`` points (``far_behind``);
* yellow when progress trails the schedule at all (``behind``), or the last report is missing
  (``report_missing``, decided by the caller);
* green otherwise; done and cancelled tasks are green and grey.

No Django import: the campaign services feed it rows and format its reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

RED_GAP = 20.0  # percentage points behind the schedule that make a task red


@dataclass(frozen=True)
class Node:
    id: Any
    parent: Any = None
    weight: float = 1.0
    done: bool = False
    cancelled: bool = False
    reported: float | None = None
    copies: tuple = ()
    starts: date | None = None
    due: date | None = None
    milestones: tuple[tuple[date, date | None], ...] = ()  # (due, done on)


@dataclass(frozen=True)
class Judgement:
    colour: str  # red | yellow | green | grey
    progress: float
    expected: float | None
    reasons: tuple[tuple[str, dict], ...] = field(default=())


def progress(nodes: Mapping[Any, Node]) -> dict[Any, float]:
    """The progress of every node (see the module docstring). Copies named but absent from
    ``nodes`` are ignored; a cycle raises ValueError."""
    children: dict[Any, list[Node]] = {}
    for node in nodes.values():
        if node.parent is not None:
            children.setdefault(node.parent, []).append(node)
    out: dict[Any, float] = {}
    visiting: set = set()

    def weighted(members: list[Node]) -> float | None:
        live = [m for m in members if not m.cancelled]
        total = sum(m.weight for m in live)
        if not live or total <= 0:
            return None
        return sum(value(m.id) * m.weight for m in live) / total

    def value(key) -> float:
        if key in out:
            return out[key]
        if key in visiting:
            raise ValueError(f"task {key!r} is its own ancestor or copy")
        visiting.add(key)
        node = nodes[key]
        result = None
        if node.done:
            result = 100.0
        if result is None:
            result = weighted(children.get(key, []))
        if result is None:
            result = weighted([nodes[c] for c in node.copies if c in nodes])
        if result is None:
            result = float(node.reported or 0)
        result = min(100.0, max(0.0, result))
        visiting.discard(key)
        out[key] = result
        return result

    for key in nodes:
        value(key)
    return out


def expected(starts: date | None, due: date | None, on: date) -> float | None:
    """Where the schedule says a task should be on ``on`` (None without a due day)."""
    if due is None:
        return None
    if on >= due:
        return 100.0
    if starts is None or starts >= due:
        return 0.0
    if on <= starts:
        return 0.0
    return 100.0 * (on - starts).days / (due - starts).days


def judge(node: Node, achieved: float, on: date, *, report_missing: bool = False,
          targets_missed: tuple[dict, ...] = ()) -> Judgement:
    """The colour of ``node`` on ``on`` with its reasons (codes and facts for the message).
    ``targets_missed`` lists the target values whose date has passed unmet (``target_missed``: red)."""
    if node.cancelled:
        return Judgement("grey", achieved, None)
    if node.done or achieved >= 100.0:
        return Judgement("green", achieved, 100.0 if node.due else None)
    should = expected(node.starts, node.due, on)
    red: list[tuple[str, dict]] = []
    yellow: list[tuple[str, dict]] = []
    if node.due is not None and on > node.due:
        red.append(("overdue", {"due": node.due, "days": (on - node.due).days}))
    late = [due for due, done_on in node.milestones if due < on and (done_on is None or done_on > on)]
    if late:
        red.append(("milestone_overdue", {"due": min(late), "count": len(late)}))
    red.extend(("target_missed", facts) for facts in targets_missed)
    if should is not None and achieved < should and not red:
        gap = should - achieved
        (red if gap > RED_GAP else yellow).append(
            ("far_behind" if gap > RED_GAP else "behind", {"expected": round(should, 1), "achieved": round(achieved, 1)}))
    if report_missing:
        yellow.append(("report_missing", {}))
    colour = "red" if red else "yellow" if yellow else "green"
    return Judgement(colour, achieved, should, tuple(red + yellow))

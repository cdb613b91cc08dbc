from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from firegov.kernels.rollup import RED_GAP, Node, expected, judge, progress


def test_children_roll_up_by_weight_and_cancelled_ones_do_not_count():
    nodes = {
        1: Node(1),
        2: Node(2, parent=1, weight=3, reported=100),
        3: Node(3, parent=1, weight=1, reported=20),
        4: Node(4, parent=1, weight=5, reported=0, cancelled=True),
    }
    assert progress(nodes) == {1: 80.0, 2: 100.0, 3: 20.0, 4: 0.0}


def test_a_task_copied_to_lower_levels_is_as_far_as_its_copies():
    nodes = {
        "city": Node("city", copies=("xc", "tz", "elsewhere")),  # a copy outside the data is ignored
        "xc": Node("xc", reported=50),
        "tz": Node("tz", done=True),
        "tz.1": Node("tz.1", parent="tz", reported=10),  # done wins over its own sub-task
    }
    assert progress(nodes)["city"] == 75.0


def test_done_is_100_and_nothing_reported_is_0():
    assert progress({1: Node(1, done=True, reported=30), 2: Node(2)}) == {1: 100.0, 2: 0.0}


def test_expected_progress_runs_linearly():
    start, due = date(2026, 1, 1), date(2026, 1, 11)
    assert expected(start, due, date(2025, 12, 1)) == 0.0
    assert expected(start, due, date(2026, 1, 6)) == 50.0
    assert expected(start, due, date(2026, 2, 1)) == 100.0
    assert expected(start, None, date(2026, 2, 1)) is None


def test_colours_and_reasons():
    node = Node(1, starts=date(2026, 1, 1), due=date(2026, 1, 11))
    assert judge(node, 50, date(2026, 1, 6)).colour == "green"
    behind = judge(node, 40, date(2026, 1, 6))
    assert behind.colour == "yellow" and behind.reasons[0][0] == "behind"
    far = judge(node, 50 - RED_GAP - 1, date(2026, 1, 6))
    assert far.colour == "red" and far.reasons[0][0] == "far_behind"
    late = judge(node, 90, date(2026, 1, 14))
    assert late.colour == "red" and late.reasons == (("overdue", {"due": date(2026, 1, 11), "days": 3}),)
    assert judge(node, 100, date(2026, 3, 1)).colour == "green"
    assert judge(Node(2, cancelled=True), 0, date(2026, 1, 6)).colour == "grey"
    missing = judge(node, 60, date(2026, 1, 6), report_missing=True)
    assert missing.colour == "yellow" and missing.reasons == (("report_missing", {}),)


def test_a_milestone_past_due_is_red_until_done_by_that_day():
    node = Node(1, starts=date(2026, 1, 1), due=date(2026, 12, 31),
                milestones=((date(2026, 3, 31), date(2026, 4, 10)),))
    assert judge(node, 90, date(2026, 4, 5)).reasons[0][0] == "milestone_overdue"  # done only later
    assert judge(node, 90, date(2026, 4, 11)).colour == "green"


TREE = st.lists(st.tuples(st.floats(0.01, 10), st.one_of(st.none(), st.floats(0, 100)), st.booleans(), st.booleans()),
                min_size=1, max_size=25)


@given(TREE, st.randoms(use_true_random=False))
def test_progress_stays_within_0_and_100_and_between_its_childrens(rows, rnd):
    nodes = {}
    for i, (weight, reported, done, cancelled) in enumerate(rows):
        parent = rnd.randrange(i) if i and rnd.random() < 0.8 else None
        nodes[i] = Node(i, parent=parent, weight=weight, reported=reported, done=done, cancelled=cancelled)
    values = progress(nodes)
    assert all(0.0 <= v <= 100.0 for v in values.values())
    for key, node in nodes.items():
        live = [values[c.id] for c in nodes.values() if c.parent == key and not c.cancelled]
        if live and not node.done:
            assert min(live) - 1e-9 <= values[key] <= max(live) + 1e-9


def test_a_missed_target_is_red_even_on_schedule():
    node = Node(1, starts=date(2026, 1, 1), due=date(2026, 12, 31))
    missed = ({"label": "整改率", "by": date(2026, 6, 30), "goal": 90, "achieved": 60},)
    judged = judge(node, 60, date(2026, 7, 1), targets_missed=missed)
    assert judged.colour == "red" and judged.reasons[0] == ("target_missed", missed[0])

"""The scheduler's answers: coverage, optimality against brute force, shortfall reports, breaks
inside their windows, per-template counts and limits."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccrouter.schedule import (
    BreakRule,
    Limits,
    Requirements,
    ScheduleInputError,
    ShiftTemplate,
    coverage_of,
    solve,
)

H = 3600.0


def _tpl(name: str, first: int, last: int, length: int, **kw: object) -> ShiftTemplate:
    return ShiftTemplate(
        name=name,
        earliest_start=first * H,
        latest_start=last * H,
        length=length * H,
        **kw,  # type: ignore[arg-type]
    )


@st.composite
def instances(draw: st.DrawFn) -> tuple[Requirements, list[ShiftTemplate], Limits]:
    """A small day (hours), 1-3 templates; the first can reach every interval, so covering
    everything is possible unless a max_count says otherwise."""
    n = draw(st.integers(3, 8))
    req = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    templates = [_tpl("any", 0, n - 1, draw(st.integers(1, 3)), cost_per_shift=draw(
        st.integers(1, 9)))]  # fmt: skip
    for k in range(draw(st.integers(0, 2))):
        length = draw(st.integers(2, 4))
        first = draw(st.integers(0, n - 1))
        last = draw(st.integers(first, n - 1))
        breaks: tuple[BreakRule, ...] = ()
        if length >= 3 and draw(st.booleans()):
            breaks = (BreakRule(name="b", earliest=H, latest=(length - 2) * H, length=H),)
        templates.append(_tpl(f"t{k}", first, last, length, breaks=breaks,
                              cost_per_hour=draw(st.integers(1, 5)),
                              kind=draw(st.sampled_from(["full_time", "part_time"])),
                              max_count=draw(st.none() | st.integers(0, 4))))  # fmt: skip
    return Requirements.from_values(req, interval=H), templates, Limits()


@settings(max_examples=25, deadline=None)
@given(instances())
def test_coverage_meets_every_requirement_when_feasible(
    case: tuple[Requirements, list[ShiftTemplate], Limits],
) -> None:
    req, templates, limits = case
    s = solve(req, templates, limits, time_limit=10)
    assert s.status == "OPTIMAL"
    assert s.uncoverable == ()
    assert all(c >= r for c, r in zip(s.coverage, req.values, strict=True))
    assert list(s.coverage) == coverage_of(s.shifts, req.interval, len(req.values))
    counts = s.counts()
    for t in templates:
        assert counts[t.name] >= t.min_count
        assert t.max_count is None or counts[t.name] <= t.max_count
    _breaks_inside_windows(s.shifts, templates)


def _breaks_inside_windows(shifts: object, templates: list[ShiftTemplate]) -> None:
    by_name = {t.name: t for t in templates}
    for shift in shifts:  # type: ignore[attr-defined]
        tpl = by_name[shift.template]
        assert shift.end - shift.start == tpl.length
        assert len(shift.breaks) == len(tpl.breaks)
        previous_end = shift.start
        for placed, rule in zip(shift.breaks, tpl.breaks, strict=True):
            offset = placed.start - shift.start
            assert rule.earliest <= offset <= rule.latest, (shift, rule)
            assert placed.start >= previous_end  # in order, no overlap
            assert placed.start + placed.length <= shift.end
            previous_end = placed.start + placed.length


def _brute_force(req: list[int], templates: list[ShiftTemplate], limits: Limits) -> float:
    """The least cost over every combination of shift kinds (template, start, break offsets),
    each used 0..max(req) times: plain enumeration, no solver."""
    n = len(req)
    kinds = []
    for t in templates:
        for s in t.starts(H):
            a = round(s / H)
            if a >= n:
                continue
            offsets = [range(round(b.earliest / H), round(b.latest / H) + 1) for b in t.breaks]
            for combo in itertools.product(*offsets):
                ends = [o + round(b.length / H) for o, b in zip(combo, t.breaks, strict=True)]
                if any(combo[k] < ends[k - 1] for k in range(1, len(combo))):
                    continue
                cover = [0] * n
                for i in range(a, min(a + round(t.length / H), n)):
                    cover[i] = 1
                for o, b in zip(combo, t.breaks, strict=True):
                    for i in range(a + o, min(a + o + round(b.length / H), n)):
                        cover[i] = 0
                kinds.append((t, cover))
    costs = [t.cost for t in templates]
    counts_shifts = all(c == 0 for c in costs)
    best = math.inf
    top = max(*req, *(t.min_count for t in templates))
    for counts in itertools.product(range(top + 1), repeat=len(kinds)):
        cover = [sum(c * k[1][i] for c, k in zip(counts, kinds, strict=True)) for i in range(n)]
        if any(c < r for c, r in zip(cover, req, strict=True)):
            continue
        per = {t.name: 0 for t in templates}
        for c, (t, _) in zip(counts, kinds, strict=True):
            per[t.name] += c
        if any(per[t.name] < t.min_count or (t.max_count is not None and per[t.name] > t.max_count)
               for t in templates):  # fmt: skip
            continue
        part = sum(c for c, (t, _) in zip(counts, kinds, strict=True) if t.kind == "part_time")
        if limits.max_part_time is not None and part > limits.max_part_time:
            continue
        if limits.max_part_time_share is not None and part > limits.max_part_time_share * sum(
            counts
        ):
            continue
        cost = sum(c * (1.0 if counts_shifts else t.cost)
                   for c, (t, _) in zip(counts, kinds, strict=True))  # fmt: skip
        best = min(best, cost)
    return best


@pytest.mark.parametrize(
    ("req", "templates", "limits"),
    [
        ([1, 2, 2, 1], [_tpl("a", 0, 2, 2, cost_per_shift=3), _tpl("b", 0, 1, 3, cost_per_shift=4)],
         Limits()),
        ([2, 1, 2], [_tpl("long", 0, 0, 3, cost_per_shift=5), _tpl("one", 0, 2, 1,
         cost_per_shift=2)], Limits()),
        ([1, 1, 2, 1, 1], [_tpl("brk", 0, 1, 4, cost_per_hour=1,
         breaks=(BreakRule(name="b", earliest=H, latest=2 * H, length=H, paid=False),)),
         _tpl("pt", 0, 4, 1, cost_per_hour=2, kind="part_time")], Limits(max_part_time=2)),
        ([2, 2, 1], [_tpl("pt", 0, 2, 1, kind="part_time"), _tpl("ft", 0, 0, 3)],
         Limits(max_part_time_share=0.5)),
        # Two breaks with one window: taking both at once (impossible) would need 1 shift.
        ([1, 1, 0, 1, 1], [_tpl("two", 0, 0, 5, breaks=(
            BreakRule(name="a", earliest=H, latest=3 * H, length=H),
            BreakRule(name="b", earliest=H, latest=3 * H, length=H)))], Limits()),
        ([1, 0, 1], [_tpl("x", 0, 2, 1, cost_per_shift=1, min_count=3),
         _tpl("y", 0, 0, 3, cost_per_shift=2)], Limits()),
    ],
)  # fmt: skip
def test_optimum_equals_brute_force(
    req: list[int], templates: list[ShiftTemplate], limits: Limits
) -> None:
    s = solve(Requirements.from_values(req, interval=H), templates, limits, time_limit=10)
    assert s.status == "OPTIMAL"
    assert s.uncoverable == ()
    assert s.cost == pytest.approx(_brute_force(req, templates, limits))
    assert s.bound == pytest.approx(s.cost) and s.gap == 0.0


def test_uncoverable_intervals_are_reported_with_the_amount() -> None:
    # 15-minute intervals over a day; nobody can work 03:00-03:15 or before 06:00.
    req = [0] * 96
    req[12] = 3  # 03:00
    for i in range(24, 80):
        req[i] = 2
    day = ShiftTemplate(name="day", earliest_start=6 * H, latest_start=12 * H, length=8 * H,
                        step=900, cost_per_shift=100)  # fmt: skip
    said: list[str] = []
    s = solve(Requirements.from_values(req, interval=900), [day], time_limit=20,
              progress=said.append)  # fmt: skip
    assert [line.split(":")[0] for line in said] == [
        "phase cost", "phase shortfall", "phase cost", "solved"]  # fmt: skip
    assert "leaving 3 agent-intervals short" in said[2]
    assert [(u.index, u.label, u.required, u.covered, u.missing) for u in s.uncoverable] == [
        (12, "03:00", 3, 0, 3)
    ]
    assert "no template" in s.uncoverable[0].reason
    assert s.phases == "shortfall, cost"
    assert all(c >= r for i, (c, r) in enumerate(zip(s.coverage, req, strict=True)) if i != 12)
    assert s.cost == 400.0  # 06:00-14:00 and 12:00-20:00, twice each: the cheapest with it


def test_max_count_shortfall_is_reported_exactly() -> None:
    req = Requirements.from_values([3, 3, 1], interval=H)
    only = _tpl("only", 0, 0, 3, cost_per_shift=1, max_count=2)
    s = solve(req, [only])
    assert [(u.index, u.missing) for u in s.uncoverable] == [(0, 1), (1, 1)]
    assert "max_count" in s.uncoverable[0].reason
    assert s.coverage == (2, 2, 2) and sum(s.shortfall) == 2 and s.over == (0, 0, 1)


def test_limits_are_honoured() -> None:
    req = Requirements.from_values([4, 4, 4, 4], interval=H)
    pt = _tpl("pt", 0, 3, 1, cost_per_shift=1, kind="part_time")
    ft = _tpl("ft", 0, 0, 4, cost_per_shift=10)
    free = solve(req, [pt, ft])
    assert free.counts() == {"pt": 16, "ft": 0}
    capped = solve(req, [pt, ft], Limits(max_part_time_share=0.5))
    counts = capped.counts()
    assert counts["pt"] <= 0.5 * (counts["pt"] + counts["ft"])
    assert min(capped.coverage) >= 4
    ft_min = solve(req, [pt, ft], Limits(min_full_time=3))
    assert ft_min.counts() == {"pt": 4, "ft": 3}


def test_week_repeats_the_start_windows_every_day() -> None:
    day = [0] * 8 + [2] * 8 + [0] * 8  # 08:00-16:00 each day, hourly
    req = Requirements.from_values(day * 7, interval=H)
    tpl = _tpl("day", 8, 8, 8, cost_per_shift=1)
    s = solve(req, [tpl], Limits(day_length=24 * H))
    assert s.uncoverable == () and s.total_shifts == 14
    assert sorted({sh.start for sh in s.shifts}) == [(d * 24 + 8) * H for d in range(7)]


def test_origin_places_clock_time_windows() -> None:
    # Requirements starting at 07:00: a template starting at 08:00 starts 1 h in.
    req = Requirements.from_values([0, 1, 1], interval=H, origin=7 * H)
    s = solve(req, [_tpl("t", 8, 8, 2, cost_per_shift=1)])
    assert [(sh.start, sh.end) for sh in s.shifts] == [(H, 3 * H)]


def test_solve_is_deterministic() -> None:
    req = Requirements.from_values([1, 3, 4, 4, 2, 3, 1, 1], interval=1800)
    templates = [
        ShiftTemplate(name="a", earliest_start=0, latest_start=7200, length=4 * 1800,
                      cost_per_shift=5, breaks=(BreakRule(name="b", earliest=1800,
                      latest=3 * 1800, length=1800),)),
        ShiftTemplate(name="p", earliest_start=0, latest_start=3 * 3600, length=2 * 1800,
                      cost_per_shift=3, kind="part_time"),
    ]  # fmt: skip
    one = solve(req, templates, time_limit=10)
    two = solve(req, templates, time_limit=10)
    assert one.shifts == two.shifts and one.cost == two.cost


def test_two_breaks_in_order_inside_their_windows() -> None:
    tpl = ShiftTemplate(name="long", earliest_start=8 * H, latest_start=9 * H, step=1800,
                        length=3 * H, cost_per_hour=20,
                        breaks=(BreakRule(name="coffee", earliest=1800, latest=H, length=1800),
                                BreakRule(name="lunch", earliest=H, latest=2 * H, length=1800,
                                          paid=False)))  # fmt: skip
    req = Requirements.from_values([4, 5, 6, 6, 6, 5, 4, 3], interval=1800, origin=8 * H)
    s = solve(req, [tpl])
    assert s.uncoverable == ()
    _breaks_inside_windows(s.shifts, [tpl])
    assert len({sh.breaks[0].start - sh.start for sh in s.shifts}) > 1  # placements differ


@st.composite
def tiny(draw: st.DrawFn) -> tuple[list[int], list[ShiftTemplate], Limits]:
    n = draw(st.integers(2, 4))
    req = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    templates = []
    for k in range(draw(st.integers(1, 2))):
        length = draw(st.integers(1, n))
        first = draw(st.integers(0, n - 1))
        breaks: tuple[BreakRule, ...] = ()
        if length >= 3 and draw(st.booleans()):
            breaks = (BreakRule(name="b", earliest=H, latest=(length - 2) * H, length=H),)
        templates.append(_tpl(f"t{k}", first, draw(st.integers(first, min(first + 1, n - 1))),
                              length, breaks=breaks, cost_per_shift=draw(st.integers(1, 6)),
                              kind=draw(st.sampled_from(["full_time", "part_time"])),
                              min_count=draw(st.integers(0, 1))))  # fmt: skip
    limits = Limits(max_part_time=draw(st.none() | st.integers(0, 3)))
    return req, templates, limits


@settings(max_examples=30, deadline=None)
@given(tiny())
def test_optimum_equals_brute_force_on_generated_instances(
    case: tuple[list[int], list[ShiftTemplate], Limits],
) -> None:
    req, templates, limits = case
    best = _brute_force(req, templates, limits)
    if math.isinf(_brute_force([0] * len(req), templates, limits)):
        with pytest.raises(ScheduleInputError, match="contradict"):
            solve(Requirements.from_values(req, interval=H), templates, limits, time_limit=10)
        return
    s = solve(Requirements.from_values(req, interval=H), templates, limits, time_limit=10)
    if math.isinf(best):  # nothing covers everything: the solve says where, not a failure
        assert s.uncoverable
    else:
        assert s.uncoverable == () and s.status == "OPTIMAL"
        assert s.cost == pytest.approx(best)


def _week(per_day: list[int]) -> Requirements:
    return Requirements.from_values(
        [v for d in range(7) for v in [0] * 8 + [per_day[d]] * 8 + [0] * 8], interval=H
    )


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=7, max_size=7),
    st.integers(3, 6),
    st.booleans(),
)
def test_roster_rest_rules_hold(per_day: list[int], work: int, together: bool) -> None:
    from ccrouter.schedule import RosterRules

    tpl = _tpl("d", 8, 8, 8, cost_per_shift=100)
    rules = RosterRules(max_work_days=work, consecutive_days_off=together)
    s = solve(_week(per_day), [tpl], Limits(day_length=24 * H, roster=rules))
    assert s.uncoverable == ()
    assigned = [0] * len(s.shifts)
    for line in s.roster:
        worked = [d for d, i in enumerate(line.shifts) if i is not None]
        assert len(worked) <= work and not set(worked) & set(line.days_off)
        assert len(line.days_off) == 7 - work
        if together:  # one cyclic block of days off
            off = set(line.days_off)
            assert sum(1 for d in off if (d - 1) % 7 not in off) == 1
        for d, i in enumerate(line.shifts):
            if i is not None:
                assert s.shifts[i].start // (24 * H) == d  # the shift starts on that day
                assigned[i] += 1
    assert assigned == [sh.count for sh in s.shifts]  # every shift worked by one agent
    # The fewest agents: as many as the busiest day needs, and enough for the week's shifts.
    assert len(s.roster) >= max(per_day) and len(s.roster) * work >= sum(per_day)


def test_roster_headcount_limit_reports_the_shortfall() -> None:
    from ccrouter.schedule import RosterRules

    tpl = _tpl("d", 8, 8, 8, cost_per_shift=100)
    rules = RosterRules(max_work_days=5, max_agents=3)
    s = solve(_week([3] * 7), [tpl], Limits(day_length=24 * H, roster=rules))
    assert len(s.roster) == 3
    assert sum(u.missing for u in s.uncoverable) == (21 - 15) * 8  # 15 shifts of 21 worked
    assert "roster" in s.uncoverable[0].reason


def test_roster_agent_cost_counts() -> None:
    from ccrouter.schedule import RosterRules

    tpl = _tpl("d", 8, 8, 8, cost_per_shift=100)
    rules = RosterRules(max_work_days=5, cost_per_agent=50)
    s = solve(_week([3] * 7), [tpl], Limits(day_length=24 * H, roster=rules))
    assert len(s.roster) == 5 and s.cost == 21 * 100 + 5 * 50


def test_roster_needs_several_days() -> None:
    from ccrouter.schedule import RosterRules

    req = Requirements.from_values([1, 1], interval=H)
    with pytest.raises(ScheduleInputError, match="several days"):
        solve(req, [_tpl("t", 0, 0, 2)], Limits(roster=RosterRules()))

"""Rest between shifts in rosters (``RosterRules.min_rest_hours``) and the most days in a row:
the optimum equals brute force, every agent's week keeps the rest, the rule costs agents when
it binds, bad values are typed errors."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from ccrouter.cli import main
from ccrouter.schedule import (
    Limits,
    Requirements,
    RosterRules,
    Schedule,
    ScheduleInputError,
    ShiftTemplate,
    solve,
    templates_from_dict,
)
from ccrouter.schedule.roster import patterns

H = 3600.0
DAY = 24 * H
EARLY = ShiftTemplate(name="early", earliest_start=6 * H, latest_start=6 * H, length=8 * H,
                      cost_per_shift=100)  # fmt: skip
MID = ShiftTemplate(name="mid", earliest_start=10 * H, latest_start=10 * H, length=8 * H,
                    cost_per_shift=95)  # fmt: skip
LATE = ShiftTemplate(name="late", earliest_start=16 * H, latest_start=16 * H, length=8 * H,
                     cost_per_shift=90)  # fmt: skip


def _hours(tpl: ShiftTemplate) -> range:
    return range(int(tpl.earliest_start // H), int((tpl.earliest_start + tpl.length) // H))


def _requirement(days: int, shifts: list[tuple[int, ShiftTemplate]]) -> Requirements:
    values = [0] * (24 * days)
    for d, tpl in shifts:
        for h in _hours(tpl):
            values[(24 * d + h) % (24 * days)] += 1
    return Requirements.from_values(values, interval=H)


def _rest_broken(s: Schedule, rest_hours: float) -> list[tuple[str, int]]:
    """(agent, day) where the agent's shift that day and its next day's leave less rest
    (cyclically: the last day's shift against next week's first)."""
    days = len(s.roster[0].shifts)
    period = days * DAY
    broken = []
    for line in s.roster:
        for d in range(days):
            e = (d + 1) % days
            a, b = line.shifts[d], line.shifts[e]
            if a is None or b is None:
                continue
            gap = s.shifts[b].start + (period if e == 0 else 0.0) - s.shifts[a].end
            if gap < rest_hours * H - 1e-6:
                broken.append((line.agent, d))
    return broken


def _brute_force(
    req: Requirements, templates: list[ShiftTemplate], rules: RosterRules, most_agents: int
) -> float:
    """The least cost over every multiset of agent-weeks (a pattern, then per day worked no
    shift or one template), each keeping the rest, that covers the requirement."""
    days = len(req.values) // 24
    period = days * DAY
    weeks = []
    for pattern in patterns(days, rules):
        worked = [d for d in range(days) if pattern[d]]
        for choice in itertools.product([None, *templates], repeat=len(worked)):
            day_shift = dict(zip(worked, choice, strict=True))
            ok = True
            for d in range(days):
                e = (d + 1) % days
                a, b = day_shift.get(d), day_shift.get(e)
                if a is not None and b is not None and rules.min_rest_hours is not None:
                    end = d * DAY + a.earliest_start + a.length
                    start = e * DAY + b.earliest_start + (period if e == 0 else 0.0)
                    ok = ok and start - end >= rules.min_rest_hours * H
            if not ok:
                continue
            cover = [0] * (24 * days)
            cost = rules.cost_per_agent
            for d, tpl in day_shift.items():
                if tpl is None:
                    continue
                cost += tpl.cost_per_shift
                for h in _hours(tpl):
                    cover[(24 * d + h) % (24 * days)] += 1
            weeks.append((cost, cover))
    best = float("inf")
    for size in range(most_agents + 1):
        for team in itertools.combinations_with_replacement(weeks, size):
            total = sum(c for c, _ in team)
            if total >= best:
                continue
            covered = [sum(w[1][i] for w in team) for i in range(24 * days)]
            if all(c >= r for c, r in zip(covered, req.values, strict=True)):
                best = total
    return best


@pytest.mark.parametrize("work", [2, 3])
@pytest.mark.parametrize("seed", range(12))
def test_rested_optimum_equals_brute_force(seed: int, work: int) -> None:
    """Over three days, two worked (a day off) or all three (the lines by first start)."""
    rnd = random.Random(seed)
    days = 3
    templates = [EARLY, MID, LATE]
    values = [0] * (24 * days)
    for _ in range(rnd.randint(2, 4)):
        # A few hours of one shift: often another template covers them too, so the shifts
        # chosen depend on the rest (and on the agents it takes).
        d, tpl = rnd.randrange(days), rnd.choice(templates)
        hours = list(_hours(tpl))
        first = rnd.randrange(len(hours))
        for h in hours[first : first + rnd.randint(1, 4)]:
            values[24 * d + h] = max(values[24 * d + h], 1)
    req = Requirements.from_values(values, interval=H)
    rest = rnd.choice([11.0, 13.0])
    rules = RosterRules(max_work_days=work, cost_per_agent=50, min_rest_hours=rest)
    s = solve(req, templates, Limits(day_length=DAY, roster=rules))
    assert s.status == "OPTIMAL" and not s.uncoverable
    # One agent per shift covers it for at most 4 x (50 + 100) = 600; five agents or more
    # cost at least 5 x (50 + 90) = 700: four agents bound the search.
    assert s.cost == pytest.approx(_brute_force(req, templates, rules, 4))
    assert _rest_broken(s, rest) == []
    assert all(sum(x is not None for x in line.shifts) <= work for line in s.roster)


def test_late_then_early_only_without_the_rule() -> None:
    """Day 1 needs a late shift (16-24), day 2 an early one (06-14): one agent can work both
    without the rule (6 h of rest); with 11 h, two agents."""
    req = _requirement(3, [(0, LATE), (1, EARLY)])
    free = solve(req, [EARLY, LATE], Limits(day_length=DAY, roster=RosterRules(
        max_work_days=2, cost_per_agent=50)))  # fmt: skip
    rested = solve(req, [EARLY, LATE], Limits(day_length=DAY, roster=RosterRules(
        max_work_days=2, cost_per_agent=50, min_rest_hours=11)))  # fmt: skip
    assert _rest_broken(free, 11) == [(free.roster[0].agent, 0)]
    assert _rest_broken(rested, 11) == []
    assert (len(free.roster), free.cost) == (1, 90 + 100 + 50)
    assert (len(rested.roster), rested.cost) == (2, 90 + 100 + 2 * 50)  # the rule: +50


def test_the_wrap_counts_as_consecutive_days() -> None:
    """The last day's late shift and the first day's early one are consecutive for an agent
    working both (next week's first day), as the days off wrap."""
    req = _requirement(3, [(2, LATE), (0, EARLY)])
    rules = RosterRules(max_work_days=2, cost_per_agent=50, min_rest_hours=11)
    rested = solve(req, [EARLY, LATE], Limits(day_length=DAY, roster=rules))
    assert len(rested.roster) == 2 and _rest_broken(rested, 11) == []
    loose = RosterRules(max_work_days=2, cost_per_agent=50, min_rest_hours=6)
    assert len(solve(req, [EARLY, LATE], Limits(day_length=DAY, roster=loose)).roster) == 1


def test_headcount_too_small_for_the_rest_reports_the_shortfall() -> None:
    """One agent covers a late shift then an early one if rest did not matter; with the rule
    the solve says which intervals stay short (and why) instead of failing."""
    req = _requirement(3, [(0, LATE), (1, EARLY)])
    free = RosterRules(max_work_days=2, max_agents=1)
    rested = RosterRules(max_work_days=2, max_agents=1, min_rest_hours=11)
    assert not solve(req, [EARLY, LATE], Limits(day_length=DAY, roster=free)).uncoverable
    s = solve(req, [EARLY, LATE], Limits(day_length=DAY, roster=rested))
    assert s.phases.startswith("shortfall") and len(s.roster) == 1
    assert sum(u.missing for u in s.uncoverable) == 8  # one of the two shifts
    assert all("rest rules" in u.reason for u in s.uncoverable)
    assert _rest_broken(s, 11) == []


def test_a_week_keeps_the_rest_and_the_days_off() -> None:
    rnd = random.Random(7)
    shifts = [(d, rnd.choice([EARLY, MID, LATE])) for d in range(7) for _ in range(3)]
    req = _requirement(7, shifts)
    rules = RosterRules(max_work_days=5, min_rest_hours=11)
    s = solve(req, [EARLY, MID, LATE], Limits(day_length=DAY, roster=rules))
    assert not s.uncoverable and _rest_broken(s, 11) == []
    assert all(len(line.days_off) == 2 for line in s.roster)
    worked = sorted(i for line in s.roster for i in line.shifts if i is not None)
    assert len(worked) == sum(sh.count for sh in s.shifts)


def test_max_consecutive_days_splits_the_days_off() -> None:
    rules = RosterRules(max_work_days=5, consecutive_days_off=False, max_consecutive_days=3)
    found = patterns(7, rules)
    assert found and all(sum(p) == 5 for p in found)
    assert all(not all(p[(d + k) % 7] for k in range(4)) for p in found for d in range(7))
    assert len(found) < len(patterns(7, RosterRules(max_work_days=5, consecutive_days_off=False)))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_rest_hours": -1}, "min_rest_hours"),
        ({"min_rest_hours": 0}, "min_rest_hours"),
        ({"min_rest_hours": float("nan")}, "min_rest_hours"),
        ({"min_rest_hours": 49}, "min_rest_hours"),
        ({"min_rest_hours": True}, "min_rest_hours"),
        ({"min_rest_hours": "11"}, "min_rest_hours"),
        ({"max_consecutive_days": 0}, "max_consecutive_days"),
        ({"max_consecutive_days": 2.5}, "max_consecutive_days"),
    ],
)
def test_bad_rules_are_typed_errors(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ScheduleInputError, match=field) as err:
        RosterRules(**kwargs)  # type: ignore[arg-type]
    assert isinstance(err.value, ValueError)


def test_agents_working_every_day_keep_the_rest_across_the_wrap() -> None:
    """Every day a late shift then an early one: without a day off, one agent cannot turn
    from late to early anywhere in its repeating week, so the two kinds need two agents."""
    req = _requirement(3, [(d, t) for d in range(3) for t in (EARLY, LATE)])
    rules = RosterRules(max_work_days=3, cost_per_agent=50, min_rest_hours=11)
    s = solve(req, [EARLY, LATE], Limits(day_length=DAY, roster=rules))
    assert _rest_broken(s, 11) == [] and len(s.roster) == 2
    kinds = sorted({s.shifts[i].template for i in line.shifts if i is not None}
                   for line in s.roster)  # fmt: skip
    assert kinds == [{"early"}, {"late"}]


def test_rules_that_cannot_hold_are_typed_errors() -> None:
    with pytest.raises(ScheduleInputError, match="max_consecutive_days"):
        patterns(7, RosterRules(max_work_days=5, max_consecutive_days=4))


def test_toml_reads_the_rest_rules() -> None:
    base = {"templates": [{"name": "e", "start": "06:00", "length": "8h"}]}
    _, limits = templates_from_dict(
        {**base, "roster": {"min_rest_hours": "10h30m", "max_consecutive_days": 5}}
    )
    assert limits.roster is not None
    assert (limits.roster.min_rest_hours, limits.roster.max_consecutive_days) == (10.5, 5)
    _, limits = templates_from_dict({**base, "roster": {"min_rest_hours": 11}})
    assert limits.roster is not None and limits.roster.min_rest_hours == 11
    with pytest.raises(ScheduleInputError, match="min_rest_hours"):
        templates_from_dict({**base, "roster": {"min_rest_hours": [11]}})
    with pytest.raises(ScheduleInputError, match="min_rest_hours"):
        templates_from_dict({**base, "roster": {"min_rest_hours": "soon"}})


def test_cli_min_rest_option(tmp_path: Path) -> None:
    rows = ["interval_start,agents"]
    for d in range(3):
        late = [h >= 16 for h in range(24)]
        early = [6 <= h < 14 for h in range(24)]
        need = late if d == 0 else early if d == 1 else [False] * 24
        rows += [f"2026-03-0{2 + d}T{h:02d}:00,{int(need[h])}" for h in range(24)]
    req_csv = tmp_path / "days.csv"
    req_csv.write_text("\n".join(rows) + "\n")
    templates = tmp_path / "t.toml"
    templates.write_text(
        "[roster]\nmax_work_days = 2\ncost_per_agent = 50\n\n"
        '[[templates]]\nname = "early"\nstart = "06:00"\nlength = "8h"\ncost_per_shift = 100\n\n'
        '[[templates]]\nname = "late"\nstart = "16:00"\nlength = "8h"\ncost_per_shift = 90\n'
    )
    runs = {}
    for extra in ([], ["--min-rest", "11"]):
        out = tmp_path / f"o{len(extra)}"
        done = CliRunner().invoke(main, ["schedule", str(req_csv), "-t", str(templates), "-o",
                                         str(out), "--no-plot", *extra])  # fmt: skip
        assert done.exit_code == 0, done.output
        runs[len(extra)] = done.output
    assert "roster: 1 agents" in runs[0] and "roster: 2 agents" in runs[2]
    assert "rest >= 11 h" in runs[2]
    help_text = CliRunner().invoke(main, ["schedule", "--help"]).output
    assert "--min-rest" in help_text and "--max-consecutive-days" in help_text
    no_roster = tmp_path / "n.toml"
    no_roster.write_text('[[templates]]\nname = "e"\nstart = "06:00"\nlength = "8h"\n')
    done = CliRunner().invoke(main, ["schedule", str(req_csv), "-t", str(no_roster), "-o",
                                     str(tmp_path / "x"), "--min-rest", "11"])  # fmt: skip
    assert done.exit_code != 0 and "[roster]" in done.output


@pytest.mark.parametrize("seed", range(8))
def test_random_rosters_keep_every_rule(seed: int) -> None:
    """Random weeks of 4-6 days, days off together or not, a cap on days in a row: every
    shift goes to exactly one agent working that day, and every agent keeps the rest."""
    rnd = random.Random(100 + seed)
    days = rnd.randint(4, 6)
    shifts = [(d, rnd.choice([EARLY, MID, LATE])) for d in range(days)
              for _ in range(rnd.randint(0, 3))]  # fmt: skip
    req = _requirement(days, shifts)
    together = rnd.random() < 0.5
    rules = RosterRules(max_work_days=days - rnd.randint(1, 2), consecutive_days_off=together,
                        cost_per_agent=rnd.choice([0, 40]), min_rest_hours=rnd.choice([11, 12.5]),
                        max_consecutive_days=None if together else days - 1)  # fmt: skip
    s = solve(req, [EARLY, MID, LATE], Limits(day_length=DAY, roster=rules))
    assert not s.uncoverable and _rest_broken(s, rules.min_rest_hours or 0) == []
    given = sorted(i for line in s.roster for i in line.shifts if i is not None)
    assert given == sorted(i for i, sh in enumerate(s.shifts) for _ in range(sh.count))
    for line in s.roster:
        assert len(line.days_off) == days - rules.max_work_days
        assert all(line.shifts[d] is None for d in line.days_off)
        for i, index in enumerate(line.shifts):
            if index is not None:  # a shift belongs to the day it starts on
                assert int(s.shifts[index].start // DAY) == i

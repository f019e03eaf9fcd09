"""The report planners trust: intervals inside what is possible, a note when they are wide,
the service-level definition chosen and printed, every figure exported (JSON/CSV round trip),
the plots' last interval drawn and lines told apart, the HTML templated and escaped, and new
metrics shown without new rendering code."""

from __future__ import annotations

import json
import math
from pathlib import Path

import hypothesis.strategies as st
import msgspec
import pytest
from hypothesis import given

from ccrouter.sim import Scenario, simulate
from ccrouter.sim.confidence import Estimate, estimate
from ccrouter.sim.engines import run_with_events
from ccrouter.sim.export import COLUMNS, export_rows, read_export, write_export
from ccrouter.sim.metric_info import info
from ccrouter.sim.report import format_estimate, interval_notes, render_report
from ccrouter.sim.report_plots import _edges, _scopes, _series
from ccrouter.stats import interval_report
from ccrouter.stats.definitions import SL_DEFINITIONS

pytest.importorskip("matplotlib")


def _scenario(**extra: object) -> Scenario:
    """Two queues, short patience (so abandons within the threshold happen), 4 intervals."""
    data: dict[str, object] = {
        "name": "two <queues> & co",
        "horizon": 3600,
        "interval": 900,
        "threshold": 20,
        "call_types": [
            {"name": "a", "queue": "alpha", "arrivals": {"kind": "poisson",
             "rates_per_hour": [80, 120, 60, 90]},
             "handle": {"kind": "exponential", "mean": 120},
             "patience": {"kind": "exponential", "mean": 40}},
            {"name": "b", "queue": "beta", "arrivals": {"kind": "poisson",
             "rates_per_hour": [40]},
             "handle": {"kind": "exponential", "mean": 150},
             "patience": {"kind": "exponential", "mean": 60}},
        ],
        "agent_groups": [{"name": "team", "headcount": [4]}],
        "router": {"queues": {"alpha": {}, "beta": {}}},
        **extra,
    }  # fmt: skip
    return Scenario.from_dict(data)


@pytest.fixture(scope="module")
def few() -> object:
    """Two replications: the case whose symmetric intervals passed 100 % and went below 0."""
    return simulate(_scenario(), 2, seed=3, engine="router")


# --- bounds ------------------------------------------------------------------------------------

finite = st.floats(0.0, 1.0, allow_nan=False)


@given(st.lists(finite, min_size=2, max_size=12), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_a_share_interval_stays_in_0_1_and_holds_the_mean(xs: list[float], level: float) -> None:
    e = estimate(xs, level, bounds=(0.0, 1.0))
    assert 0.0 <= e.lower <= e.mean + 1e-12 and e.mean - 1e-12 <= e.upper <= 1.0
    unclipped = estimate(xs, level)
    assert e.clipped == (unclipped.lower < 0.0 or unclipped.upper > 1.0)
    assert math.isclose(e.half_width, unclipped.half_width)  # the width itself is unchanged


def test_every_interval_of_a_short_run_is_inside_its_metrics_range(few: object) -> None:
    result = few
    assert isinstance(result.scenario, Scenario)
    seen_clipped = 0
    for series_by_metric in result.per_interval.values():
        for metric, series in series_by_metric.items():
            lo, hi = info(metric).bounds
            for e in series:
                if not math.isnan(e.half_width):
                    assert lo <= e.lower <= e.upper <= hi, (metric, e)
                    seen_clipped += e.clipped
    for series in result.group_occupancy.values():
        assert all(0.0 <= e.lower <= e.upper <= 1.0 for e in series if e.n > 1)
    assert seen_clipped > 0  # the symmetric interval did reach past the bounds here


def test_clipped_intervals_are_shown_as_low_high() -> None:
    assert format_estimate(estimate([0.95, 1.0], bounds=(0.0, 1.0)), "pct") == (
        "97.5 (65.7–100.0) %"
    )
    assert format_estimate(estimate([10.0, 12.0], bounds=(0.0, math.inf)), "sec") == (
        "11.0 (0.0–23.7)"
    )
    assert format_estimate(estimate([0.5, 0.52, 0.51], bounds=(0.0, 1.0)), "pct") == (
        "51.0 ± 2.5 %"
    )


def test_few_replications_and_clipping_are_noted(few: object) -> None:
    notes = interval_notes(few)
    assert any("only 2 replications" in n and "unreliable" in n for n in notes)
    assert any("clipped" in n for n in notes)
    one = simulate(_scenario(), 1, seed=3, engine="router")
    assert any("no confidence interval" in n for n in interval_notes(one))


# --- the service-level definition --------------------------------------------------------------


@pytest.mark.parametrize("definition", SL_DEFINITIONS)
def test_the_simulators_service_level_follows_the_definition(definition: str) -> None:
    """Per interval and queue, the simulator's service level equals the interval report's under
    the same definition, on the events of the same run (both engines)."""
    scenario = _scenario(sl_definition=definition)
    for engine in ("router", "compiled"):
        metrics, out = run_with_events(scenario, 5, 0, engine)  # type: ignore[arg-type]
        rows = interval_report(out.events, 900, threshold=20, by=("queue",),
                               sl_definition=definition)  # type: ignore[arg-type]  # fmt: skip
        checked = 0
        for row in rows:
            k = int(row.start // 900)
            if row.queue in ("alpha", "beta") and k < 4:
                got = metrics.per_interval[row.queue]["service_level"][k]
                want = math.nan if row.service_level is None else row.service_level
                assert got == pytest.approx(want, nan_ok=True), (engine, row)
                checked += 1
        assert checked == 8


def test_the_definitions_order_as_they_must() -> None:
    """answered ≥ offered minus short abandons ≥ offered, and they differ with abandons."""
    sl = {
        d: simulate(_scenario(sl_definition=d), 3, seed=2).overall["all"]["service_level"].mean
        for d in SL_DEFINITIONS
    }
    assert sl["answered"] > sl["offered_minus_short_abandons"] > sl["offered"]


# --- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["json", "csv"])
def test_export_round_trip_equals_the_result(few: object, tmp_path: Path, suffix: str) -> None:
    result = few
    path = write_export(result, tmp_path / f"out.{suffix}")
    rows = read_export(path)
    assert rows == export_rows(result)
    assert all(list(r) == list(COLUMNS) for r in rows)
    # ... and the rows are the result's estimates, every one of them.
    by_key = {(r["section"], r["scope"], r["metric"], r["interval"]): r for r in rows}
    n_estimates = 0
    for scope, ms in result.per_interval.items():
        for m, series in ms.items():
            for k, e in enumerate(series):
                _same(by_key["per_interval", scope, m, k], e)
                n_estimates += 1
    for scope, overall in result.overall.items():
        for m, e in overall.items():
            _same(by_key["overall", scope, m, None], e)
            n_estimates += 1
    for g, series in result.group_occupancy.items():
        for k, e in enumerate(series):
            _same(by_key["group_occupancy", g, "occupancy", k], e)
            n_estimates += 1
    assert n_estimates + len(result.group_utilisation) == len(rows)
    row = by_key["per_interval", "alpha", "service_level", 3]
    assert (row["start"], row["end"]) == (2700.0, 3600.0)


def _same(row: dict[str, object], e: Estimate) -> None:
    def value(x: float) -> float | None:
        return None if math.isnan(x) else x

    assert row["mean"] == value(e.mean) and row["n"] == e.n
    assert row["lower"] == value(e.lower) and row["upper"] == value(e.upper)
    assert row["half_width"] == value(e.half_width) and row["clipped"] == e.clipped


def test_the_json_export_says_how_figures_were_made(few: object, tmp_path: Path) -> None:
    data = json.loads(write_export(few, tmp_path / "x.json").read_text())
    assert data["run"]["sl_definition"] == "offered"
    assert data["run"]["service_level"] == "service level = answered within 20 s / all arrivals"
    assert data["run"]["replications"] == 2


def test_an_unknown_export_format_is_refused(few: object, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"json, csv"):
        write_export(few, tmp_path / "x.xlsx")


# --- plots -------------------------------------------------------------------------------------


def test_the_last_interval_is_drawn_as_wide_as_the_others(few: object) -> None:
    from matplotlib.figure import Figure

    result = few
    edges = _edges(result)
    assert edges == [0.0, 0.25, 0.5, 0.75, 1.0]  # closing edge: the horizon
    ax = Figure().add_subplot()
    _series(ax, edges, result.per_interval["all"]["service_level"], "all", 100.0, 0)
    line = ax.get_lines()[0]
    assert list(line.get_xdata()) == edges
    y = list(line.get_ydata())
    assert y[-1] == y[-2]  # the last interval's level held to its end


def test_one_queue_draws_one_line() -> None:
    one = simulate(
        Scenario.from_dict({"horizon": 1800, "interval": 900, "call_types": [{"name": "c",
            "arrivals": {"kind": "poisson", "rates_per_hour": [60]},
            "handle": {"kind": "exponential", "mean": 120}}],
            "agent_groups": [{"name": "g", "headcount": [3]}]}),
        2, seed=1, engine="router",
    )  # fmt: skip
    assert _scopes(one) == ["all"]


def test_queues_are_told_apart(few: object) -> None:
    from matplotlib.figure import Figure

    result = few
    ax = Figure().add_subplot()
    for k, scope in enumerate(_scopes(result)):
        _series(ax, _edges(result), result.per_interval[scope]["asa"], scope, 1.0, k)
    steps = [line for line in ax.get_lines() if line.get_label() in {"alpha", "beta", "all"}]
    styles = {(line.get_color(), line.get_linestyle()) for line in steps}
    assert len(steps) == 3 and len(styles) == 3
    markers = {line.get_marker() for line in ax.get_lines() if line.get_marker() != "None"}
    assert len(markers) == 3


# --- HTML --------------------------------------------------------------------------------------


def test_the_html_is_escaped_and_names_the_definition(few: object) -> None:
    text = render_report(few)
    assert "two &lt;queues&gt; &amp; co" in text and "<queues>" not in text
    assert "Service level = answered within 20 s / all arrivals" in text
    assert "max-width:60em" not in text.replace(" ", "")
    assert text.count("data:image/png;base64,") == 6  # SL, ASA, abandon, queue, occupancy, waits
    assert "only 2 replications" in text


def test_a_new_per_interval_metric_appears_without_new_code(few: object) -> None:
    result = few
    extra = [estimate([3.0, 5.0], bounds=(0.0, math.inf))] * 4
    per_interval = {s: {**ms, "self_served": extra} for s, ms in result.per_interval.items()}
    text = render_report(msgspec.structs.replace(result, per_interval=per_interval))
    assert "<th>self served</th>" in text
    assert export_rows(msgspec.structs.replace(result, per_interval=per_interval))[-1]


def test_the_template_ships_inside_the_package() -> None:
    """Inside ``src/ccrouter`` (the wheel's package directory: hatch ships every file there),
    found as package data, not by a path relative to the checkout."""
    from importlib.resources import files

    template = files("ccrouter.sim").joinpath("templates/report.html.j2")
    assert template.is_file() and "autoescap" in template.read_text()


def test_the_api_says_matplotlib_is_missing_before_drawing(
    few: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    from ccrouter.errors import MissingDependency
    from ccrouter.sim.report import write_report

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingDependency, match=r"pip install 'ccrouter\[plot\]'"):
        write_report(few, tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()


def test_the_export_holds_every_self_service_estimate(tmp_path: Path) -> None:
    from ccrouter.sim import load_scenario, simulate

    scenario = load_scenario(Path(__file__).resolve().parents[2] / "simulations/self_service.toml")
    result = simulate(scenario, replications=2, seed=3)
    rows = read_export(write_export(result, tmp_path / "x.csv"))
    by_key = {(r["section"], r["scope"], r["metric"], r["interval"]): r for r in rows}
    seen = 0
    for call_type, metrics in result.self_service_overall.items():
        for m, e in metrics.items():
            _same(by_key["self_service", call_type, m, None], e)
            seen += 1
    for call_type, series_by_metric in result.self_service.items():
        for m, series in series_by_metric.items():
            for k, e in enumerate(series):
                _same(by_key["self_service", call_type, m, k], e)
                seen += 1
    assert seen > 0 and seen == sum(r["section"] == "self_service" for r in rows)
    assert by_key["self_service", "bank", "contained", 0]["start"] == 0.0


# --- self-service per interval -----------------------------------------------------------------


@pytest.fixture(scope="module")
def staged() -> object:
    from ccrouter.sim import load_scenario

    path = Path(__file__).resolve().parents[2] / "simulations/self_service.toml"
    return simulate(load_scenario(path), 3, seed=5)


def _steps(ax: object) -> list[object]:
    """The step lines (the marker lines carry matplotlib's private ``_child`` labels)."""
    return [line for line in ax.get_lines() if not line.get_label().startswith("_")]  # type: ignore[attr-defined]


def test_the_containment_plot_holds_the_rate_per_interval(staged: object) -> None:
    from matplotlib.figure import Figure

    from ccrouter.sim.report_plots import draw_containment

    result = staged
    ax = Figure().add_subplot()
    edges = _edges(result)
    draw_containment(ax, result, edges)
    (line,) = _steps(ax)
    assert line.get_label() == "bank (all)"  # one stage: its line is the centre's
    series = result.self_service["all"]["containment_rate"]
    assert len(series) == len(result.interval_starts)
    assert list(line.get_xdata()) == edges
    means = [100.0 * e.mean for e in series]
    assert list(line.get_ydata()) == pytest.approx([*means, means[-1]])
    # The band is the clipped 95 % interval of each interval, in percent.
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert min(band) == pytest.approx(100.0 * min(e.lower for e in series))
    assert max(band) == pytest.approx(100.0 * max(e.upper for e in series))
    assert ax.get_ylim()[1] == pytest.approx(102.0)
    legend = ax.get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().x0 > ax.bbox.x1 - 1  # outside


def test_the_outcomes_plot_holds_every_count_per_interval(staged: object) -> None:
    from matplotlib.figure import Figure

    from ccrouter.sim.report_plots import SELF_SERVICE_COUNTS, draw_outcomes

    result = staged
    ax = Figure().add_subplot()
    draw_outcomes(ax, result, _edges(result))
    lines = _steps(ax)
    assert [line.get_label() for line in lines] == [label for _, label in SELF_SERVICE_COUNTS]
    for line, (metric, _) in zip(lines, SELF_SERVICE_COUNTS, strict=True):
        means = [e.mean for e in result.self_service["all"][metric]]
        assert list(line.get_ydata()) == pytest.approx([*means, means[-1]]), metric
    styles = {(line.get_color(), line.get_linestyle()) for line in lines}
    assert len(styles) == len(lines)  # each told apart by colour and style
    entered = result.self_service["all"]["entered"]
    assert sum(e.mean for e in entered) > 0


def test_each_stage_gets_its_line_with_two_call_types() -> None:
    from matplotlib.figure import Figure

    from ccrouter.sim.report_plots import draw_containment

    bot = {"time": {"kind": "deterministic", "value": 30.0}, "containment": 0.5}
    twice = _scenario(call_types=[
        {"name": "a", "queue": "alpha", "arrivals": {"kind": "poisson", "rates_per_hour": [80]},
         "handle": {"kind": "exponential", "mean": 120}, "self_service": bot},
        {"name": "b", "queue": "beta", "arrivals": {"kind": "poisson", "rates_per_hour": [40]},
         "handle": {"kind": "exponential", "mean": 150},
         "self_service": {**bot, "containment": 0.1}},
    ])  # fmt: skip
    result = simulate(twice, 2, seed=1, engine="router")
    ax = Figure().add_subplot()
    draw_containment(ax, result, _edges(result))
    by_label = {line.get_label(): line for line in _steps(ax)}
    assert set(by_label) == {"a", "b", "all"}
    for scope, line in by_label.items():
        means = [100.0 * e.mean for e in result.self_service[scope]["containment_rate"]]
        assert list(line.get_ydata())[:-1] == pytest.approx(means)


def test_self_service_plots_only_with_a_stage(few: object, staged: object) -> None:
    from ccrouter.sim.report_plots import self_service_plots

    assert self_service_plots(few) == []
    titles = [p.title for p in self_service_plots(staged)]
    assert titles == [
        "Self-service containment rate by interval (mean, 95 % CI band)",
        "Self-service outcomes by interval (mean, 95 % CI band)",
    ]
    text = render_report(staged)
    assert text.count("data:image/png;base64,") == 8  # the six, then the stage's two
    assert all(title in text for title in titles)
    assert "Self-service" not in render_report(few)

"""Leaderboard of the weekly pub quiz."""

from pytest_trace_opt import trainable


@trainable
def standings(points):
    """Team names from a dict team -> points, most points first; teams with
    equal points are listed alphabetically."""
    ranked = sorted(points.items(), key=lambda item: (item[1], item[0]), reverse=True)
    return [team for team, _ in ranked]

"""Order of the build steps of the release pipeline."""

from pytest_trace_opt import trainable


@trainable
def build_order(requires):
    """Every step, each one after all the steps it requires.

    `requires` maps a step to the steps it needs first; a step that only
    appears as a requirement is part of the order too. Steps are explored
    in alphabetical order. A cycle raises ValueError.
    """
    order, state = [], {}

    def visit(step):
        if state.get(step) == "done":
            return
        if state.get(step) == "active":
            raise ValueError(f"dependency cycle through {step!r}")
        state[step] = "active"
        for needed in sorted(requires.get(step, [])):
            visit(needed)
        state[step] = "done"
        order.insert(0, step)

    for step in sorted(requires):
        visit(step)
    return order

"""Impact analysis for the monorepo: which packages a change reaches."""

from pytest_trace_opt import trainable


@trainable
def affected(dependents, changed):
    """The set of packages to rebuild when `changed` changes: `changed` itself
    and every package that depends on it, directly or through other packages.
    `dependents` maps a package to the packages that use it; the graph may
    contain cycles."""
    result = set()

    def visit(package):
        result.add(package)
        for user in dependents.get(package, []):
            if user not in result:
                visit(user)

    visit(changed)
    return result

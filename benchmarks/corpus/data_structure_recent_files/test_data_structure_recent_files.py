import pytest

from recent_docs import MENU_SIZE, RecentFiles


def opened(*paths):
    recent = RecentFiles()
    for path in paths:
        recent.opened(path)
    return recent.menu()


@pytest.mark.trainable
def test_most_recent_first():
    assert opened("a.txt", "b.txt", "c.txt") == ["c.txt", "b.txt", "a.txt"]


@pytest.mark.trainable
def test_menu_is_limited():
    got = opened("1", "2", "3", "4", "5", "6")
    assert got == ["6", "5", "4", "3"]
    assert len(got) == MENU_SIZE


@pytest.mark.trainable
def test_reopening_moves_to_the_top():
    got = opened("notes.md", "todo.md", "notes.md")
    assert got == ["notes.md", "todo.md"], f"menu after reopening notes.md: {got}"


@pytest.mark.trainable
def test_reopening_the_top_file():
    got = opened("a", "b", "b", "b")
    assert got == ["b", "a"], f"menu: {got}"


@pytest.mark.trainable(holdout=True)
def test_reopened_file_keeps_older_ones_in_the_menu():
    got = opened("w", "x", "y", "z", "x")
    assert got == ["x", "z", "y", "w"]


@pytest.mark.trainable(holdout=True)
def test_long_session():
    got = opened("a", "b", "a", "b", "c")
    assert got == ["c", "b", "a"]
    assert opened("p", "q", "r", "s", "t", "q") == ["q", "t", "s", "r"]

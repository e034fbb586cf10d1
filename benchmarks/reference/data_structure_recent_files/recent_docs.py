"""The "Open recent" menu of the text editor."""

from pytest_trace_opt import trainable

MENU_SIZE = 4


class RecentFiles:
    def __init__(self):
        self.paths = []

    @trainable
    def opened(self, path):
        """Record that `path` was opened; it goes to the top of the menu. The
        menu lists each path once, most recently opened first, and holds at
        most MENU_SIZE paths."""
        if path in self.paths:
            self.paths.remove(path)
        self.paths.insert(0, path)
        del self.paths[MENU_SIZE:]

    def menu(self):
        return list(self.paths)

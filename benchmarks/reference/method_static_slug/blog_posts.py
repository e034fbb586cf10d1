"""Blog posts and their URLs."""

import re

from pytest_trace_opt import trainable


class Post:
    def __init__(self, title, year):
        self.title = title
        self.year = year

    @staticmethod
    @trainable
    def slugify(title):
        """URL slug of a title: lowercase ASCII letters and digits, every run
        of other characters turned into a single "-", and no "-" at either end."""
        return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")

    def url(self):
        return f"/blog/{self.year}/{self.slugify(self.title)}/"

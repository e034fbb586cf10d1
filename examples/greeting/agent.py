"""The greeting agent of Trace's README, with rule-based steps instead of LLM calls.

Trainable: the name pattern (a node), and the decide_lang / greet methods (bundles).
"""

import re

from opto.trace import bundle, model, node


@model
class GreetingAgent:
    def __init__(self):
        self.name_pattern = node(
            r"(?:I'm|I am|my name is)\s+(\w+)",
            trainable=True,
            description="Regular expression whose first group captures the user's name",
        )

    def __call__(self, user_query):
        lang = self.decide_lang(user_query)
        user_name = self.extract_name(user_query, self.name_pattern)
        return self.greet(lang, user_name)

    @bundle(trainable=True)
    def decide_lang(self, text):
        """Return 'es' when the text is Spanish, 'en' otherwise."""
        return "en"

    @bundle()
    def extract_name(self, text, pattern):
        """The first group of `pattern` in `text`, or 'there' when nothing matches."""
        match = re.search(pattern, text, re.IGNORECASE)
        return match.group(1) if match else "there"

    @bundle(trainable=True)
    def greet(self, lang, user_name):
        """Greet the user in their language, e.g. 'Hola, Juan!' or 'Hello, Ann!'."""
        greeting = "Hello"
        if lang.lower() == "es":
            greeting = "Hola"
        return f"{greeting}, {user_name}!"

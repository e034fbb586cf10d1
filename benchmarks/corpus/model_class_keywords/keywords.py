"""Keyword extraction for the search index."""

from opto.trace import bundle, model

STOPWORDS = ("a", "an", "and", "in", "of", "the", "to")


@model
class KeywordExtractor:
    """Pulls the content words out of a search query."""

    def __init__(self, stopwords=STOPWORDS):
        self.stopwords = set(stopwords)

    @bundle(trainable=True)
    def extract(self, query):
        """Return the query's words, lowercased, in order, leaving out stopwords.

        Stopwords are given in lowercase and match whatever the case in the
        query: "The" and "THE" are stopwords like "the".
        """
        words = query.split()
        return [word.lower() for word in words if word not in self.stopwords]

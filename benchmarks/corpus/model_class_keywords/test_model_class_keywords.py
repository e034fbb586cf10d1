import pytest

from keywords import KeywordExtractor


@pytest.mark.trainable
def test_lowercase_query():
    assert KeywordExtractor().extract("cat and dog").data == ["cat", "dog"]


@pytest.mark.trainable
def test_capitalised_stopwords():
    got = KeywordExtractor().extract("The Art of War").data
    assert got == ["art", "war"], f"extract('The Art of War') returned {got}"


@pytest.mark.trainable
def test_shouted_stopwords():
    got = KeywordExtractor().extract("History OF THE World").data
    assert got == ["history", "world"], f"extract('History OF THE World') returned {got}"


@pytest.mark.trainable
def test_custom_stopwords():
    extractor = KeywordExtractor(stopwords=["x"])
    assert extractor.extract("x y the").data == ["y", "the"]


@pytest.mark.trainable(holdout=True)
def test_more_mixed_case():
    extractor = KeywordExtractor()
    assert extractor.extract("Python In A Nutshell").data == ["python", "nutshell"]
    assert extractor.extract("THE END").data == ["end"]


@pytest.mark.trainable(holdout=True)
def test_empty_query():
    assert KeywordExtractor().extract("   ").data == []

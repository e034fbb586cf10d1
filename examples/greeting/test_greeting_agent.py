import pytest
from agent import GreetingAgent

pytestmark = pytest.mark.trainable


@pytest.fixture
def agent():
    return GreetingAgent()


def test_english_speaker(agent):
    assert agent("Hi, I'm Ann.") == "Hello, Ann!"


def test_spanish_speaker(agent):
    assert agent("Hola, soy Juan.") == "Hola, Juan!"


def test_spanish_with_me_llamo(agent):
    assert agent("Buenos días, me llamo Lucía.") == "Hola, Lucía!"


@pytest.mark.trainable(holdout=True)
def test_spanish_holdout(agent):
    assert agent("Hola, soy Pedro y vivo en Madrid.") == "Hola, Pedro!"

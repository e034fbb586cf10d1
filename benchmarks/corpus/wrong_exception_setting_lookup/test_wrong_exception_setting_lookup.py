import pytest

from app_settings import MissingSetting, get_setting

SETTINGS = {
    "db": {"host": "db.internal", "pool": {"size": 10, "timeout": 2.5}},
    "features": {"beta": False},
    "name": "shop",
}


@pytest.mark.trainable
def test_found_values():
    assert get_setting(SETTINGS, "db.pool.size") == 10
    assert get_setting(SETTINGS, "name") == "shop"
    assert get_setting(SETTINGS, "features.beta") is False


@pytest.mark.trainable
def test_default_for_a_missing_path():
    assert get_setting(SETTINGS, "db.pool.max", default=50) == 50


@pytest.mark.trainable
def test_missing_path_is_still_a_key_error():
    with pytest.raises(KeyError):
        get_setting(SETTINGS, "cache.ttl")


@pytest.mark.trainable
def test_missing_path_raises_missing_setting():
    with pytest.raises(MissingSetting) as info:
        get_setting(SETTINGS, "db.pool.max")
    assert info.value.args == ("db.pool.max",)


@pytest.mark.trainable(holdout=True)
def test_path_through_a_plain_value():
    with pytest.raises(MissingSetting) as info:
        get_setting(SETTINGS, "name.first")
    assert info.value.args == ("name.first",)
    assert get_setting(SETTINGS, "name.first", default="?") == "?"


@pytest.mark.trainable(holdout=True)
def test_top_level_missing():
    with pytest.raises(MissingSetting) as info:
        get_setting({}, "debug")
    assert info.value.args == ("debug",)

import copy

import pytest

from layered_config import merge

DEFAULTS = {
    "debug": False,
    "server": {"host": "127.0.0.1", "port": 8000, "tls": {"enabled": False, "cert": None}},
    "log": {"level": "info"},
}


@pytest.mark.trainable
def test_flat_override_wins():
    assert merge({"debug": False, "workers": 2}, {"debug": True}) == {"debug": True, "workers": 2}


@pytest.mark.trainable
def test_keys_from_both_are_kept():
    got = merge({"server": {"host": "a"}}, {"server": {"port": 1}})
    assert got == {"server": {"host": "a", "port": 1}}


@pytest.mark.trainable
def test_nested_override_wins():
    got = merge(DEFAULTS, {"server": {"port": 9000}})
    assert got["server"]["port"] == 9000, got
    assert got["server"]["host"] == "127.0.0.1"


@pytest.mark.trainable
def test_three_levels_deep():
    got = merge(DEFAULTS, {"server": {"tls": {"enabled": True}}, "log": {"level": "debug"}})
    assert got["server"]["tls"] == {"enabled": True, "cert": None}, got
    assert got["log"] == {"level": "debug"}


@pytest.mark.trainable
def test_arguments_are_not_modified():
    base, override = copy.deepcopy(DEFAULTS), {"server": {"port": 1}}
    merge(base, override)
    assert base == DEFAULTS and override == {"server": {"port": 1}}


@pytest.mark.trainable(holdout=True)
def test_site_file_then_command_line():
    site = {"server": {"host": "0.0.0.0", "tls": {"cert": "/etc/site.pem"}}}
    cli = {"server": {"tls": {"enabled": True}}, "debug": True}
    got = merge(merge(DEFAULTS, site), cli)
    assert got == {
        "debug": True,
        "server": {"host": "0.0.0.0", "port": 8000,
                   "tls": {"enabled": True, "cert": "/etc/site.pem"}},
        "log": {"level": "info"},
    }


@pytest.mark.trainable(holdout=True)
def test_dict_replaced_by_plain_value_and_back():
    assert merge({"log": {"level": "info"}}, {"log": "off"}) == {"log": "off"}
    assert merge({"log": "off"}, {"log": {"level": "warn"}}) == {"log": {"level": "warn"}}
    assert merge({"a": {"b": {"c": 1}}}, {"a": {"b": {"c": 2}}}) == {"a": {"b": {"c": 2}}}

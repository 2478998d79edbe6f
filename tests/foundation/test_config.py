"""Boot configuration: file, environment, overrides, defaults and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelhouse.config import load_config
from reelhouse.errors import ConfigError


def test_defaults_follow_xdg_data_home(tmp_path: Path) -> None:
    config = load_config(environ={}, overrides={})
    assert config.port == 8096
    assert config.data_dir.name == "reelhouse"
    assert config.effective_database_url.endswith("reelhouse.db")


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('port = 9000\nlog_level = "debug"\ndata_dir = "/srv/x"\n')
    env = {"REELHOUSE_PORT": "9100"}
    config = load_config(path, environ=env, overrides={"data_dir": tmp_path})
    assert config.port == 9100
    assert config.log_level == "debug"
    assert config.data_dir == tmp_path


def test_unknown_file_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("prot = 9000\n")
    with pytest.raises(ConfigError, match="did you mean 'port'"):
        load_config(path, environ={})


def test_unknown_environment_variable_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"REELHOUSE_DATADIR.*did you mean 'data_dir'"):
        load_config(environ={"REELHOUSE_DATADIR": "/x"})


def test_wrong_type_names_key_and_origin() -> None:
    with pytest.raises(ConfigError, match=r"REELHOUSE_PORT.*'port' must be of type int"):
        load_config(environ={"REELHOUSE_PORT": "eighty"})


def test_port_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match="TCP port"):
        load_config(environ={}, overrides={"port": 70000})


def test_invalid_toml_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("port = = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, environ={})


def test_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.toml", environ={})


def test_config_is_frozen(tmp_path: Path) -> None:
    config = load_config(environ={}, overrides={"data_dir": tmp_path})
    with pytest.raises(AttributeError):
        config.port = 1  # type: ignore[misc]

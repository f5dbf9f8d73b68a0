"""Settings: environment > .env > defaults; production refuses to start without what it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import Settings, SettingsError


@pytest.fixture
def clean_env(monkeypatch):  # type: ignore[no-untyped-def]
    for name in Settings.__dataclass_fields__:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


ROOT = Path(__file__).resolve().parent.parent


def test_precedence_environment_over_dotenv_over_defaults(clean_env, tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("ORG_NAME=文件里的街道\nREMINDER_OFFSETS=1d,30m\nSEND_RATE_PER_SECOND=7\n", encoding="utf-8")
    clean_env.setenv("SEND_RATE_PER_SECOND", "9")
    settings = Settings.load(env_file=env_file)
    assert settings.ORG_NAME == "文件里的街道"  # from .env
    assert settings.send_rate == 9  # the environment wins
    assert settings.reminder_offsets == [86400, 1800]
    assert settings.WECHAT_API_BASE_URL == "https://api.weixin.qq.com/cgi-bin/"  # default
    assert Settings.load({"ORG_NAME": "覆盖"}, env_file=env_file).ORG_NAME == "覆盖"


def test_defaults_are_the_documented_ones(clean_env, tmp_path):
    settings = Settings.load(env_file=tmp_path / "missing.env")
    assert settings.reminder_offsets == [86400, 7200]
    assert [int(x) for x in settings.star_levels] == [100, 300, 600, 1000, 1500]
    assert settings.sandbox and not settings.production


def test_production_names_the_missing_settings(clean_env, tmp_path):
    clean_env.setenv("APP_ENV", "production")
    clean_env.setenv("WECHAT_TOKEN", "t")
    with pytest.raises(SettingsError) as err:
        Settings.load(env_file=tmp_path / "missing.env")
    message = str(err.value)
    for name in ("WECHAT_APP_ID", "WECHAT_APP_SECRET", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"):
        assert name in message
    assert "WECHAT_TOKEN" not in message


def test_production_starts_with_everything_set(clean_env, tmp_path):
    values = {"APP_ENV": "production", "WECHAT_TOKEN": "t", "WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s",
              "DATABASE_URL": "postgresql://db/x", "REDIS_URL": "redis://r:6379/0", "SECRET_KEY": "k"}  # fmt: skip
    for name, value in values.items():
        clean_env.setenv(name, value)
    assert Settings.load(env_file=tmp_path / "missing.env").production


@pytest.mark.parametrize(
    "name,value",
    [
        ("REMINDER_OFFSETS", "24x"),
        ("STAR_LEVEL_HOURS", "300,100"),
        ("SEND_RATE_PER_SECOND", "-1"),
        ("WECHAT_ENCODING_AES_KEY", "short"),
        ("APP_ENV", "staging"),
        ("CONVERSATION_TIMEOUT", "ten minutes"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_malformed_settings_stop_start_up(clean_env, tmp_path, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        Settings.load(env_file=tmp_path / "missing.env")
    assert name in str(err.value)  # the message names the setting to fix


def test_the_process_logs_at_the_level_set_and_masks_phones(clean_env, tmp_path):
    """wsgi.py starts gunicorn's and the CLI's processes: it configures logging, once."""
    script = (
        "import logging, wsgi\n"
        "print(logging.getLevelName(logging.getLogger().level))\n"
        "logging.getLogger('some.module').error('called 13800138000')\n"
    )
    env = {**os.environ, "LOG_LEVEL": "warning", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "WARNING"
    assert "138****8000" in done.stderr and "13800138000" not in done.stderr


def test_building_an_app_leaves_the_process_logging_alone(clean_env, tmp_path):
    import logging

    from bot.app import create_app

    root = logging.getLogger()
    before = (root.level, list(root.handlers), logging.getLogRecordFactory())
    create_app({"LOG_LEVEL": "DEBUG", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}).extensions["bot"].close()
    assert (root.level, list(root.handlers), logging.getLogRecordFactory()) == before

"""Component settings read prefixed environment variables and explain bad values."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from pydantic_settings import SettingsConfigDict

from rescope.exceptions import SettingsError
from rescope.resources import (
    ComponentSettings,
    DatabaseSettings,
    FFmpeg,
    FFmpegSettings,
    OffloadSettings,
    RedisSettings,
)


class ReplicateSettings(ComponentSettings):
    model_config = SettingsConfigDict(env_prefix="REPLICATE_")

    webhook_timeout: int = 300
    api_token: SecretStr
    mode: str = "webhook"


def test_values_come_from_prefixed_variables(monkeypatch) -> None:
    """Each component reads its own prefix; unknown variables are ignored."""
    monkeypatch.setenv("DB_POOL_SIZE", "7")
    monkeypatch.setenv("DB_PRE_PING", "no")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/2")
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_secret")
    monkeypatch.setenv("REPLICATE_UNKNOWN", "ignored")
    assert DatabaseSettings().pool_size == 7
    assert RedisSettings().url == "redis://cache:6379/2"
    replicate = ReplicateSettings()
    assert replicate.api_token.get_secret_value() == "r8_secret"
    assert replicate.webhook_timeout == 300


def test_keyword_arguments_override_the_environment(monkeypatch) -> None:
    """Values passed in code win over the environment."""
    monkeypatch.setenv("DB_POOL_SIZE", "7")
    assert DatabaseSettings(pool_size=2).pool_size == 2


def test_settings_are_frozen() -> None:
    """A settings object cannot change after it is read, so it can be shared app-wide."""
    settings = RedisSettings()
    with pytest.raises(Exception, match="frozen"):
        settings.url = "redis://other"


def test_errors_name_each_variable_its_value_and_the_expected_form(monkeypatch) -> None:
    """Every bad variable is named with what it holds and the form it must take."""
    monkeypatch.setenv("DB_POOL_SIZE", "lots")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "-1")
    monkeypatch.setenv("DB_ECHO", "perhaps")
    with pytest.raises(SettingsError) as info:
        DatabaseSettings()
    err = info.value
    assert err.variables == ("DB_POOL_SIZE", "DB_MAX_OVERFLOW", "DB_ECHO")
    assert err.setting == "DB_POOL_SIZE"
    text = str(err)
    assert "DB_POOL_SIZE='lots': expected a whole number" in text
    assert "DB_MAX_OVERFLOW='-1': expected a whole number >= 0" in text
    assert "DB_ECHO='perhaps': expected true or false" in text
    assert "\nTry setting each variable" in text


def test_missing_required_and_secret_values_are_not_echoed(monkeypatch) -> None:
    """A missing required variable says so; a secret's value never appears in the message."""
    with pytest.raises(SettingsError, match=r"REPLICATE_API_TOKEN is not set: expected text"):
        ReplicateSettings()
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_secret")
    monkeypatch.setenv("REPLICATE_WEBHOOK_TIMEOUT", "soon")
    with pytest.raises(SettingsError) as info:
        ReplicateSettings(api_token=12)
    assert "r8_secret" not in str(info.value)
    assert "REPLICATE_WEBHOOK_TIMEOUT='soon'" in str(info.value)


def test_offload_settings_read_the_pool_variables(monkeypatch) -> None:
    """OffloadSettings validates CPU_EXECUTOR_POOL_SIZE and IO_EXECUTOR_POOL_SIZE."""
    monkeypatch.setenv("CPU_EXECUTOR_POOL_SIZE", "3")
    assert OffloadSettings().cpu_executor_pool_size == 3
    monkeypatch.setenv("IO_EXECUTOR_POOL_SIZE", "0")
    with pytest.raises(
        SettingsError, match="IO_EXECUTOR_POOL_SIZE='0': expected a whole number >= 1"
    ):
        OffloadSettings()


def test_ffmpeg_settings_build_the_service(monkeypatch) -> None:
    """FFmpeg(**FFmpegSettings().model_dump()) configures the service from FFMPEG_*."""
    monkeypatch.setenv("FFMPEG_TIMEOUT", "12.5")
    ffmpeg = FFmpeg(**FFmpegSettings().model_dump())
    assert ffmpeg.timeout == 12.5
    assert ffmpeg.binary == "ffmpeg"


def test_env_name_maps_fields_to_variables() -> None:
    """env_name() tells which variable sets a field."""
    assert DatabaseSettings.env_name("pool_size") == "DB_POOL_SIZE"
    assert OffloadSettings.env_name("io_executor_pool_size") == "IO_EXECUTOR_POOL_SIZE"

"""Settings and reply texts: the parts of the product the office may change without touching logic."""

from config.settings import Settings, SettingsError

__all__ = ["Settings", "SettingsError"]

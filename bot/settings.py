"""Settings: config.yml plus ATHAR_* environment variables, validated at start.

Secrets are read from the environment only; a secret written in config.yml is refused.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from domain.languages import Lang, document_language

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config.yml"

SECRET_KEYS = {
    "telegram_token",
    "telegram_webhook_secret",
    "whatsapp_token",
    "whatsapp_app_secret",
    "whatsapp_verify_token",
    "pseudonym_key",
}


class SettingsError(ValueError):
    """Raised with a message that names the bad key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NluSettings(_Section):
    url: str | None = "http://127.0.0.1:5005"  # empty or "none": no Rasa, the fallback parser only
    timeout_seconds: float = Field(3.0, gt=0, le=60)
    autostart: bool = True
    max_chars: int = Field(1000, ge=50, le=20000)

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None or v.strip().lower() in ("", "none", "off"):
            return None
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL, or empty for none")
        return v.rstrip("/")


class TelegramSettings(_Section):
    api_url: str = "https://api.telegram.org/bot"
    bot_username: str = "AtharBot"
    webhook_url: str | None = None  # public HTTPS URL of /telegram, registered by `athar web`
    max_rate: float = Field(30, ge=0)  # messages per second for the whole bot (0: no pacing)
    max_retries: int = Field(3, ge=0, le=10)  # retries after a 429 or a network error


class WhatsAppTemplate(_Section):
    """An approved message template (WhatsApp Manager), sent when the 24-hour window is closed.
    `params` name the values filled into the body's {{1}}, {{2}}… in that order; `button`: the
    template has a quick-reply button (its payload, given when sending, comes back when pressed)."""

    name: str = Field(min_length=1, max_length=512, pattern=r"^[a-z0-9_]+$")
    languages: dict[Lang, str] = Field(default_factory=lambda: {Lang.FR: "fr", Lang.AR: "ar"})
    params: list[str] = Field(default_factory=list, max_length=10)
    button: bool = False

    def language_code(self, lang: str) -> str:
        """The template language for a user's language: Darija users get the Arabic one
        (templates exist in French and Arabic), anyone else the French one."""
        wanted = document_language(lang)
        for key, code in self.languages.items():
            if key.value == wanted:
                return code
        return next(iter(self.languages.values()), "fr")


def _default_templates() -> dict[str, WhatsAppTemplate]:
    return {
        "reply_waiting": WhatsAppTemplate(name="athar_reply_waiting", button=True),
        "poll_invitation": WhatsAppTemplate(
            name="athar_poll_invitation", params=["title", "commune"], button=True
        ),
        "poll_reminder": WhatsAppTemplate(name="athar_poll_reminder", params=["title"], button=True),
    }


class WhatsAppSettings(_Section):
    # Graph API base with its version; tests point it at the emulator
    api_url: str = "https://graph.facebook.com/v26.0"
    phone_number_id: str | None = None  # the sending number's id (WhatsApp Manager)
    phone_number: str | None = None  # the same number in digits, for wa.me links (212600...)
    max_rate: float = Field(80, ge=0)  # messages per second for the number (0: no pacing)
    media_dir: str = "var/media"  # voice notes and images received, by content hash
    grace_seconds: float = Field(30, ge=0)  # unprocessed events / unsent replies older than
    #                                         this are taken over by the sweep (any worker)
    sweep_seconds: float = Field(10, gt=0)  # how often the sweep runs
    templates: dict[str, WhatsAppTemplate] = Field(default_factory=_default_templates)

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v.rstrip("/")

    @field_validator("phone_number")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        digits = re.sub(r"[\s+()-]", "", v)
        if not digits.isdigit() or not 8 <= len(digits) <= 15:
            raise ValueError("must be the full number in international form, e.g. 212600000000")
        return digits


# Exact environment names that also set a nested key (ATHAR_<SECTION>__<KEY> always works too,
# and wins when both are set).
ENV_ALIASES = {
    "ATHAR_TELEGRAM_API_URL": ("telegram", "api_url"),
    "ATHAR_WHATSAPP_API_URL": ("whatsapp", "api_url"),
    "ATHAR_WHATSAPP_PHONE_NUMBER_ID": ("whatsapp", "phone_number_id"),
    "ATHAR_WHATSAPP_PHONE_NUMBER": ("whatsapp", "phone_number"),
}


class _AliasSource(PydanticBaseSettingsSource):
    def get_field_value(self, field, field_name):  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, (section, key) in ENV_ALIASES.items():
            value = os.environ.get(name)
            if value:
                out.setdefault(section, {})[key] = value
        return out


class InviteSettings(_Section):
    valid_days: int = Field(30, ge=1, le=365)


class PollSettings(_Section):
    min_group_size: int = Field(5, ge=1, le=100)
    retention_months: int = Field(36, ge=1, le=120)


class DashboardSettings(_Section):
    # the dashboard's public address (its links are <url>/dashboard/...); https in production,
    # behind the reverse proxy that serves `athar web`
    url: str = "http://127.0.0.1:8080"
    link_minutes: int = Field(15, ge=1, le=1440)  # a sign-in link works this long, once
    session_hours: float = Field(12, gt=0, le=24 * 30)  # then the browser stays signed in this long

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return v.rstrip("/")


class LoggingSettings(_Section):
    level: str = "INFO"

    @field_validator("level")
    @classmethod
    def _level(cls, v: str) -> str:
        v = v.upper()
        if v not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return v


class _YamlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], path: Path):
        super().__init__(settings_cls)
        self.path = path

    def get_field_value(self, field, field_name):  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise SettingsError(f"{self.path}: expected a mapping of settings")
        leaked = SECRET_KEYS & set(data)
        if leaked:
            raise SettingsError(
                f"{self.path}: '{sorted(leaked)[0]}' is a secret: set it in the environment "
                f"(ATHAR_{sorted(leaked)[0].upper()}), never in config.yml"
            )
        return data


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ATHAR_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    database_url: str = "sqlite:///var/athar.db"
    default_language: Lang = Lang.FR
    nlu: NluSettings = NluSettings()
    telegram: TelegramSettings = TelegramSettings()
    whatsapp: WhatsAppSettings = WhatsAppSettings()
    invites: InviteSettings = InviteSettings()
    polls: PollSettings = PollSettings()
    dashboard: DashboardSettings = DashboardSettings()
    logging: LoggingSettings = LoggingSettings()

    # Secrets: environment only.
    telegram_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    whatsapp_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    pseudonym_key: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        path = Path(os.environ.get("ATHAR_CONFIG", DEFAULT_CONFIG))
        return (init_settings, env_settings, _AliasSource(settings_cls), _YamlSource(settings_cls, path))

    @property
    def whatsapp_enabled(self) -> bool:
        """Every WhatsApp setting needed to serve /whatsapp is there."""
        return None not in (
            self.whatsapp_token,
            self.whatsapp_app_secret,
            self.whatsapp_verify_token,
            self.whatsapp.phone_number_id,
        )

    def whatsapp_missing(self) -> list[str]:
        return [
            name
            for name, value in (
                ("ATHAR_WHATSAPP_TOKEN", self.whatsapp_token),
                ("ATHAR_WHATSAPP_APP_SECRET", self.whatsapp_app_secret),
                ("ATHAR_WHATSAPP_VERIFY_TOKEN", self.whatsapp_verify_token),
                ("ATHAR_WHATSAPP_PHONE_NUMBER_ID", self.whatsapp.phone_number_id),
            )
            if value is None
        ]

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL with a relative SQLite path resolved against the project root."""
        url = self.database_url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            path = ROOT / url[len(prefix) :]
            path.parent.mkdir(parents=True, exist_ok=True)
            return prefix + str(path)
        if url.startswith("postgresql://"):
            return "postgresql+psycopg://" + url[len("postgresql://") :]
        return url


def load_settings(**overrides: Any) -> Settings:
    """Build and validate settings; raise SettingsError naming the bad key."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        env = "ATHAR_" + "__".join(str(p) for p in err["loc"]).upper()
        raise SettingsError(f"invalid setting '{key}' (config.yml or {env}): {err['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()

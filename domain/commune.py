"""Communes of the programme."""

from __future__ import annotations


from pydantic import BaseModel, ConfigDict, Field

from domain.languages import document_language
from domain.text import ascii_slug


class CommuneNames(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fr: str = Field(min_length=1)
    ar: str = Field(min_length=1)


class Commune(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    names: CommuneNames
    province: str
    region: str
    belgian_partner: str | None = None
    partner_to_confirm: bool = False

    def name(self, lang: str) -> str:
        return self.names.ar if document_language(lang) == "ar" else self.names.fr


def slug(text: str) -> str:
    """A loose key to match a commune typed by a user ("Ait-Baha", "AÏT BAHA")."""
    return ascii_slug(text, "")


def find_commune(communes: list[Commune], text: str) -> Commune | None:
    key = slug(text)
    for c in communes:
        if key and key in (slug(c.id), slug(c.names.fr)) or text.strip() == c.names.ar:
            return c
    return None

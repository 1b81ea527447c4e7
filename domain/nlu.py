"""The NLU port: what the dialogues need to know about a free-text message.

Labels follow the NLU contract (shared/docs/NLU.md). Any engine (Rasa over HTTP, the
keyword fallback, a future model) returns an `Understanding`.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, Field

DIALOGUE_INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thanks",
    "affirm",
    "deny",
    "help",
    "back",
    "skip",
    "restart",
    "cancel",
    "change_language",
    "dont_know",
    "menu",
)
# what a registered user wants to do, said in words (routed to a menu entry's dialogue)
FEATURE_INTENTS: tuple[str, ...] = (
    "show_projects",
    "new_project",
    "add_effect",
    "add_unexpected",
    "add_indicator",
    "add_measure",
    "export",
    "poll",
)
STATEMENT_INTENTS: tuple[str, ...] = ("describe_activity", "describe_output", "describe_effect")
OTHER_INTENTS: tuple[str, ...] = ("out_of_scope", "nlu_fallback")
ALL_INTENTS: tuple[str, ...] = DIALOGUE_INTENTS + FEATURE_INTENTS + STATEMENT_INTENTS + OTHER_INTENTS

PUBLICS: tuple[str, ...] = ("youth", "women", "disability", "migrants", "children", "elderly")
DOMAINS: tuple[str, ...] = (
    "employment_income",
    "education_training",
    "health_wellbeing",
    "social_ties",
    "civic_participation",
    "access_services",
    "empowerment",
    "culture_sport",
    "living_environment",
)
# qualifier: "about" / "at_least" / "at_most" said around a number; date: see nlu/dates.py
ENTITY_TYPES: tuple[str, ...] = ("public", "domain", "number", "percent", "duration", "qualifier", "date")


class Intent(BaseModel):
    name: str
    confidence: float = Field(ge=0.0, le=1.0)


class Entity(BaseModel):
    entity: str
    value: str | float
    start: int = 0
    end: int = 0


class Understanding(BaseModel):
    text: str
    language: str | None = None  # one of the Lang tags
    intent: Intent
    entities: list[Entity] = Field(default_factory=list)
    # every intent the engine scored, likeliest first (the statement steps read the statement
    # intents' share of it, whatever dialogue intent came first); may be empty
    ranking: list[Intent] = Field(default_factory=list)
    engine: str = "rasa"  # "rasa" | "fallback" | "none"
    # the message is nothing but a dialogue command's words ("retour au menu svp"), no content
    # ("l'association Tanger Accueil" is not): only then may it be taken for a command
    command_only: bool = False
    # P(activity), P(output), P(effect) if the message is a results-chain statement, from the
    # statement-level model (nlu/levels.py); the coach reads these at its statement steps
    levels: dict[str, float] | None = None

    def first(self, entity: str) -> Entity | None:
        return next((e for e in self.entities if e.entity == entity), None)

    def values(self, entity: str) -> list[str | float]:
        return [e.value for e in self.entities if e.entity == entity]


@runtime_checkable
class NLU(Protocol):
    """Understands one message. Must never raise for bad text; must be thread-safe."""

    def parse(self, text: str, *, hint: str | None = None) -> Understanding: ...

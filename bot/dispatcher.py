"""The dispatcher: one incoming message, end to end (DESIGN §3).

1. open one unit of work; lock and load the conversation; drop a duplicate delivery;
2. resolve the user; global intents first (help, cancel, back, skip, menu, language);
3. the active dialogue handles the rest (free text goes through the NLU);
4. save the state and the replies (outbox) and commit once; render the replies after the commit.

A failure anywhere rolls back the whole message: the old state stays, nothing is half written.
"""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from domain.buttons import LanguagePick
from domain.dialogue import (
    BACK_DATA,
    CANCEL_DATA,
    SKIP_DATA,
    Answer,
    Ctx,
    DialogueState,
    Engine,
    Option,
    has_words,
)
from domain.dialogue import Outcome as Move  # a hook's result (this module's Outcome is a message's)
from domain.languages import ALL_LANGS, Lang
from domain.messages import MAX_TEXT, REMINDED, Button, Incoming, Msg, Notice, Rendered, Reply, msg
from domain.nlu import FEATURE_INTENTS, NLU, Understanding
from domain.commune import Commune
from domain.knowledge import KnowledgeBase
from domain.polls import QuestionBank
from domain.ports import OutboxItem, PollChartMaker, PollInvitationMaker, UnitOfWorkFactory
from domain.records import AuditEntry, Story
from domain.text import ASCII_DIGITS, fold

from bot.handlers import Handlers
from bot.i18n import Catalog
from bot.logs import tag

if TYPE_CHECKING:
    from bot.services.exports import Exporter
    from bot.settings import Settings

log = logging.getLogger("athar.dispatcher")

# Free text is read as a global intent only when it is short and the NLU is sure.
GLOBAL_INTENTS = {"help", "cancel", "back", "skip", "menu", "change_language", "restart"}
GLOBAL_MIN_CONFIDENCE = 0.80
GLOBAL_MAX_WORDS = 5
LEAVING = {"menu", "restart", "cancel"}  # typed inside a dialogue with input: asked first
FEATURE_MAX_WORDS = 6  # "bghit nzid indicateur 3afak": a request for a menu entry, not an answer
LEAVE_DATA, STAY_DATA, ANSWER_DATA = "sys:leave", "sys:stay", "sys:answer"
MEDIA_ACK = {
    "voice": "media.stored_voice",
    "audio": "media.stored_voice",
    "photo": "media.stored_photo",
    "document": "media.stored_file",
    "video": "media.stored_file",
}
NOT_KEPT = {"location": "media.location", "other": "media.unsupported"}
NOT_GIVEN: Any = object()  # `handle` without an understanding asks the NLU itself


@dataclass
class Outcome:
    replies: list[Rendered] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    duplicate: bool = False
    language: str = Lang.FR.value
    refused: bool = False  # the message was not taken as an answer (asked again or clarified)


@dataclass
class Services:
    """What handlers may use besides the unit of work (ctx.services)."""

    engine: Engine
    handlers: Handlers
    catalog: Catalog
    nlu: NLU | None = None
    communes: tuple[Commune, ...] = ()
    settings: Settings | None = None
    knowledge: KnowledgeBase | None = None  # knowledge.loader.load_knowledge(), when loaded
    # installed by the composition root (bot.services.exports.install, bot.poll_support.install)
    exporter: Exporter | None = None
    poll_bank: QuestionBank | None = None
    pseudonym_key: bytes | None = None  # keys respondents' pseudonyms (domain.polls)
    poll_invitation: PollInvitationMaker | None = None
    poll_chart: PollChartMaker | None = None

    def commune_name(self, commune_id: str | None, lang: str) -> str:
        for c in self.communes:
            if c.id == commune_id:
                return c.name(lang)
        return commune_id or ""


class Dispatcher:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        services: Services,
        default_language: str = Lang.FR.value,
        use_outbox: bool = True,
        read_uow_factory: UnitOfWorkFactory | None = None,
    ):
        self.uow_factory = uow_factory
        # units of work that only read, for jobs (storage.db.make_read_engine)
        self.read_uow_factory = read_uow_factory or uow_factory
        self.services = services
        self.engine = services.engine
        self.catalog = services.catalog
        self.default_language = default_language
        self.use_outbox = use_outbox

    # -- public ----------------------------------------------------------------------------
    def understand(self, incoming: Incoming) -> Understanding | None:
        """What the NLU makes of a message's free text (None for buttons, commands, media or
        text without words). `handle` does this itself unless it is given the result: a
        channel may run it elsewhere, e.g. while the database works on other messages."""
        return self._understand(self._clean(incoming))

    def handle(self, incoming: Incoming, understanding: Understanding | None | object = NOT_GIVEN) -> Outcome:
        started = time.perf_counter()
        incoming = self._clean(incoming)
        if understanding is NOT_GIVEN:
            understanding = self._understand(incoming)
        with self.uow_factory() as uow:
            conv = uow.conversations.lock(incoming.channel, incoming.chat_id)
            if incoming.message_id and not uow.inbox.record(incoming.channel, incoming.message_id):
                log.info("duplicate message dropped", extra={"conv": _key(incoming)})
                return Outcome(duplicate=True)
            user = uow.users.by_identity(incoming.channel, incoming.user_ref)
            state = DialogueState.model_validate(conv.state or {})
            before = state.dialogue
            lang = conv.language or (user.language if user else None)
            ctx = Ctx(state=state, lang=lang or "", uow=uow, user=user, services=self.services, chat=incoming)
            ctx.render = lambda m: self.catalog.render_msg(m, ctx.lang or self.default_language)
            ctx.variants = self._variants
            replies = self._route(ctx, incoming, understanding)
            if ctx.extra.pop("ask_language", False):
                replies = [self._language_question(ctx)]
            replies = ctx.notes + replies
            lang = ctx.lang or self.default_language
            if ctx.user is not None and ctx.user.language != lang and ctx.user.id is not None:
                ctx.user.language = lang
                uow.users.save(ctx.user)
            conv.state = state.model_dump(mode="json")
            conv.language = ctx.lang or None
            conv.user_id = ctx.user.id if ctx.user is not None else conv.user_id
            conv.version += 1
            uow.conversations.save(conv)
            ids: list[int] = []
            if self.use_outbox:
                # a beneficiary's poll conversation: its replies leave no row once sent
                private = bool(self.services.handlers.anonymous & {before, state.dialogue})
                items = uow.outbox.add_many(
                    [
                        OutboxItem(
                            channel=incoming.channel,
                            chat_id=incoming.chat_id,
                            payload={"reply": r.model_dump(mode="json"), "language": lang},
                            private=private,
                        )
                        for r in replies
                    ]
                )
                ids = [item.id or 0 for item in items]
            uow.commit()
        # Rendered only after the commit: what is sent always matches what was saved.
        rendered = [self.catalog.render(r, lang) for r in replies]
        log.debug(
            "handled in %.1f ms", (time.perf_counter() - started) * 1000, extra={"conv": _key(incoming)}
        )
        return Outcome(
            replies=rendered, outbox_ids=ids, language=lang, refused=bool(ctx.extra.get("refused"))
        )

    def current_prompt(self, channel: str, chat_id: str, user_ref: str) -> tuple[list[Rendered], str | None]:
        """The question a conversation is waiting on (to resume a session), read-only."""
        with self.uow_factory() as uow:
            conv = uow.conversations.get(channel, chat_id)
            if conv is None or not conv.state.get("dialogue"):
                return [], conv.language if conv else None
            user = uow.users.by_identity(channel, user_ref)
            state = DialogueState.model_validate(conv.state)
            lang = conv.language or self.default_language
            ctx = Ctx(state=state, lang=lang, uow=uow, user=user, services=self.services)
            ctx.render = lambda m: self.catalog.render_msg(m, lang)
            ctx.variants = self._variants
            replies = self.engine.prompt(ctx)
            uow.rollback()
        return [self.catalog.render(r, lang) for r in replies], conv.language

    def remind(
        self, channel: str, chat_id: str, lead: Msg, notice: Notice, still: Callable[[DialogueState], bool]
    ) -> bool:
        """Write first to a conversation that waits on a question (a reminder): `lead` and the
        question again, as one reply in the outbox (any worker's sweep sends it), carrying
        `notice` (a channel that may not write first sends its template instead). Nothing when
        the conversation has moved on (`still` says no) or was reminded in this dialogue
        already. True if the reminder was written."""
        with self.uow_factory() as uow:
            conv = uow.conversations.lock(channel, chat_id)
            state = DialogueState.model_validate(conv.state or {})
            if not still(state) or state.data.get(REMINDED):
                uow.rollback()
                return False
            user = uow.users.get(conv.user_id) if conv.user_id is not None else None
            lang = conv.language or self.default_language
            ctx = Ctx(state=state, lang=lang, uow=uow, user=user, services=self.services)
            ctx.render = lambda m: self.catalog.render_msg(m, lang)
            ctx.variants = self._variants
            asked = self.engine.prompt(ctx)
            if not asked:
                uow.rollback()
                return False
            first = asked[0].model_copy(update={"lines": [lead, *asked[0].lines], "notice": notice})
            state.data[REMINDED] = True
            conv.state = state.model_dump(mode="json")
            conv.version += 1
            uow.conversations.save(conv)
            private = bool(self.services.handlers.anonymous & {state.dialogue})
            uow.outbox.add_many(
                [
                    OutboxItem(
                        channel=channel,
                        chat_id=chat_id,
                        payload={"reply": r.model_dump(mode="json"), "language": lang},
                        private=private,
                    )
                    for r in [first, *asked[1:]]
                ]
            )
            uow.commit()
        return True

    def fulfil(self, reply: Rendered) -> Rendered:
        """Run the job a reply carries (domain.messages.Job) and return what to send instead;
        a reply without a job is returned as it is. Called by the channels just before sending,
        in a worker thread; the job reads in its own unit of work (a reading one: on SQLite it
        does not hold up other messages however long it takes), which is never committed.
        A failing job becomes an error message: the user is always told."""
        if not reply.job:
            return reply
        lang = reply.language or self.default_language
        kind = str(reply.job.get("kind", ""))
        runner = self.services.handlers.jobs.get(kind)
        try:
            if runner is None:
                raise LookupError(f"no runner for job {kind!r}")
            with self.read_uow_factory() as uow:
                try:
                    result = runner(self.services, uow, dict(reply.job.get("params") or {}))
                finally:
                    uow.rollback()
        except Exception:  # noqa: BLE001 - told to the user, logged for us
            log.exception("job %s failed", kind)
            result = Reply.of("common.error")
        return self.catalog.render(result.model_copy(update={"job": None}), lang)

    def mark_sent(self, outbox_ids: list[int]) -> None:
        if not outbox_ids:
            return
        with self.uow_factory() as uow:
            for i in outbox_ids:
                uow.outbox.mark_sent(i)
            uow.commit()

    def render_error(self, lang: str | None) -> Rendered:
        return self.catalog.render(Reply.of("common.error"), lang or self.default_language)

    # -- steps -----------------------------------------------------------------------------
    def _variants(self, m: Any) -> list[str]:
        return [self.catalog.render_msg(m, lang.value) for lang in ALL_LANGS]

    def _clean(self, incoming: Incoming) -> Incoming:
        update: dict[str, Any] = {"text": _clean_text(incoming.text)}
        media = incoming.media
        if media is not None and media.caption is not None:
            update["media"] = media.model_copy(update={"caption": _clean_text(media.caption)})
        return incoming.model_copy(update=update)

    def _understand(self, incoming: Incoming) -> Understanding | None:
        """Free text goes to the NLU, outside the database transaction (it may be slow)."""
        text = (incoming.text or "").strip()
        if incoming.button or incoming.command or not text or self.services.nlu is None:
            return None
        if not has_words(text):
            return None
        try:
            return self.services.nlu.parse(text, hint=incoming.lang_hint)
        except Exception:  # the NLU port must not raise; if it does, go on without it
            log.exception("NLU failed")
            return None

    def _route(self, ctx: Ctx, incoming: Incoming, u: Understanding | None) -> list[Reply]:
        st = ctx.state
        first_contact = not ctx.lang
        if first_contact:
            guess = (u.language if u else None) or _hint(incoming.lang_hint) or self.default_language
            ctx.lang = guess
            st.data.setdefault("guess", guess)
        incoming = _number_as_button(st, incoming)
        # 1. commands
        if incoming.command:
            st.pending = None
            return self._command(ctx, incoming.command.lower(), incoming.command_arg)
        # 1b. the answer to "leave this dialogue?"
        if st.pending and st.pending.get("kind") == "leave" and (incoming.button or incoming.text):
            replies = self._answer_leave(ctx, incoming, u)
            if replies is not None:
                return replies
        # 2. buttons that work everywhere
        if incoming.button:
            return self._button(ctx, incoming, incoming.button)
        # 3. media
        if incoming.media is not None and not incoming.text:
            if st.dialogue and st.step and self._step_accepts_media(st):
                return self.engine.answer(ctx, Answer(media=incoming.media, text=incoming.media.caption))
            return self._keep_media(ctx, incoming) + self._prompt_or_default(ctx)
        # 4. free text
        return self._text(ctx, incoming, u, first_contact)

    def _button(self, ctx: Ctx, incoming: Incoming, b: str) -> list[Reply]:
        """A pressed button: the language, cancel, back and skip anywhere, a note's button
        (a lesson offered earlier), else the current step's."""
        if b.startswith(LanguagePick.PREFIX):  # a malformed one is refused as an unknown language
            pick = LanguagePick.read(b)
            return self._set_language(ctx, pick.code if pick is not None else "", incoming)
        if b == CANCEL_DATA:
            return self._cancel(ctx)
        if b == BACK_DATA:
            return self.engine.back(ctx)
        if b == SKIP_DATA:
            return self.engine.skip(ctx)
        anywhere = self.services.handlers.button_handler(b)
        if anywhere is not None:  # a note's button (a lesson offered earlier), pressed now
            return self._carry_out(ctx, anywhere(ctx, b))
        if ctx.state.dialogue is None:
            return self._default(ctx)
        return self.engine.answer(ctx, Answer(button=b))

    def _text(
        self, ctx: Ctx, incoming: Incoming, u: Understanding | None, first_contact: bool
    ) -> list[Reply]:
        """Free text: a command in words, a feature named in words, a language named, else the
        current step's answer."""
        st = ctx.state
        text = (incoming.text or "").strip()
        if st.dialogue is None:
            if first_contact or not text:
                return self._default(ctx)
            if u is not None and self._is_global(u, text):
                return self._global(ctx, u.intent.name)
            return self._default(ctx)
        if not text:
            ctx.refused()
            return [Reply.of("common.empty")] + self.engine.prompt(ctx)
        if (
            u is not None
            and self._is_global(u, text)
            and not self._literal_step(st)
            and self.engine.offered(ctx, Answer(text=text)) is None
        ):
            return self._global(ctx, u.intent.name, typed=text)
        target = self._feature(ctx, u, text)
        if target is not None:  # "bghit nzid indicateur" at a question with other buttons
            if self.engine.has_input(ctx):
                return [self._ask_leave(ctx, "feature", text, target)]
            return self.engine.start(ctx, target)
        lang_choice = self._typed_language(text)
        if lang_choice and st.step != "language":
            return self._set_language(ctx, lang_choice, incoming)
        return self.engine.answer(ctx, Answer(text=text, understanding=u))

    def _carry_out(self, ctx: Ctx, result: list[Reply] | Move) -> list[Reply]:
        """What a payload or button handler returned: its replies, or where the conversation
        goes, which the engine carries out."""
        return result if isinstance(result, list) else self.engine.go(ctx, result)

    def _is_global(self, u: Understanding, text: str) -> bool:
        """A command typed in words: the NLU is sure, and the message is nothing but the
        command ("l'association Tanger Accueil" mentions "accueil" but is an answer)."""
        return (
            u.intent.name in GLOBAL_INTENTS
            and u.intent.confidence >= GLOBAL_MIN_CONFIDENCE
            and u.command_only
            and len(text.split()) <= GLOBAL_MAX_WORDS
        )

    def _command(self, ctx: Ctx, command: str, arg: str | None) -> list[Reply]:
        if command == "start":
            if arg:
                for handler in self.services.handlers.payloads:
                    replies = handler(ctx, arg)
                    if replies is not None:
                        return self._carry_out(ctx, replies)
            if ctx.state.dialogue:
                return self.engine.prompt(ctx)
            return self._default(ctx)
        if command == "language":
            return self._global(ctx, "change_language")
        if command in ("help", "cancel", "back", "skip", "menu", "restart"):
            return self._global(ctx, command)
        action = self.services.handlers.actions.get(command)
        if action is not None:
            if ctx.user is not None and ctx.user.registered:
                return action(ctx) + self._prompt_or_default(ctx)
            return self._default(ctx)
        dialogue = self.services.handlers.commands.get(command)
        if dialogue is not None:
            if ctx.user is not None and ctx.user.registered:
                return self.engine.start(ctx, dialogue)
            return self._default(ctx)
        return [Reply.of("common.unknown_command", command="/" + command[:32])] + self._prompt_or_default(ctx)

    def _global(self, ctx: Ctx, intent: str, typed: str | None = None) -> list[Reply]:
        """A global intent; `typed` when it came as words, not as a command or a button: then
        leaving a dialogue with input is asked first."""
        if intent == "help":
            return [Reply.of("help.general"), Reply.of("help.commands")] + self._prompt_or_default(ctx)
        if intent in LEAVING and typed is not None and self.engine.has_input(ctx):
            return [self._ask_leave(ctx, intent, typed)]
        if intent == "cancel":
            return self._cancel(ctx)
        if intent == "back":
            return self.engine.back(ctx)
        if intent == "skip":
            return self.engine.skip(ctx)
        if intent == "change_language":
            return [self._language_question(ctx)]
        if intent in ("menu", "restart"):
            return self._leave(ctx)
        return self._prompt_or_default(ctx)

    def _leave(self, ctx: Ctx, to: str | None = None) -> list[Reply]:
        """To the menu (or the onboarding), or to dialogue `to`; what the dialogue had is kept
        as a draft."""
        left = ctx.state.dialogue
        ctx.extra["left"] = left
        notes = []
        if self.engine.leave(ctx):
            title = self.engine.title(left)
            if title is not None:
                notes.append(Reply.of("nav.draft_kept", what=title))
        if to is not None and to in self.services.handlers.registry:
            return notes + self.engine.start(ctx, to)
        return notes + self._default(ctx)

    def _leave_options(self, ctx: Ctx, typed: str, answerable: bool) -> list[Option]:
        opts = [
            Option(LEAVE_DATA, msg("nav.leave"), means=("yes",)),
            Option(STAY_DATA, msg("nav.stay"), means=("no",)),
        ]
        if answerable:
            opts.append(Option(ANSWER_DATA, msg("nav.was_answer", text=typed[:40])))
        return opts

    def _answerable(self, st: DialogueState) -> bool:
        try:
            step = self.services.handlers.registry.get(st.dialogue).step(st.step)
        except KeyError:
            return False
        return step.kind in ("text", "any")

    def _feature(self, ctx: Ctx, u: Understanding | None, text: str) -> str | None:
        """The dialogue a typed request for another menu entry asks for, at a choice step whose
        own buttons do not answer it (never at a step that takes free text)."""
        st = ctx.state
        if (
            u is None
            or u.intent.name not in FEATURE_INTENTS
            or st.dialogue in (None, "menu")
            or u.intent.confidence < GLOBAL_MIN_CONFIDENCE
            or len(text.split()) > FEATURE_MAX_WORDS
        ):
            return None
        try:
            step = self.services.handlers.registry.get(st.dialogue).step(st.step)
        except KeyError:
            return None
        if step.kind != "choice" or self.engine.offered(ctx, Answer(text=text, understanding=u)):
            return None
        role = ctx.user.role if ctx.user is not None else None
        entry = next((e for e in self.services.handlers.menu_for(role) if e.intent == u.intent.name), None)
        return entry.dialogue if entry is not None else None

    def _ask_leave(self, ctx: Ctx, intent: str, typed: str, target: str | None = None) -> Reply:
        st = ctx.state
        answerable = self._answerable(st)
        st.pending = {
            "kind": "leave",
            "intent": intent,
            "text": typed,
            "answerable": answerable,
            "target": target,
        }
        opts = self._leave_options(ctx, typed, answerable)
        st.offered, st.expects = [o.data for o in opts], "choice"
        title = self.engine.title(st.dialogue)
        line = msg("nav.leave_ask", what=title) if title else msg("nav.leave_ask_untitled")
        return Reply(lines=[line], buttons=[Button(data=o.data, label=o.label) for o in opts])

    def _answer_leave(self, ctx: Ctx, incoming: Incoming, u: Understanding | None) -> list[Reply] | None:
        st = ctx.state
        pending, st.pending = st.pending or {}, None
        typed = str(pending.get("text") or "")
        opts = self._leave_options(ctx, typed, bool(pending.get("answerable")))
        choice = self.engine.match(
            ctx, opts, Answer(button=incoming.button, text=incoming.text, understanding=u), loose=True
        )
        if choice == LEAVE_DATA:
            if pending.get("intent") == "cancel":
                return self._cancel(ctx, keep=True)
            return self._leave(ctx, to=pending.get("target"))
        if choice == STAY_DATA:
            return self.engine.prompt(ctx)
        if choice == ANSWER_DATA:
            return self.engine.answer(ctx, Answer(text=typed))
        return None  # something else: handled as a message of its own

    def _cancel(self, ctx: Ctx, keep: bool = False) -> list[Reply]:
        """/cancel and the Cancel button drop what the dialogue had; a cancel typed in words
        (after "leave?") keeps it as a draft."""
        ctx.extra["left"] = ctx.state.dialogue
        if ctx.state.dialogue in (None, "menu"):
            ctx.state.reset()
            return [Reply.of("nav.nothing_to_cancel")] + self._default(ctx)
        if keep:
            return self._leave(ctx)
        ctx.state.reset()
        return [Reply.of("nav.cancelled")] + self._default(ctx)

    def _set_language(self, ctx: Ctx, tag: str, incoming: Incoming) -> list[Reply]:
        if tag not in [lang.value for lang in ALL_LANGS]:
            return [Reply.of("common.button_expired")] + self._prompt_or_default(ctx)
        st = ctx.state
        if st.dialogue and st.step == "language":  # the step's own parse sets the language,
            # when the button is one it offers (a poll offers only its own languages)
            step = self.services.handlers.registry.get(st.dialogue).step(st.step)
            data = LanguagePick(tag).encode()
            if self.engine.accepts(ctx, step, data):
                st.data["language_chosen"] = True
            return self.engine.answer(ctx, Answer(button=data))
        ctx.lang = tag
        return [Reply.of("language.changed")] + self._prompt_or_default(ctx, language_chosen=True)

    def _language_question(self, ctx: Ctx) -> Reply:
        from bot.handlers.onboarding import language_options

        ctx.state.offered = [o.data for o in language_options(ctx)]
        ctx.state.expects = "choice"
        return Reply(
            lines=[msg("language.ask")],
            buttons=[Button(data=o.data, label=o.label) for o in language_options(ctx)],
        )

    def _typed_language(self, text: str) -> str | None:
        key = fold(text)
        for lang in ALL_LANGS:
            if key == fold(self.catalog.render_msg(msg(lang.variant.name_key), lang.value)):
                return lang.value
        return None

    def _keep_media(self, ctx: Ctx, incoming: Incoming) -> list[Reply]:
        """A voice note, photo or file a registered user sent without being asked is still
        kept (a story may come as a voice note): stored as a story without project, its sender
        (the user id, never the chat) in the audit log. From anyone else (a beneficiary before
        consent, someone not yet registered) nothing is kept: it is said so."""
        media = incoming.media
        ack = MEDIA_ACK.get(media.kind) if media is not None else None
        if media is None or ack is None:
            return [Reply.of(NOT_KEPT.get(media.kind if media else "", "common.media_not_expected"))]
        if ctx.user is None or not ctx.user.registered or ctx.user.id is None:
            return [Reply.of("common.media_not_kept")]
        story = ctx.uow.stories.add(
            Story(
                media_ref=f"{incoming.channel}:{media.kind}:{media.ref}",
                text=media.caption,
                tags=["media", media.kind, "unsolicited"],
            )
        )
        ctx.uow.audit.add(
            AuditEntry(
                user_id=ctx.user.id,
                action="media.received",
                target=f"story:{story.id}",
                detail={
                    "channel": incoming.channel,
                    "kind": media.kind,
                    "size": media.size,
                    "duration": media.duration,
                    "mime": media.mime,
                },
            )
        )
        return [Reply.of(ack)]

    def _literal_step(self, st: DialogueState) -> bool:
        try:
            return self.services.handlers.registry.get(st.dialogue).step(st.step).literal
        except KeyError:
            return False

    def _step_accepts_media(self, st: DialogueState) -> bool:
        d = self.services.handlers.registry.get(st.dialogue)
        try:
            return d.step(st.step).kind == "any"
        except KeyError:
            return False

    def _prompt_or_default(self, ctx: Ctx, language_chosen: bool = False) -> list[Reply]:
        if ctx.state.dialogue:
            return self.engine.prompt(ctx)
        return self._default(ctx, language_chosen=language_chosen)

    def _default(self, ctx: Ctx, language_chosen: bool = False) -> list[Reply]:
        """No active dialogue: registered users get the menu, others the onboarding."""
        if ctx.user is not None and ctx.user.registered:
            return self.engine.start(ctx, "menu")
        # an unregistered user leaving a dialogue that has its own way out (a beneficiary
        # cancelling a poll) is not sent to the officials' onboarding
        leave = self.services.handlers.on_leave.get(ctx.extra.pop("left", None) or "")
        if leave is not None:
            return self._carry_out(ctx, leave(ctx))
        data = {"guess": ctx.lang}
        if language_chosen:
            data["language_chosen"] = True
        return self.engine.start(ctx, "onboarding", data)


def _clean_text(text: str | None) -> str | None:
    """What a user typed, without NUL (no database keeps it), NFC, at most MAX_TEXT long."""
    if text is None:
        return None
    return unicodedata.normalize("NFC", text.replace("\x00", ""))[:MAX_TEXT]


def _hint(code: str | None) -> str | None:
    lang = Lang.parse(code)
    return lang.value if lang else None


def _key(incoming: Incoming) -> str:
    """The chat, as log lines name it: a keyed hash (bot.logs.tag), never its id."""
    return tag(incoming.channel, incoming.chat_id)


def _number_as_button(st: DialogueState, incoming: Incoming) -> Incoming:
    """A typed number selects an offered button, unless the question expects a number."""
    if incoming.text and not incoming.button and st.offered and st.expects != "number":
        digits = incoming.text.strip().translate(ASCII_DIGITS)
        if re.fullmatch(r"\d{1,2}", digits) and 1 <= int(digits) <= len(st.offered):
            return incoming.model_copy(update={"button": st.offered[int(digits) - 1], "text": None})
    return incoming

"""The terminal channel: `athar chat`.

Interactive on a terminal; scriptable with piped standard input (one message per line, the bot's
replies printed, buttons as numbered options, end of input ends the session). Lines starting
with "/" are commands (/help, /menu, /cancel, /back, /skip, /language, /start PAYLOAD).
A note's buttons that work whatever the question (a lesson offered at the moment of need) are
lettered instead (a, b…): typing the letter presses the button, numbers stay the question's.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

from domain.messages import Incoming, Rendered

from bot.dispatcher import Dispatcher

CHANNEL = "console"


def to_incoming(line: str, user: str, lang_hint: str | None = None) -> Incoming:
    text = line.rstrip("\r\n")
    m = re.fullmatch(r"\s*/([A-Za-z_]{1,32})(?:\s+(.*))?\s*", text)
    if m:
        return Incoming(
            channel=CHANNEL,
            chat_id=user,
            user_ref=user,
            command=m.group(1),
            command_arg=(m.group(2) or "").strip() or None,
            lang_hint=lang_hint,
        )
    return Incoming(channel=CHANNEL, chat_id=user, user_ref=user, text=text, lang_hint=lang_hint)


def format_reply(r: Rendered, keys: list[str] | None = None) -> str:
    lines = [r.text]
    for i, b in enumerate(r.buttons, 1):
        lines.append(f"  {keys[i - 1] if keys else i}) {b.label}")
    if r.attachment:
        lines.append(f"  [{r.attachment.get('kind')}: {r.attachment.get('path')}]")
    return "\n".join(lines)


def run_console(
    dispatcher: Dispatcher,
    user: str,
    lang: str | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    interactive: bool | None = None,
) -> int:
    interactive = stdin.isatty() if interactive is None else interactive

    lettered: dict[str, str] = {}  # letter -> data of a note's button shown last turn

    def show(replies: list[Rendered]) -> None:
        lettered.clear()
        for r in replies:
            if r.job:  # what came before is on the screen while the job runs
                stdout.flush()
                r = dispatcher.fulfil(r)
            keys = None
            if r.buttons and all(dispatcher.services.handlers.button_handler(b.data) for b in r.buttons):
                keys = [chr(ord("a") + len(lettered) + i) for i in range(len(r.buttons))]
                lettered.update(zip(keys, (b.data for b in r.buttons)))
            print(format_reply(r, keys), file=stdout)
            print(file=stdout)
        stdout.flush()

    resumed, current = dispatcher.current_prompt(CHANNEL, user, user)
    if lang and lang != current:
        out = dispatcher.handle(
            Incoming(channel=CHANNEL, chat_id=user, user_ref=user, button=f"lang:{lang}", lang_hint=lang)
        )
        dispatcher.mark_sent(out.outbox_ids)
        resumed, current = dispatcher.current_prompt(CHANNEL, user, user)
    show(resumed)
    while True:
        if interactive:
            try:
                line = input("> ")
            except EOFError:
                print(file=stdout)
                break
        else:
            line = stdin.readline()
            if line == "":
                break
            print(f"> {line.rstrip()}", file=stdout)
        incoming = to_incoming(line, user, lang)
        pressed = lettered.get(line.strip().lower())
        if pressed is not None:
            incoming = incoming.model_copy(update={"text": None, "button": pressed})
        try:
            outcome = dispatcher.handle(incoming)
        except Exception:  # keep the session alive; the message was rolled back as a whole
            # (nothing waits in a queue here: the person sees the error at once and may type
            # again, so there is no dead letter to keep)
            logging.getLogger("athar.console").exception("message failed")
            show([dispatcher.render_error(current)])
            continue
        current = outcome.language  # the language the conversation is in now
        show(outcome.replies)
        dispatcher.mark_sent(outcome.outbox_ids)
    return 0

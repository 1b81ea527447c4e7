"""Stories (issue 14, item 5): phone numbers, e-mail addresses, id numbers and @handles are
masked when the story is stored (domain.privacy.mask_identifiers, by the Story record's
validator), the respondent is told before writing not to name anyone (in their language), and
every export of the results carries only the masked text: `poll results --json` (which prints
the stored text as it is), CSV, XLSX and FLOIP."""

from __future__ import annotations

import json
import zipfile


from domain.polls import questions_of
from domain.privacy import MASK
from domain.records import Story

from bot.i18n import default_catalog
from tests.bot.helpers import Chat
from tests.exports.readback import xlsx_text
from tests.polls.helpers import make_poll, make_project, poll_dispatcher
from tests.polls.test_cli import cli  # noqa: F401 - the fixture: a SQLite file and the CLI

STORY = (
    "Grâce à l'atelier j'ai trouvé un emploi. Appelez-moi au 06 12 34 56 78 ou au "
    "+212 661-223344, écrivez à amina.b@gmail.com (CIN AB123456, @amina_b)."
)
SECRETS = ("06 12 34 56 78", "661-223344", "223344", "amina.b@gmail.com", "gmail", "AB123456", "@amina_b")


def _clean(text: str) -> None:
    found = [s for s in SECRETS if s in text]
    assert not found, found
    assert MASK in text and "trouvé un emploi" in text


def test_the_story_record_masks_what_it_is_given():
    s = Story(text=STORY)
    _clean(s.text)
    assert Story(text="rien à cacher").text == "rien à cacher"
    s.text = "mon numéro 0612345678"  # assignment is validated too
    assert s.text == f"mon numéro {MASK}"


def test_stories_are_masked_when_stored_and_in_every_export(cli, capsys, tmp_path):  # noqa: F811
    main, uows = cli
    d = poll_dispatcher(uows)
    pid = make_project(uows)
    poll = make_poll(uows, pid)
    catalog = default_catalog()
    for n, lang in enumerate(("fr", "ar", "ary", "ary-Latn")):
        chat = Chat(d, user=f"tg-70{n}", channel="telegram")
        chat.command("start", poll.token)
        chat.press(f"lang:{lang}")
        out = chat.press("pc:yes")
        for i, q in enumerate(questions_of(poll)):
            if q.kind == "text":  # told before writing, in their language
                assert catalog.text("polls.no_names", lang) in Chat.text(out)
                out = chat.say(STORY)
            else:
                out = chat.press(f"pq:{i}:{q.values()[0]}")
    with uows() as uow:
        stories = [s.text for s in uow.stories.list(pid)]
    assert len(stories) == 4
    for text in stories:
        _clean(text)

    assert main(["poll", "results", str(poll.id), "--json"]) == 0
    _clean(capsys.readouterr().out)
    for fmt, ext in (("csv", "csv"), ("xlsx", "xlsx"), ("floip", "zip")):
        path = tmp_path / f"results.{ext}"
        assert main(["export", "results", "--poll", str(poll.id), "--format", fmt, "-o", str(path)]) == 0, fmt
        if ext == "xlsx":
            text = xlsx_text(path)
        elif ext == "zip":
            with zipfile.ZipFile(path) as z:  # JSON files: read as data (escapes undone)
                text = "\n".join(
                    json.dumps(json.loads(z.read(n)), ensure_ascii=False)
                    if n.endswith(".json")
                    else z.read(n).decode("utf-8")
                    for n in z.namelist()
                )
        else:
            text = path.read_text(encoding="utf-8-sig")
        _clean(text)

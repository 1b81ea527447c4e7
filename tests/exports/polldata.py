"""A small poll in the shape `Poll.questions` keeps (tests only): two waves, linked people."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from domain.records import Poll, Respondent, Response, Story


def four(fr: str, ar: str) -> dict[str, str]:
    return {"fr": fr, "ar": ar, "ary": ar, "ary-Latn": fr}


SCALE = [
    {"value": v, "emoji": e, "label": four(fr, ar)}
    for v, e, fr, ar in (
        (1, "😞", "Pas du tout", "إطلاقاً"),
        (2, "🙁", "Un peu", "قليلاً"),
        (3, "😐", "Moyennement", "متوسط"),
        (4, "🙂", "Beaucoup", "كثيراً"),
        (5, "😀", "Tout à fait", "تماماً"),
    )
]
QUESTIONS = [
    {
        "id": "sex",
        "kind": "sex",
        "module": "profile",
        "text": four("Vous êtes :", "أنت:"),
        "options": [
            {"value": "female", "label": four("Femme", "امرأة")},
            {"value": "male", "label": four("Homme", "رجل")},
        ],
    },
    {
        "id": "respected",
        "kind": "scale5",
        "module": "core",
        "text": four("Je me sens respecté·e dans mon quartier", "أشعر بالاحترام في حيي"),
        "short": four("Respect dans le quartier", "الاحترام في الحي"),
        "options": SCALE,
    },
    {
        "id": "count_on",
        "kind": "scale5",
        "module": "core",
        "text": four("J'ai des personnes sur qui compter", "لدي أشخاص أعتمد عليهم"),
        "short": four("Personnes sur qui compter", "أشخاص أعتمد عليهم"),
        "options": SCALE,
    },
    {
        "id": "know_help",
        "kind": "yes_no",
        "module": "core",
        "text": four("Je sais où m'adresser pour obtenir de l'aide", "أعرف أين أتوجه للحصول على المساعدة"),
        "short": four("Sait où demander de l'aide", "يعرف أين يطلب المساعدة"),
        "options": [
            {"value": "yes", "label": four("Oui", "نعم")},
            {"value": "no", "label": four("Non", "لا")},
        ],
    },
    {
        "id": "services",
        "kind": "multi",
        "module": "custom",
        "text": four("Services utilisés", "الخدمات المستعملة"),
        "options": [
            {"value": "health", "label": four("Santé", "الصحة")},
            {"value": "school", "label": four("École", "المدرسة")},
        ],
    },
    {
        "id": "months",
        "kind": "integer",
        "module": "custom",
        "min": 0,
        "max": 24,
        "text": four("Mois de participation", "أشهر المشاركة"),
    },
    {
        "id": "change",
        "kind": "text",
        "module": "change",
        "text": four("Qu'est-ce qui a changé ?", "ما الذي تغير؟"),
    },
]


def make_wave(
    wave: str, n: int, boost: float, start_id: int = 1, poll_id: int = 1, seed: int = 3, questions=None
):
    rng = random.Random(f"{seed}:{wave}")
    poll = Poll(
        id=poll_id,
        project_id=5,
        wave=wave,
        title=f"Sondage {wave}",
        token=f"tok-{wave}",
        questions=questions or QUESTIONS,
        created_at=datetime(2026, 1, 5, tzinfo=timezone.utc),
    )
    respondents, responses, stories = [], [], []
    t0 = (
        datetime(2026, 1, 10, 9, tzinfo=timezone.utc)
        if wave == "baseline"
        else datetime(2026, 6, 10, 9, tzinfo=timezone.utc)
    )
    rid = start_id * 1000
    for i in range(n):
        at = t0 + timedelta(hours=i)
        r = Respondent(
            id=start_id + i,
            poll_id=poll_id,
            pseudonym=f"p{i:03d}",
            consent=True,
            consent_at=at,
            completed_at=at + timedelta(minutes=5),
            profile={"sex": "female" if i % 2 else "male", "age_band": "18-24"},
        )
        respondents.append(r)
        vals = {
            "sex": r.profile["sex"],
            "respected": min(5, rng.randint(1, 4) + (1 if rng.random() < boost else 0)),
            "count_on": min(5, rng.randint(1, 4) + (1 if rng.random() < boost else 0)),
            "know_help": "yes" if rng.random() < 0.3 + boost else "no",
            "services": [s for s in ("health", "school") if rng.random() < 0.5] or None,
            "months": rng.randint(0, 12),
        }
        if i % 4 == 0:
            s = Story(
                id=start_id + i,
                project_id=5,
                respondent_id=r.id,
                text=f"Histoire {wave} {i}: j'ai trouvé de l'aide au bureau.",
            )
            stories.append(s)
            vals["change"] = {"story": s.id}
        for j, (k, v) in enumerate(vals.items()):
            rid += 1
            responses.append(
                Response(
                    id=rid,
                    respondent_id=r.id,
                    question=k,
                    value=v,
                    answered_at=at + timedelta(seconds=10 * (j + 1)),
                )
            )
    # someone who refused: no consent, no answers, never exported
    respondents.append(
        Respondent(id=start_id + n, poll_id=poll_id, pseudonym="refused", consent=False, consent_at=t0)
    )
    return poll, respondents, responses, stories

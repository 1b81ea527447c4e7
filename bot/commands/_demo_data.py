"""Realistic, fictitious demo records (athar demo seed, the export tests and the benchmark).

The ten communes, one distinct project each (French- and Arabic-speaking teams, the programme's
four publics and more), with publics, parties, expected and unexpected effects,
indicators with baselines, targets and measurements, a baseline and a follow-up poll answered by
the same pseudonymous people, and stories of change. Names, numbers and stories are invented.
Everything is built as domain records; the caller stores them through the repositories.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from domain.records import (
    Effect,
    Indicator,
    Measurement,
    Poll,
    Project,
    Respondent,
    Response,
    Stakeholder,
    Story,
    TargetPublic,
)

DEMO_COMMUNES = (
    "belfaa",
    "oued_essafa",
    "ait_baha",
    "al_hoceima",
    "ait_youssef_ou_ali",
    "mokrisset",
    "berkane",
    "ait_zineb",
    "gourrama",
    "tanger",
)


def _at(y: int, m: int, d: int = 15) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=timezone.utc)


def _m(period: str, value: float, when: datetime, source: str, **dis: Any) -> Measurement:
    return Measurement(period=period, value=value, source=source, recorded_at=when, disaggregated=dis)


# -- poll questions: from the question bank (knowledge/polls.yml), as a real poll would -----
def poll_questions(modules: list[str], bank: Any = None) -> list[dict[str, Any]]:
    if bank is None:
        from knowledge.polls import load_question_bank

        bank = load_question_bank()
    return [q.model_dump() for q in bank.build(modules=modules)]


@dataclass
class DemoPoll:
    poll: Poll
    respondents: list[Respondent] = field(default_factory=list)
    responses: dict[str, list[Response]] = field(default_factory=dict)  # pseudonym → answers


@dataclass
class DemoProject:
    project: Project
    polls: list[DemoPoll] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)


# -- projects ----------------------------------------------------------------------------------
def berkane() -> Project:
    src = "Fiches de présence et suivi du BASCS"
    return Project(
        commune_id="berkane",
        title="Passerelle emploi jeunes",
        phase="running",
        problem="Dans les quartiers périphériques, beaucoup de jeunes de 18 à 30 ans sont sans emploi ni formation, surtout les jeunes femmes et les jeunes à besoins spécifiques.",
        activities=[
            "Orienter 150 jeunes avec la Maison des jeunes",
            "Organiser 8 sessions de formation aux métiers de l'agrumiculture et de la logistique",
            "Accompagner 40 porteurs de petits projets",
            "Tenir 2 forums emploi avec les entreprises locales",
        ],
        period_start=date(2025, 1, 1),
        period_end=date(2026, 12, 31),
        publics=[
            TargetPublic(
                category="youth", detail="18-30 ans, quartiers Hay Al Qods et Lazaret", expected_number=150
            ),
            TargetPublic(category="women", detail="jeunes femmes sans diplôme", expected_number=60),
            TargetPublic(
                category="disability",
                detail="jeunes avec une difficulté motrice ou auditive",
                expected_number=12,
            ),
        ],
        stakeholders=[
            Stakeholder(
                group="families",
                kind="indirect",
                how_affected="Un revenu de plus dans le foyer, moins d'inquiétude pour l'avenir",
                polarity="positive",
            ),
            Stakeholder(
                group="non_selected_peers",
                kind="could_lose",
                how_affected="Les jeunes non retenus peuvent se sentir écartés",
                polarity="negative",
            ),
            Stakeholder(
                group="associations",
                kind="intermediary",
                how_affected="Deux associations de quartier relaient l'orientation",
                polarity="positive",
            ),
            Stakeholder(
                group="commune_actors",
                kind="institution",
                how_affected="Le BASCS apprend à suivre l'insertion des jeunes",
                polarity="positive",
            ),
        ],
        effects=[
            Effect(
                statement="Les jeunes de Berkane, y compris les jeunes femmes et les jeunes à besoins spécifiques, accèdent à un revenu plus stable d'ici 2027",
                level="impact",
                domain="employment_income",
                public="youth",
                horizon="2027",
                indicators=[
                    Indicator(
                        label="% des participants déclarant un revenu mensuel plus régulier qu'au départ",
                        unit="percent",
                        baseline_value=21,
                        baseline_date=date(2025, 2, 1),
                        baseline_source="Sondage de départ",
                        target_value=50,
                        target_date=date(2026, 12, 31),
                        source="Sondage de suivi Athar",
                        frequency="yearly",
                        measurements=[_m("2026-S1", 34, _at(2026, 6, 30), "Sondage de suivi Athar")],
                    )
                ],
            ),
            Effect(
                statement="D'ici fin 2026, les jeunes formés trouvent un emploi, un stage ou lancent une activité dans les 6 mois qui suivent la formation",
                level="outcome",
                domain="employment_income",
                public="youth",
                horizon="fin 2026",
                indicators=[
                    Indicator(
                        label="% des jeunes formés en emploi, stage ou auto-emploi 6 mois après la formation",
                        unit="percent",
                        baseline_value=18,
                        baseline_date=date(2025, 1, 15),
                        baseline_source="Enquête BASCS 2024",
                        target_value=45,
                        target_date=date(2026, 12, 31),
                        source="Appels de suivi à 6 mois",
                        frequency="semester",
                        disaggregation=["sex", "age_band", "disability"],
                        measurements=[
                            _m("2025-S2", 22, _at(2025, 12, 20), "Appels de suivi", female=19, male=25),
                            _m("2026-S1", 31, _at(2026, 6, 25), "Appels de suivi", female=28, male=34),
                        ],
                    ),
                    Indicator(
                        label="Nombre d'activités génératrices de revenus créées et actives après 6 mois",
                        unit="number",
                        baseline_value=0,
                        baseline_date=date(2025, 1, 15),
                        target_value=25,
                        target_date=date(2026, 12, 31),
                        source="Registre d'accompagnement",
                        frequency="semester",
                        measurements=[
                            _m("2025-S2", 6, _at(2025, 12, 20), src),
                            _m("2026-S1", 13, _at(2026, 6, 25), src),
                        ],
                    ),
                ],
            ),
            Effect(
                statement="Les jeunes femmes participantes se sentent plus confiantes pour chercher un emploi",
                level="outcome",
                domain="empowerment",
                public="women",
                horizon="fin 2026",
                indicators=[
                    Indicator(
                        label="Score moyen de confiance en soi (échelle de 1 à 5)",
                        unit="score",
                        baseline_value=2.4,
                        baseline_date=date(2025, 2, 1),
                        baseline_source="Sondage de départ",
                        target_value=3.5,
                        target_date=date(2026, 12, 31),
                        source="Sondages Athar (départ et suivi)",
                        frequency="semester",
                        poll_question="autonomy",
                        measurements=[_m("2026-S1", 3.1, _at(2026, 6, 30), "Sondage de suivi Athar")],
                    )
                ],
            ),
            Effect(
                statement="150 jeunes orientés et 120 jeunes formés aux métiers porteurs",
                level="output",
                indicators=[
                    Indicator(
                        label="Nombre de jeunes ayant terminé une formation",
                        unit="number",
                        baseline_value=0,
                        target_value=120,
                        target_date=date(2026, 6, 30),
                        source="Fiches de présence",
                        frequency="quarterly",
                        measurements=[
                            _m("2025-S2", 48, _at(2025, 12, 10), src, female=21, male=27),
                            _m("2026-S1", 97, _at(2026, 6, 20), src, female=44, male=53),
                        ],
                    )
                ],
            ),
            Effect(
                statement="Deux forums emploi tenus avec au moins 15 entreprises",
                level="output",
                indicators=[
                    Indicator(
                        label="Nombre d'entreprises présentes aux forums",
                        unit="number",
                        baseline_value=0,
                        target_value=15,
                        source="Listes des forums",
                        frequency="per_activity",
                        measurements=[_m("2025-S2", 9, _at(2025, 11, 5), "Liste du forum")],
                    )
                ],
            ),
            Effect(
                statement="Des familles encouragent davantage leurs filles à suivre une formation",
                expected=False,
                polarity="positive",
                party="families",
                domain="empowerment",
            ),
            Effect(
                statement="Des jeunes non retenus se découragent et cessent de fréquenter la Maison des jeunes",
                expected=False,
                polarity="negative",
                party="non_selected_peers",
                domain="social_ties",
            ),
        ],
    )


def belfaa() -> Project:
    return Project(
        commune_id="belfaa",
        title="Accueil et orientation des nouveaux habitants",
        phase="running",
        problem="Les travailleurs agricoles venus d'autres pays connaissent mal les services de la commune et y ont peu recours, surtout pour la santé et la scolarité des enfants.",
        activities=[
            "Ouvrir le bureau d'accueil trois demi-journées par semaine",
            "Former 6 agents d'accueil à l'orientation et à l'interculturel",
            "Organiser des permanences mobiles dans les douars agricoles",
            "Tenir des rencontres mensuelles avec les associations de migrants",
        ],
        period_start=date(2025, 3, 1),
        period_end=date(2026, 12, 31),
        publics=[
            TargetPublic(
                category="migrants", detail="nouveaux habitants, travailleurs agricoles", expected_number=400
            ),
            TargetPublic(
                category="children",
                detail="enfants des nouveaux habitants en âge scolaire",
                expected_number=80,
            ),
        ],
        stakeholders=[
            Stakeholder(
                group="host_community",
                kind="indirect",
                how_affected="Des voisins partagent davantage les espaces publics",
                polarity="positive",
            ),
            Stakeholder(
                group="state_services",
                kind="institution",
                how_affected="Le centre de santé reçoit plus de demandes",
                polarity=None,
            ),
            Stakeholder(
                group="associations",
                kind="intermediary",
                how_affected="Relais d'information dans les douars",
                polarity="positive",
            ),
        ],
        effects=[
            Effect(
                statement="Les nouveaux habitants de Belfaa vivent mieux intégrés dans la commune d'ici 2027",
                level="impact",
                domain="access_services",
                public="migrants",
            ),
            Effect(
                statement="Les nouveaux habitants savent où s'adresser et utilisent davantage les services de santé et l'école",
                level="outcome",
                domain="access_services",
                public="migrants",
                horizon="2026",
                indicators=[
                    Indicator(
                        label="% des nouveaux habitants interrogés qui savent où s'adresser pour obtenir de l'aide",
                        unit="percent",
                        baseline_value=35,
                        baseline_date=date(2025, 3, 20),
                        baseline_source="Sondage de départ",
                        target_value=70,
                        target_date=date(2026, 12, 31),
                        source="Sondages Athar",
                        frequency="semester",
                        poll_question="help",
                        measurements=[_m("2026-S1", 58, _at(2026, 6, 30), "Sondage de suivi Athar")],
                    ),
                    Indicator(
                        label="Nombre d'enfants de nouveaux habitants inscrits à l'école",
                        unit="number",
                        baseline_value=22,
                        baseline_date=date(2025, 3, 1),
                        target_value=60,
                        target_date=date(2026, 9, 30),
                        source="Direction provinciale de l'éducation",
                        frequency="yearly",
                        measurements=[_m("2025-S2", 37, _at(2025, 10, 15), "Listes des écoles")],
                    ),
                ],
            ),
            Effect(
                statement="Les agents d'accueil orientent les nouveaux habitants avec respect et dans une langue qu'ils comprennent",
                level="outcome",
                domain="access_services",
                public="migrants",
                indicators=[
                    Indicator(
                        label="Part des usagers satisfaits de l'accueil",
                        unit="percent",
                        baseline_plan="Premier sondage à la sortie du bureau en avril 2025",
                        target_value=80,
                        source="Questionnaire de sortie",
                        frequency="quarterly",
                        measurements=[_m("2025-S2", 72, _at(2025, 12, 15), "Questionnaire de sortie")],
                    )
                ],
            ),
            Effect(
                statement="Bureau d'accueil ouvert et 6 agents formés",
                level="output",
                indicators=[
                    Indicator(
                        label="Nombre de personnes reçues au bureau d'accueil",
                        unit="number",
                        baseline_value=0,
                        target_value=600,
                        source="Registre du bureau",
                        frequency="monthly",
                        measurements=[
                            _m("2025-S2", 214, _at(2025, 12, 31), "Registre du bureau"),
                            _m("2026-S1", 431, _at(2026, 6, 30), "Registre du bureau"),
                        ],
                    )
                ],
            ),
            Effect(
                statement="Des habitants de longue date viennent aussi au bureau pour leurs propres démarches",
                expected=False,
                polarity="positive",
                party="host_community",
            ),
        ],
    )


def ait_zineb() -> Project:
    return Project(
        commune_id="ait_zineb",
        title="النقل المدرسي لفتيات الدواوير",
        phase="running",
        problem="تنقطع فتيات كثيرات عن الدراسة بعد المرحلة الابتدائية بسبب بعد الإعدادية عن الدواوير وصعوبة التنقل.",
        activities=[
            "تشغيل حافلتين للنقل المدرسي بين الدواوير والإعدادية",
            "تنظيم لقاءات تحسيسية مع الأسر في الدواوير",
            "تقديم دروس الدعم في دار الطالبة",
            "تتبع الحضور الشهري للتلميذات",
        ],
        period_start=date(2025, 9, 1),
        period_end=date(2027, 6, 30),
        publics=[
            TargetPublic(
                category="children", detail="فتيات من 12 إلى 16 سنة في 24 دواراً", expected_number=120
            ),
            TargetPublic(category="women", detail="أمهات التلميذات", expected_number=90),
        ],
        stakeholders=[
            Stakeholder(
                group="families",
                kind="direct",
                how_affected="تقل مصاريف التنقل ويطمئن الآباء على بناتهم",
                polarity="positive",
            ),
            Stakeholder(
                group="associations",
                kind="intermediary",
                how_affected="جمعية الدوار تسير الحافلة",
                polarity="positive",
            ),
            Stakeholder(
                group="people_losing_out",
                kind="could_lose",
                how_affected="أصحاب سيارات النقل غير المنظم يفقدون زبناءهم",
                polarity="negative",
            ),
        ],
        effects=[
            Effect(
                statement="تواصل فتيات دواوير آيت زينب دراستهن إلى نهاية المرحلة الإعدادية",
                level="impact",
                domain="education_training",
                public="children",
            ),
            Effect(
                statement="بحلول 2027 تنتقل نسبة أكبر من الفتيات من الابتدائي إلى الإعدادي وتواظبن على الحضور",
                level="outcome",
                domain="education_training",
                public="children",
                horizon="2027",
                indicators=[
                    Indicator(
                        label="نسبة الفتيات المنتقلات من الابتدائي إلى الإعدادي",
                        unit="percent",
                        baseline_value=54,
                        baseline_date=date(2025, 9, 1),
                        baseline_source="المديرية الإقليمية",
                        target_value=80,
                        target_date=date(2027, 6, 30),
                        source="لوائح التسجيل",
                        frequency="yearly",
                        measurements=[_m("2026-S1", 66, _at(2026, 3, 1), "لوائح التسجيل")],
                    ),
                    Indicator(
                        label="معدل الحضور الشهري للتلميذات المستفيدات",
                        unit="percent",
                        baseline_value=71,
                        target_value=90,
                        source="سجلات الحضور",
                        frequency="monthly",
                        measurements=[
                            _m("2025-S2", 83, _at(2025, 12, 31), "سجلات الحضور"),
                            _m("2026-S1", 87, _at(2026, 5, 31), "سجلات الحضور"),
                        ],
                    ),
                ],
            ),
            Effect(
                statement="تشعر الأمهات بالاطمئنان على سلامة بناتهن في الطريق إلى المدرسة",
                level="outcome",
                domain="health_wellbeing",
                public="women",
                indicators=[
                    Indicator(
                        label="نسبة الأمهات المطمئنات على تنقل بناتهن",
                        unit="percent",
                        baseline_plan="سؤال في استطلاع الانطلاق",
                        target_value=75,
                        source="استطلاعات أثر",
                        frequency="yearly",
                        poll_question="respect",
                    )
                ],
            ),
            Effect(
                statement="حافلتان تعملان طيلة السنة الدراسية",
                level="output",
                indicators=[
                    Indicator(
                        label="عدد أيام تشغيل الحافلتين",
                        unit="days",
                        baseline_value=0,
                        target_value=170,
                        source="دفتر السائق",
                        frequency="monthly",
                        measurements=[_m("2025-S2", 74, _at(2025, 12, 31), "دفتر السائق")],
                    )
                ],
            ),
            Effect(
                statement="صارت بعض الأسر تسمح لبناتها بالمشاركة في أنشطة دار الشباب",
                expected=False,
                polarity="positive",
                party="families",
            ),
            Effect(
                statement="ازدحام الحافلة في أيام المطر يؤخر وصول بعض التلميذات",
                expected=False,
                polarity="negative",
                party="participants",
            ),
        ],
    )


def oued_essafa() -> Project:
    src = "Registre de la coopérative"
    return Project(
        commune_id="oued_essafa",
        title="Coopératives féminines de transformation agricole",
        phase="running",
        problem="Les femmes des douars travaillent comme saisonnières sans contrat ; peu d'entre elles ont un revenu à elles toute l'année.",
        activities=[
            "Accompagner la création de 3 coopératives féminines",
            "Former 45 femmes à la transformation et à l'hygiène alimentaire",
            "Équiper un local collectif de séchage et de conditionnement",
        ],
        period_start=date(2025, 2, 1),
        period_end=date(2026, 12, 31),
        publics=[
            TargetPublic(category="women", detail="femmes saisonnières de 20 à 50 ans", expected_number=45)
        ],
        stakeholders=[
            Stakeholder(
                group="families",
                kind="indirect",
                how_affected="Les enfants sont gardés par les grands-mères pendant les ateliers",
                polarity=None,
            ),
            Stakeholder(
                group="associations",
                kind="intermediary",
                how_affected="L'association des femmes du douar mobilise les participantes",
                polarity="positive",
            ),
        ],
        effects=[
            Effect(
                statement="Les femmes membres des coopératives disposent d'un revenu régulier toute l'année",
                level="outcome",
                domain="employment_income",
                public="women",
                horizon="2026",
                indicators=[
                    Indicator(
                        label="% des membres déclarant un revenu mensuel régulier",
                        unit="percent",
                        baseline_value=12,
                        baseline_date=date(2025, 3, 1),
                        baseline_source="Sondage de départ",
                        target_value=60,
                        target_date=date(2026, 12, 31),
                        source="Sondages Athar",
                        frequency="semester",
                        poll_question="autonomy",
                        measurements=[
                            _m("2025-S2", 25, _at(2025, 12, 10), "Sondage intermédiaire"),
                            _m("2026-S1", 41, _at(2026, 6, 28), "Sondage de suivi Athar"),
                        ],
                    )
                ],
            ),
            Effect(
                statement="Trois coopératives féminines produisent et vendent",
                level="output",
                indicators=[
                    Indicator(
                        label="Nombre de coopératives ayant vendu au moins une fois",
                        unit="number",
                        baseline_value=0,
                        target_value=3,
                        target_date=date(2026, 6, 30),
                        source=src,
                        frequency="quarterly",
                        measurements=[_m("2026-S1", 3, _at(2026, 5, 30), src)],
                    )
                ],
            ),
            Effect(
                statement="Des femmes non membres demandent à rejoindre les coopératives",
                expected=False,
                polarity="positive",
                party="non_selected_peers",
            ),
        ],
    )


def ait_baha() -> Project:
    return Project(
        commune_id="ait_baha",
        title="Une commune accessible à tous",
        phase="running",
        problem="Les personnes en fauteuil ou malvoyantes ne peuvent pas entrer seules dans les bâtiments de la commune ni y être reçues.",
        activities=[
            "Aménager les rampes et l'accueil de 4 bâtiments communaux",
            "Former les agents d'accueil à recevoir les personnes handicapées",
            "Créer un guichet d'orientation avec l'association des personnes handicapées",
        ],
        period_start=date(2025, 1, 1),
        period_end=date(2026, 12, 31),
        publics=[
            TargetPublic(
                category="disability",
                detail="personnes à mobilité réduite ou malvoyantes",
                expected_number=90,
            )
        ],
        stakeholders=[
            Stakeholder(
                group="commune_actors",
                kind="institution",
                how_affected="Les agents changent leur façon d'accueillir",
                polarity="positive",
            ),
            Stakeholder(
                group="associations",
                kind="intermediary",
                how_affected="L'association tient le guichet avec la commune",
                polarity="positive",
            ),
        ],
        effects=[
            Effect(
                statement="Les personnes handicapées font elles-mêmes leurs démarches à la commune",
                level="outcome",
                domain="access_services",
                public="disability",
                horizon="2026",
                indicators=[
                    Indicator(
                        label="% des personnes handicapées qui disent pouvoir faire leurs démarches sans aide",
                        unit="percent",
                        baseline_value=28,
                        baseline_date=date(2025, 1, 20),
                        baseline_source="Sondage de départ",
                        target_value=65,
                        target_date=date(2026, 12, 31),
                        source="Sondages Athar",
                        frequency="semester",
                        poll_question="help",
                        measurements=[_m("2026-S1", 52, _at(2026, 6, 20), "Sondage de suivi Athar")],
                    )
                ],
            ),
            Effect(
                statement="Quatre bâtiments communaux accessibles",
                level="output",
                indicators=[
                    Indicator(
                        label="Nombre de bâtiments aménagés et contrôlés",
                        unit="number",
                        baseline_value=0,
                        target_value=4,
                        target_date=date(2026, 3, 31),
                        source="Procès-verbaux de réception",
                        frequency="quarterly",
                        measurements=[
                            _m("2025-S2", 2, _at(2025, 11, 30), "Procès-verbaux"),
                            _m("2026-S1", 3, _at(2026, 3, 31), "Procès-verbaux"),
                        ],
                    )
                ],
            ),
            Effect(
                statement="Des parents âgés utilisent aussi les rampes et viennent plus souvent",
                expected=False,
                polarity="positive",
                party="host_community",
            ),
        ],
    )


def al_hoceima() -> Project:
    return Project(
        commune_id="al_hoceima",
        title="مجلس الشباب الجماعي",
        phase="running",
        problem="لا يشارك شباب الأحياء في القرارات التي تهمهم، ولا يعرفون كيف يقدمون مقترحاتهم إلى المجلس الجماعي.",
        activities=[
            "انتخاب مجلس للشباب من 15 عضواً",
            "تكوين الأعضاء في إعداد المقترحات والميزانية",
            "تنظيم جلسات استماع في الأحياء كل ثلاثة أشهر",
        ],
        period_start=date(2025, 4, 1),
        period_end=date(2026, 12, 31),
        publics=[
            TargetPublic(
                category="youth", detail="شباب من 16 إلى 29 سنة من الأحياء الستة", expected_number=300
            )
        ],
        stakeholders=[
            Stakeholder(
                group="commune_actors",
                kind="institution",
                how_affected="المنتخبون يتلقون مقترحات مكتوبة من الشباب",
                polarity="positive",
            ),
            Stakeholder(
                group="non_selected_peers",
                kind="could_lose",
                how_affected="شباب لم ينتخبوا قد يشعرون بالإقصاء",
                polarity="negative",
            ),
        ],
        effects=[
            Effect(
                statement="يعتبر الشباب أن رأيهم يؤخذ بعين الاعتبار في قرارات الجماعة",
                level="outcome",
                domain="civic_participation",
                public="youth",
                horizon="2026",
                indicators=[
                    Indicator(
                        label="نسبة الشباب الذين يرون أن رأيهم مسموع لدى الجماعة",
                        unit="percent",
                        baseline_value=19,
                        baseline_date=date(2025, 4, 20),
                        baseline_source="استطلاع الانطلاق",
                        target_value=50,
                        target_date=date(2026, 12, 31),
                        source="استطلاعات أثر",
                        frequency="semester",
                        poll_question="voice",
                        measurements=[_m("2026-S1", 33, _at(2026, 6, 25), "استطلاع التتبع")],
                    ),
                    Indicator(
                        label="عدد مقترحات الشباب التي اعتمدها المجلس الجماعي",
                        unit="number",
                        baseline_value=0,
                        target_value=4,
                        target_date=date(2026, 12, 31),
                        source="محاضر دورات المجلس",
                        frequency="semester",
                        measurements=[_m("2026-S1", 1, _at(2026, 5, 15), "محضر دورة ماي")],
                    ),
                ],
            ),
            Effect(
                statement="جلسات استماع منتظمة في الأحياء",
                level="output",
                indicators=[
                    Indicator(
                        label="عدد جلسات الاستماع المنظمة",
                        unit="number",
                        baseline_value=0,
                        target_value=6,
                        target_date=date(2026, 12, 31),
                        source="لوائح الحضور",
                        frequency="quarterly",
                        measurements=[
                            _m("2025-S2", 2, _at(2025, 12, 5), "لوائح الحضور"),
                            _m("2026-S1", 4, _at(2026, 6, 5), "لوائح الحضور"),
                        ],
                    )
                ],
            ),
            Effect(
                statement="بدأت جمعيات الأحياء تستدعي أعضاء المجلس إلى أنشطتها",
                expected=False,
                polarity="positive",
                party="associations",
            ),
        ],
    )


def ait_youssef_ou_ali() -> Project:
    return Project(
        commune_id="ait_youssef_ou_ali",
        title="محو الأمية الوظيفية للنساء",
        phase="running",
        problem="أغلب نساء الدواوير لا يقرأن ولا يكتبن، فيعتمدن على غيرهن لقراءة الوصفات الطبية والوثائق الإدارية.",
        activities=[
            "فتح 4 أقسام لمحو الأمية في الدواوير",
            "تكوين 4 منشطات من الدوار نفسه",
            "إدماج دروس عملية: الوصفة الطبية، الهاتف، الوثائق الإدارية",
        ],
        period_start=date(2025, 10, 1),
        period_end=date(2027, 6, 30),
        publics=[TargetPublic(category="women", detail="نساء من 25 إلى 60 سنة", expected_number=80)],
        stakeholders=[
            Stakeholder(
                group="families",
                kind="indirect",
                how_affected="الأزواج يقبلون أن تخرج النساء إلى القسم مرتين في الأسبوع",
                polarity=None,
            ),
            Stakeholder(
                group="associations",
                kind="intermediary",
                how_affected="جمعية الدوار توفر القاعة",
                polarity="positive",
            ),
        ],
        effects=[
            Effect(
                statement="تقرأ المستفيدات الوصفات والوثائق البسيطة دون مساعدة",
                level="outcome",
                domain="education_training",
                public="women",
                horizon="2027",
                indicators=[
                    Indicator(
                        label="نسبة المستفيدات اللواتي نجحن في اختبار القراءة الوظيفية",
                        unit="percent",
                        baseline_value=0,
                        baseline_date=date(2025, 10, 15),
                        target_value=60,
                        target_date=date(2027, 6, 30),
                        source="اختبار المنشطات",
                        frequency="semester",
                        measurements=[_m("2026-S1", 27, _at(2026, 6, 15), "اختبار نهاية الأسدس")],
                    )
                ],
            ),
            Effect(
                statement="أربعة أقسام تعمل بانتظام",
                level="output",
                indicators=[
                    Indicator(
                        label="عدد النساء المواظبات على الحضور",
                        unit="number",
                        baseline_value=0,
                        target_value=80,
                        target_date=date(2026, 12, 31),
                        source="سجلات الحضور",
                        frequency="monthly",
                        measurements=[_m("2026-S1", 64, _at(2026, 6, 30), "سجلات الحضور")],
                    )
                ],
            ),
            Effect(
                statement="بعض المستفيدات يساعدن أبناءهن في واجباتهم المدرسية",
                expected=False,
                polarity="positive",
                party="families",
            ),
        ],
    )


def mokrisset() -> Project:
    return Project(
        commune_id="mokrisset",
        title="ملعب القرب للفتيات والفتيان",
        phase="running",
        problem="لا يوجد فضاء رياضي آمن في المركز، والفتيات خاصة لا يمارسن أي رياضة بعد سن الثانية عشرة.",
        activities=[
            "تهيئة ملعب القرب وإنارته",
            "برمجة حصص خاصة بالفتيات ثلاث مرات في الأسبوع",
            "تكوين مؤطرين اثنين ومؤطرة",
        ],
        period_start=date(2025, 5, 1),
        period_end=date(2026, 12, 31),
        publics=[TargetPublic(category="youth", detail="فتيات وفتيان من 10 إلى 18 سنة", expected_number=200)],
        stakeholders=[
            Stakeholder(
                group="families",
                kind="indirect",
                how_affected="الآباء يطمئنون لأن الملعب مؤطر ومضاء",
                polarity="positive",
            ),
            Stakeholder(
                group="non_selected_peers",
                kind="could_lose",
                how_affected="الشباب الأكبر سناً فقدوا الملعب في بعض الساعات",
                polarity="negative",
            ),
        ],
        effects=[
            Effect(
                statement="تمارس الفتيات الرياضة كل أسبوع في فضاء آمن",
                level="outcome",
                domain="culture_sport",
                public="youth",
                horizon="2026",
                indicators=[
                    Indicator(
                        label="نسبة الفتيات المسجلات اللواتي يلعبن كل أسبوع",
                        unit="percent",
                        baseline_value=8,
                        baseline_date=date(2025, 5, 20),
                        baseline_source="إحصاء الجمعية",
                        target_value=40,
                        target_date=date(2026, 12, 31),
                        source="سجلات الحصص",
                        frequency="quarterly",
                        measurements=[
                            _m("2025-S2", 18, _at(2025, 12, 20), "سجلات الحصص"),
                            _m("2026-S1", 35, _at(2026, 6, 20), "سجلات الحصص"),
                        ],
                    )
                ],
            ),
            Effect(
                statement="ملعب مهيأ ومفتوح ستة أيام في الأسبوع",
                level="output",
                indicators=[
                    Indicator(
                        label="عدد أيام فتح الملعب في الأسبوع",
                        unit="days",
                        baseline_value=0,
                        target_value=6,
                        target_date=date(2025, 12, 31),
                        source="جدول الحصص",
                        frequency="monthly",
                        measurements=[_m("2025-S2", 6, _at(2025, 12, 1), "جدول الحصص")],
                    )
                ],
            ),
            Effect(
                statement="الشباب الأكبر سناً يحتلون الملعب ليلاً فتغيب بعض الفتيات عن الحصص المسائية",
                expected=False,
                polarity="negative",
                party="non_selected_peers",
            ),
        ],
    )


def gourrama() -> Project:
    return Project(
        commune_id="gourrama",
        title="Caravanes de santé pour les personnes âgées des ksour",
        phase="running",
        problem="Les personnes âgées des ksour éloignés ne voient presque jamais de médecin et arrêtent leurs traitements.",
        activities=[
            "Organiser une caravane de santé par mois dans 6 ksour",
            "Former 12 relais communautaires au suivi des traitements",
            "Transporter les cas graves vers le centre de santé de Gourrama",
        ],
        period_start=date(2025, 1, 1),
        period_end=date(2026, 12, 31),
        publics=[
            TargetPublic(
                category="elderly", detail="personnes de plus de 60 ans de 6 ksour", expected_number=250
            )
        ],
        stakeholders=[
            Stakeholder(
                group="state_services",
                kind="institution",
                how_affected="Le centre de santé reçoit des patients mieux préparés",
                polarity="positive",
            ),
            Stakeholder(
                group="families",
                kind="indirect",
                how_affected="Les enfants perdent moins de journées de travail pour accompagner leurs parents",
                polarity="positive",
            ),
        ],
        effects=[
            Effect(
                statement="Les personnes âgées des ksour suivent leurs traitements chroniques sans interruption",
                level="outcome",
                domain="health_wellbeing",
                public="elderly",
                horizon="2026",
                indicators=[
                    Indicator(
                        label="% des patients chroniques qui ont leur traitement à jour lors de la caravane",
                        unit="percent",
                        baseline_value=45,
                        baseline_date=date(2025, 2, 1),
                        baseline_source="Registre de la première caravane",
                        target_value=75,
                        target_date=date(2026, 12, 31),
                        source="Fiches des relais",
                        frequency="quarterly",
                        measurements=[
                            _m("2025-S2", 52, _at(2025, 12, 15), "Fiches des relais"),
                            _m("2026-S1", 49, _at(2026, 6, 15), "Fiches des relais"),
                        ],
                    )
                ],
            ),
            Effect(
                statement="Une caravane par mois dans chaque ksar",
                level="output",
                indicators=[
                    Indicator(
                        label="Nombre de caravanes tenues",
                        unit="number",
                        baseline_value=0,
                        target_value=24,
                        target_date=date(2026, 12, 31),
                        source="Rapports de caravane",
                        frequency="monthly",
                        measurements=[
                            _m("2025-S2", 11, _at(2025, 12, 31), "Rapports de caravane"),
                            _m("2026-S1", 16, _at(2026, 6, 30), "Rapports de caravane"),
                        ],
                    )
                ],
            ),
            Effect(
                statement="Les relais communautaires sont sollicités la nuit et s'épuisent",
                expected=False,
                polarity="negative",
                party="associations",
            ),
        ],
    )


def tanger() -> Project:
    return Project(
        commune_id="tanger",
        title="Darija et premiers pas pour les nouveaux arrivants",
        phase="running",
        problem="Les migrants subsahariens récemment arrivés ne parlent pas darija et ne savent pas vers quels services se tourner.",
        activities=[
            "Donner des cours de darija du quotidien deux soirs par semaine",
            "Organiser des visites guidées des services (centre de santé, arrondissement, école)",
            "Former des binômes entre nouveaux arrivants et voisins volontaires",
        ],
        period_start=date(2025, 9, 1),
        period_end=date(2026, 12, 31),
        publics=[
            TargetPublic(
                category="migrants", detail="nouveaux arrivants depuis moins de deux ans", expected_number=120
            )
        ],
        stakeholders=[
            Stakeholder(
                group="host_community",
                kind="indirect",
                how_affected="Des voisins volontaires accompagnent les nouveaux arrivants",
                polarity="positive",
            ),
            Stakeholder(
                group="associations",
                kind="intermediary",
                how_affected="Deux associations de migrants orientent vers les cours",
                polarity="positive",
            ),
        ],
        effects=[
            Effect(
                statement="Les nouveaux arrivants se débrouillent en darija dans la vie de tous les jours",
                level="outcome",
                domain="social_ties",
                public="migrants",
                horizon="2026",
                indicators=[
                    Indicator(
                        label="% des participants qui disent se faire comprendre au marché et au centre de santé",
                        unit="percent",
                        baseline_value=22,
                        baseline_date=date(2025, 9, 20),
                        baseline_source="Sondage de départ",
                        target_value=70,
                        target_date=date(2026, 12, 31),
                        source="Sondages Athar",
                        frequency="semester",
                        poll_question="mig_language",
                        measurements=[_m("2026-S1", 57, _at(2026, 6, 25), "Sondage de suivi Athar")],
                    )
                ],
            ),
            Effect(
                statement="Cours de darija tenus toute l'année",
                level="output",
                indicators=[
                    Indicator(
                        label="Nombre de participants ayant suivi au moins 20 cours",
                        unit="number",
                        baseline_value=0,
                        target_value=90,
                        target_date=date(2026, 12, 31),
                        source="Feuilles de présence",
                        frequency="monthly",
                        measurements=[_m("2026-S1", 58, _at(2026, 6, 30), "Feuilles de présence")],
                    )
                ],
            ),
            Effect(
                statement="Des voisins apprennent quelques mots de wolof et de français avec les binômes",
                expected=False,
                polarity="positive",
                party="host_community",
            ),
        ],
    )


PROJECT_BUILDERS = {
    "belfaa": belfaa,
    "oued_essafa": oued_essafa,
    "ait_baha": ait_baha,
    "al_hoceima": al_hoceima,
    "ait_youssef_ou_ali": ait_youssef_ou_ali,
    "mokrisset": mokrisset,
    "berkane": berkane,
    "ait_zineb": ait_zineb,
    "gourrama": gourrama,
    "tanger": tanger,
}
# the optional question modules of each commune's polls, the language its people answer in,
# and how many more or fewer people than the default answered there
POLL_MODULES = {
    "berkane": [],
    "belfaa": ["migrants"],
    "ait_zineb": ["wellbeing"],
    "oued_essafa": ["wellbeing"],
    "ait_baha": ["wg"],
    "al_hoceima": [],
    "ait_youssef_ou_ali": ["wellbeing"],
    "mokrisset": [],
    "gourrama": ["wg"],
    "tanger": ["migrants"],
}
LANG = {
    "berkane": "fr",
    "belfaa": "fr",
    "ait_zineb": "ar",
    "oued_essafa": "fr",
    "ait_baha": "fr",
    "al_hoceima": "ar",
    "ait_youssef_ou_ali": "ar",
    "mokrisset": "ar",
    "gourrama": "fr",
    "tanger": "fr",
}
RESPONDENTS_OFFSET = {
    "berkane": 0,
    "belfaa": 4,
    "ait_zineb": -2,
    "oued_essafa": -6,
    "ait_baha": -4,
    "al_hoceima": 6,
    "ait_youssef_ou_ali": -5,
    "mokrisset": 2,
    "gourrama": -3,
    "tanger": 3,
}

# (text, tags, polarity, chosen as the most significant, why, month told)
STORIES = {
    "berkane": [
        (
            "Avant la formation je restais à la maison. Maintenant je travaille quatre jours par semaine dans une station de conditionnement et j'aide ma mère.",
            ["emploi", "revenu"],
            "positive",
            True,
            "Le changement touche à la fois le revenu et la place de la jeune femme dans sa famille.",
            (2026, 6),
        ),
        (
            "J'ai appris à parler aux employeurs sans avoir honte de mon handicap.",
            ["confiance"],
            "positive",
            False,
            None,
            (2026, 5),
        ),
        (
            "Mon frère n'a pas été pris et il dit que ça ne sert à rien d'essayer.",
            ["exclusion"],
            "negative",
            False,
            None,
            (2026, 4),
        ),
    ],
    "belfaa": [
        (
            "Au bureau, on m'a expliqué comment inscrire mes enfants à l'école, en français et en darija.",
            ["accès", "école"],
            "positive",
            True,
            "Elle montre le premier contact réussi avec un service, qui ouvre ensuite les autres.",
            (2026, 6),
        ),
        (
            "Je suis allée au centre de santé seule pour la première fois, avec le papier du bureau.",
            ["santé"],
            "positive",
            False,
            None,
            (2026, 5),
        ),
        (
            "Les horaires du bureau tombent pendant la récolte, on ne peut pas y aller.",
            ["accès"],
            "negative",
            False,
            None,
            (2025, 11),
        ),
    ],
    "ait_zineb": [
        (
            "كنت سأترك الدراسة بعد الابتدائي، والآن أذهب كل يوم بالحافلة إلى الإعدادية مع صديقاتي.",
            ["تعليم"],
            "positive",
            True,
            "قصة تبين كيف غيّر النقل المدرسي مسار فتاة كانت ستنقطع عن الدراسة.",
            (2026, 6),
        ),
        (
            "أمي أصبحت تشارك في اجتماعات جمعية الدوار بعد اللقاءات التحسيسية.",
            ["مشاركة"],
            "positive",
            False,
            None,
            (2026, 3),
        ),
        ("في أيام المطر تمتلئ الحافلة ونصل متأخرات إلى القسم.", ["نقل"], "negative", False, None, (2026, 2)),
    ],
    "oued_essafa": [
        (
            "Pour la première fois j'ai mon propre argent chaque mois, je décide moi-même pour les habits des enfants.",
            ["revenu"],
            "positive",
            True,
            "Le revenu change aussi qui décide à la maison.",
            (2026, 6),
        ),
        (
            "Le séchoir est trop petit pendant la saison des figues, on perd une partie de la récolte.",
            ["production"],
            "negative",
            False,
            None,
            (2026, 5),
        ),
    ],
    "ait_baha": [
        (
            "Je suis entré seul à la commune avec mon fauteuil et l'agent m'a reçu au guichet du bas.",
            ["accès"],
            "positive",
            True,
            "Il a fait sa démarche sans dépendre de personne, ce que le projet voulait rendre possible.",
            (2026, 6),
        ),
        (
            "Le guichet d'orientation m'a aidée à demander la carte de personne handicapée.",
            ["droits"],
            "positive",
            False,
            None,
            (2026, 4),
        ),
    ],
    "al_hoceima": [
        (
            "قدمنا مقترح إنارة الطريق إلى دار الشباب ووافق عليه المجلس في دورة ماي.",
            ["مشاركة"],
            "positive",
            True,
            "أول مقترح للشباب تعتمده الجماعة، وهو ما يجعل الشباب يصدقون أن رأيهم مسموع.",
            (2026, 5),
        ),
        (
            "لم أنتخب في المجلس لكنني أحضر جلسات الاستماع وأتكلم فيها.",
            ["مشاركة"],
            "positive",
            False,
            None,
            (2026, 3),
        ),
    ],
    "ait_youssef_ou_ali": [
        (
            "صرت أقرأ اسم الدواء على العلبة وحدي، ولم أعد أنتظر ابني ليقرأه لي.",
            ["صحة", "تعليم"],
            "positive",
            True,
            "تغيير صغير في الظاهر لكنه يمنح المرأة استقلالية في أمر يخص صحتها.",
            (2026, 6),
        ),
        (
            "زوجي كان يرفض خروجي إلى القسم، والآن يسألني عما تعلمت.",
            ["أسرة"],
            "positive",
            False,
            None,
            (2026, 4),
        ),
    ],
    "mokrisset": [
        (
            "أول مرة ألعب كرة القدم مع فريق، وأبي يأتي ليتفرج علينا يوم الأحد.",
            ["رياضة"],
            "positive",
            True,
            "تغير نظرة الأسرة إلى رياضة الفتيات، وهو ما كان يمنعهن من قبل.",
            (2026, 6),
        ),
        (
            "في الليل يأخذ الشباب الكبار الملعب فلا نستطيع إكمال الحصة.",
            ["أمان"],
            "negative",
            False,
            None,
            (2026, 2),
        ),
    ],
    "gourrama": [
        (
            "Le relais passe me voir chaque semaine, je n'ai plus arrêté mon traitement pour la tension.",
            ["santé"],
            "positive",
            True,
            "Le suivi de proximité tient là où les visites au centre de santé échouaient.",
            (2026, 6),
        ),
        (
            "Quand la caravane ne vient pas, personne ne nous prévient et on attend toute la matinée.",
            ["organisation"],
            "negative",
            False,
            None,
            (2026, 3),
        ),
    ],
    "tanger": [
        (
            "Au marché je demande les prix en darija et les vendeurs rient avec moi, pas de moi.",
            ["langue", "liens"],
            "positive",
            True,
            "La langue change la relation avec les voisins, au-delà des démarches.",
            (2026, 6),
        ),
        (
            "Mon binôme m'a accompagné à l'arrondissement pour mon certificat de résidence.",
            ["démarches"],
            "positive",
            False,
            None,
            (2026, 4),
        ),
    ],
}


def pseudonym(commune: str, i: int) -> str:
    return hashlib.sha256(f"demo:{commune}:{i}".encode()).hexdigest()[:16]


def _answers(
    rng: random.Random, questions: list[dict[str, Any]], boost: float, profile: dict[str, Any]
) -> dict[str, Any]:
    """Plausible answers: scale items centred on "a little"/"average" at baseline, shifted up
    for some people at follow-up (boost); functioning items mostly "no difficulty"."""
    out: dict[str, Any] = {}
    for q in questions:
        qid, kind = q["id"], q["kind"]
        if kind in ("sex", "age_band", "public"):
            out[qid] = profile.get(kind) or q["options"][0]["value"]
        elif kind == "scale5":
            base = rng.choice([1, 2, 2, 3, 3, 3, 4, 4, 5])
            out[qid] = max(
                1, min(5, base + (1 if rng.random() < boost else 0) + (1 if rng.random() < boost / 3 else 0))
            )
        elif kind == "yes_no":
            out[qid] = "yes" if rng.random() < 0.35 + boost * 0.5 else "no"
        elif kind == "wg4":
            out[qid] = rng.choices([1, 2, 3, 4], weights=[80, 14, 5, 1])[0]
        elif kind == "choice":
            out[qid] = rng.choice(q["options"])["value"]
    return out


def build_demo(
    commune_id: str,
    seed: int = 7,
    n_respondents: int = 28,
    project: Project | None = None,
    lang: str | None = None,
    bank: Any = None,
) -> DemoProject:
    """A project with two poll waves and stories. `project` is saved first by the caller, who
    then stores the polls (their project_id is set with `attach`)."""
    rng = random.Random(f"{seed}:{commune_id}")
    base = commune_id if commune_id in PROJECT_BUILDERS else rng.choice(DEMO_COMMUNES)
    proj = project or PROJECT_BUILDERS[base]().model_copy(update={"commune_id": commune_id})
    lang = lang or LANG[base]
    questions = poll_questions(POLL_MODULES[base], bank)
    n_respondents = max(6, n_respondents + RESPONDENTS_OFFSET[base])
    demo = DemoProject(project=proj)
    start = proj.period_start or date(2025, 1, 1)
    for wave, boost, when in (
        ("baseline", 0.0, start + timedelta(days=20)),
        ("follow-up", 0.45, date(2026, 6, 10)),
    ):
        poll = Poll(
            project_id=proj.id or 0,
            wave=wave,
            title=proj.title,
            questions=questions,
            token=f"demo-{commune_id}-{wave}"[:32],
            is_open=wave == "follow-up",
            created_at=datetime(when.year, when.month, when.day, 8, tzinfo=timezone.utc),
        )
        dp = DemoPoll(poll=poll)
        n = n_respondents if wave == "baseline" else n_respondents - 3  # a few lost to follow-up
        for i in range(n):
            ps = pseudonym(commune_id, i)
            r = random.Random(f"{seed}:{commune_id}:{i}")
            at = datetime(when.year, when.month, when.day, 9, tzinfo=timezone.utc) + timedelta(hours=3 * i)
            profile = {
                "sex": "female" if r.random() < 0.55 else "male",
                "age_band": r.choice(["15-17", "18-24", "18-24", "25-34"]),
            }
            dp.respondents.append(
                Respondent(
                    poll_id=0,
                    pseudonym=ps,
                    consent=True,
                    consent_at=at,
                    language=lang,
                    profile=profile,
                    completed_at=at + timedelta(minutes=6),
                )
            )
            answers = _answers(random.Random(f"{seed}:{commune_id}:{i}:{wave}"), questions, boost, profile)
            dp.responses[ps] = [
                Response(respondent_id=0, question=k, value=v, answered_at=at + timedelta(minutes=1 + j))
                for j, (k, v) in enumerate(answers.items())
            ]
        demo.polls.append(dp)
    for text, tags, pol, significant, why, (year, month) in STORIES[base]:
        demo.stories.append(
            Story(
                project_id=proj.id,
                text=text,
                tags=list(tags),
                polarity=pol,
                significant=significant,
                significance_reason=why,
                created_at=datetime(year, month, 15, tzinfo=timezone.utc),
            )
        )
    return demo


@dataclass
class Stored:
    """What `materialise` produced: records with their ids, ready for the exports."""

    project: Project
    polls: list[tuple[Poll, list[Respondent], list[Response]]] = field(default_factory=list)
    stories: list[Story] = field(default_factory=list)


def materialise(demo: DemoProject, store: Any) -> Stored:
    """Store a demo project through `store` (an object with add_project, add_poll,
    add_respondent, add_response, add_story returning the record with its id): the project, then
    each poll with its respondents and answers; the stories are told by the first follow-up
    respondents, who answer the open question with them (`{"story": id}`), as in a real poll."""
    project = store.add_project(demo.project)
    out = Stored(project=project)
    story_authors: dict[str, Respondent] = {}
    for dp in demo.polls:
        poll = store.add_poll(dp.poll.model_copy(update={"project_id": project.id}))
        respondents, responses = [], []
        for r in dp.respondents:
            saved = store.add_respondent(r.model_copy(update={"poll_id": poll.id}))
            respondents.append(saved)
            for a in dp.responses.get(r.pseudonym, []):
                responses.append(store.add_response(a.model_copy(update={"respondent_id": saved.id})))
            if dp.poll.wave == "follow-up":
                story_authors.setdefault(r.pseudonym, saved)
        out.polls.append((poll, respondents, responses))
    authors = list(story_authors.values())
    text_q = next((q["id"] for dp in demo.polls for q in dp.poll.questions if q["kind"] == "text"), None)
    for k, s in enumerate(demo.stories):
        author = authors[k] if k < len(authors) else None
        story = store.add_story(
            s.model_copy(update={"project_id": project.id, "respondent_id": author.id if author else None})
        )
        out.stories.append(story)
        if author is not None and text_q:
            resp = store.add_response(
                Response(
                    respondent_id=author.id,
                    question=text_q,
                    value={"story": story.id},
                    answered_at=story.created_at,
                )
            )
            for _poll, rs, answers in out.polls:
                if any(r.id == author.id for r in rs):
                    answers.append(resp)
    return out


class MemoryStore:
    """Ids assigned in memory (tests and benchmarks, no database)."""

    def __init__(self, start: int = 1):
        import itertools

        self._ids = itertools.count(start)

    def _with_id(self, record: Any) -> Any:
        return record.model_copy(update={"id": next(self._ids)})

    def add_project(self, p: Project) -> Project:
        p = self._with_id(p)
        for e in p.effects:
            e.id = next(self._ids)
            for i in e.indicators:
                i.id = next(self._ids)
        return p

    add_poll = add_respondent = add_response = add_story = _with_id


class UowStore:
    """Ids assigned by the database, through the repositories of a unit of work."""

    def __init__(self, uow: Any):
        self.uow = uow

    def add_project(self, p: Project) -> Project:
        return self.uow.projects.add(p)

    def add_poll(self, p: Poll) -> Poll:
        return self.uow.polls.add(p)

    def add_respondent(self, r: Respondent) -> Respondent:
        return self.uow.respondents.add(r)

    def add_response(self, r: Response) -> Response:
        return self.uow.responses.upsert(r)

    def add_story(self, s: Story) -> Story:
        return self.uow.stories.add(s)


def project_data(stored: Stored) -> Any:
    """The report input of one stored demo project (exports.reports.ProjectData)."""
    from exports.reports import PollData, ProjectData

    return ProjectData(
        project=stored.project,
        polls=[PollData(p, list(r), list(a)) for p, r, a in stored.polls],
        stories=list(stored.stories),
    )

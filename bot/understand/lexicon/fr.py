"""French.

"midi" is noon but "après-midi" the afternoon; "plus tôt" is earlier but
"au plus tôt" as soon as possible: the longer phrases win. "à" both gives a
time ("à 15h") and closes a range ("de 14h à 16h"). "le 10" is a date.
"""

from __future__ import annotations

from bot.understand.lexicon import Combos, Entries, build
from bot.understand.lexicon.common import COMMON, merged

_OWN: Entries = {
    "day": {"aujourd'hui": 0, "aujourdhui": 0, "auj": 0, "demain": 1, "après-demain": 2,
            "apres demain": 2},
    "weekday": {"lundi": 0, "mardi": 1, "mercredi": 2, "jeudi": 3, "vendredi": 4,
                "samedi": 5, "dimanche": 6},
    "part": {
        "matin": "morning", "le matin": "morning", "du matin": "morning",
        "matinée": "morning", "dans la matinée": "morning", "en matinée": "morning",
        "après-midi": "afternoon", "l'après-midi": "afternoon",
        "de l'après-midi": "afternoon", "aprem": "afternoon", "dans l'après-midi": "afternoon",
        "soir": "evening", "le soir": "evening", "du soir": "evening", "soirée": "evening",
        "en soirée": "evening", "dans la soirée": "evening", "en fin de journée": "evening",
        "fin de journée": "evening", "en début de matinée": "morning",
        "nuit": "night", "la nuit": "night", "de la nuit": "night",
    },
    "noon": {"midi": None},
    "midnight": {"minuit": None},
    "next": {"prochain": None, "prochaine": None, "qui vient": None},
    "this": {"ce": None, "cet": None, "cette": None},
    "week": {"semaine": None, "semaines": None},
    "weekend": {"week-end": None, "weekend": None, "fin de semaine": None},
    "unit": {"jour": "day", "jours": "day", "minute": "minute", "minutes": "minute",
             "min": "minute", "mois": "month"},
    "in": {"dans": None, "d'ici": None},
    "halfhour": {"une demi-heure": None, "demi-heure": None},
    "after": {"après": None, "pas avant": None, "plus tard que": None},
    "before": {"avant": None, "pas après": None, "au plus tard": None},
    "between": {"entre": None},
    "from": {"à partir de": None, "dès": None, "depuis": None, "a partir d": None},
    "range_from": {"de": None},
    "until": {"jusqu'à": None, "jusqu'au": None, "jusqu": None},
    "to": {"au": None},
    "and": {"et": None},
    "at": {"vers": None, "aux alentours de": None, "autour de": None, "environ": None},
    "minutes": {"et demie": 30, "et demi": 30, "et quart": 15, "moins le quart": -15,
                "moins quart": -15},
    "asap": {"dès que possible": None, "au plus tôt": None, "le plus tôt possible": None,
             "le plus vite possible": None, "au plus vite": None,
             "premier créneau disponible": None, "première disponibilité": None,
             "le plus rapidement possible": None, "au plus tôt possible": None,
             "premier créneau": None, "le premier créneau libre": None,
             "premier créneau libre": None, "dès que vous pouvez": None},
    "ordinal": {"premier": 1, "première": 1, "deuxième": 2, "second": 2, "seconde": 2,
                "troisième": 3, "quatrième": 4, "cinquième": 5, "sixième": 6,
                "septième": 7, "huitième": 8, "neuvième": 9, "dixième": 10},
    "numword": {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6,
                "huit": 8, "neuf": 9, "dix": 10, "onze": 11, "douze": 12},
    "dom": {"le": None},
    "article": {"la": None, "les": None, "l": None},
    "intent": {
        "réserver": "book", "réservation": "book", "rendez-vous": "book", "rdv": "book",
        "prendre rendez-vous": "book", "créneau": "book", "créneaux": "book",
        "disponible": "book", "dispo": "book", "dispos": "book", "disponibilité": "book",
        "prendre un rdv": "book", "un rendez-vous": "book",
        "mes rendez-vous": "list", "mon rendez-vous": "list", "mes rdv": "list",
        "mon rdv": "list", "mes réservations": "list", "ma réservation": "list",
        "annuler": "cancel", "annule": "cancel", "annulez": "cancel",
        "annulation": "cancel", "décommander": "cancel",
        "déplacer": "reschedule", "déplace": "reschedule", "déplacez": "reschedule",
        "changer": "reschedule", "change": "reschedule", "modifier": "reschedule",
        "reporter": "reschedule", "décaler": "reschedule",
        "liste d'attente": "waitlist", "prévenez-moi": "waitlist",
        "préviens-moi": "waitlist", "me prévenir": "waitlist",
        "tenez-moi au courant": "waitlist",
        "aide": "help", "aidez-moi": "help", "que peux-tu faire": "help",
        "que pouvez-vous faire": "help", "comment ça marche": "help",
        "comment ça fonctionne": "help", "menu": "help",
    },
    "command": {
        "recommencer": "restart", "on recommence": "restart", "redémarrer": "restart",
        "réinitialiser": "restart", "depuis le début": "restart",
        "reprendre depuis le début": "restart", "tout recommencer": "restart",
        "reset": "restart",
        "humain": "human", "un humain": "human", "conseiller": "human",
        "conseillère": "human", "agent": "human", "opérateur": "human",
        "une vraie personne": "human", "vraie personne": "human", "standard": "human",
        "accueil": "human",
        "changer de langue": "language", "changer la langue": "language",
        "autre langue": "language", "langue": "language",
        "plus tôt": "earlier", "un peu plus tôt": "earlier",
        "plus tard": "later", "un peu plus tard": "later",
        "un autre jour": "another_day", "autre jour": "another_day",
        "une autre date": "another_day", "autre date": "another_day",
        "un jour différent": "another_day",
    },
    "human_verb": {"parler": None},
    "human_who": {"personne": None, "quelqu'un": None, "une personne": None},
    "yes": {"oui": None, "ouais": None, "d'accord": None, "dac": None, "parfait": None,
            "bien sûr": None, "ça marche": None, "c'est bon": None, "volontiers": None,
            "confirme": None, "je confirme": None, "exactement": None, "tout à fait": None,
            "oui merci": None, "ça me va": None, "super": None, "très bien": None,
            "entendu": None, "ouep": None, "yes": None},
    "no": {"non": None, "non merci": None, "nan": None, "pas du tout": None,
           "surtout pas": None, "ça ne va pas": None},
    "polite": {"bonjour": None, "bonsoir": None, "salut": None, "coucou": None,
               "merci": None, "merci beaucoup": None, "s'il vous plaît": None,
               "s'il te plaît": None, "svp": None, "stp": None, "bonne journée": None,
               "excusez-moi": None},
    "filler": {"option": None, "numéro": None, "je": None, "prends": None,
               "prendrai": None, "choisis": None, "celui": None, "celle": None,
               "ci": None, "voudrais": None, "n°": None, "#": None, ".": None},
}  # fmt: skip

_MORE: Entries = {
    "day": {"dem1": 1, "dmain": 1, "2main": 1, "ajd": 0},
    "weekday": {"lun": 0, "mar": 1, "mer": 2, "jeu": 3, "ven": 4, "sam": 5, "dim": 6},
    "numword": {"une": 1, "un": 1, "treize": 13, "quatorze": 14, "quinze": 15,
                "seize": 16, "dix sept": 17, "dix huit": 18, "dix neuf": 19, "vingt": 20,
                "vingt et un": 21, "vingt deux": 22, "vingt trois": 23, "trente": 30,
                "quarante": 40, "quarante cinq": 45, "cinquante": 50},
    "minutes": {"moins dix": -10, "moins cinq": -5, "moins vingt": -20,
                "moins vingt cinq": -25},
    "last": {"dernier": None, "dernière": None},
    "intent": {
        "quelque chose de réservé": "list", "j'ai quelque chose": "list",
        "c'est quoi mes rdv": "list", "se libère": "waitlist", "se libere": "waitlist",
    },
    "filler": {"mais": None},
}  # fmt: skip


_COMBOS: Combos = {
    "sept": (("month", 9), ("numword", 7)),  # September, short, and seven
    "ce matin": (("day", 0), ("part", "morning")),
    "cet après-midi": (("day", 0), ("part", "afternoon")),
    "cet aprem": (("day", 0), ("part", "afternoon")),
    "ce soir": (("day", 0), ("part", "evening")),
    "cette nuit": (("day", 0), ("part", "night")),
    "à": (("to", None), ("at", None)),
    "heure": (("unit", "hour"), ("hourword", None)),
    "heures": (("unit", "hour"), ("hourword", None)),
    "un": (("numword", 1), ("one", None), ("filler", None)),
    "une": (("numword", 1), ("one", None)),
    "sept": (("numword", 7), ("month", 9)),  # seven, and September's abbreviation
}

LEXICON = build("fr", merged(COMMON, _OWN, _MORE), _COMBOS)

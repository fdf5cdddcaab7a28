"""German.

"morgen" is tomorrow, but "heute Morgen", "am Morgen" and "guten Morgen"
are not: the longer phrases win. "halb 4" is 3:30 (then the hour rule:
15:30). "am 10." and "den 10." are dates; "die zweite" is a choice.
"""

from __future__ import annotations

from bot.understand.lexicon import Combos, Entries, build
from bot.understand.lexicon.common import COMMON, merged

_OWN: Entries = {
    "day": {"heute": 0, "morgen": 1, "übermorgen": 2, "uebermorgen": 2},
    "weekday": {
        "montag": 0, "montags": 0, "dienstag": 1, "dienstags": 1, "mittwoch": 2,
        "mittwochs": 2, "donnerstag": 3, "donnerstags": 3, "freitag": 4, "freitags": 4,
        "samstag": 5, "samstags": 5, "sonnabend": 5, "sonntag": 6, "sonntags": 6,
    },
    "part": {
        "vormittag": "morning", "vormittags": "morning", "am vormittag": "morning",
        "morgens": "morning", "am morgen": "morning", "früh": "morning",
        "frueh": "morning", "in der früh": "morning",
        "nachmittag": "afternoon", "nachmittags": "afternoon",
        "am nachmittag": "afternoon",
        "abend": "evening", "abends": "evening", "am abend": "evening",
        "nacht": "night", "nachts": "night", "in der nacht": "night",
    },
    "noon": {"mittag": None, "mittags": None, "am mittag": None, "zu mittag": None},
    "midnight": {"mitternacht": None},
    "next": {"nächste": None, "nächsten": None, "nächster": None, "nächstes": None,
             "naechste": None, "naechsten": None, "kommende": None, "kommenden": None,
             "kommender": None, "kommendes": None},
    "this": {"diese": None, "diesen": None, "dieser": None, "dieses": None},
    "week": {"woche": None, "wochen": None},
    "weekend": {"wochenende": None, "am wochenende": None},
    "unit": {"tag": "day", "tage": "day", "tagen": "day", "stunde": "hour",
             "stunden": "hour", "std": "hour", "minute": "minute", "minuten": "minute",
             "min": "minute", "monat": "month", "monate": "month", "monaten": "month"},
    "in": {"in": None, "im": None},
    "halfhour": {"einer halben stunde": None, "halben stunde": None, "halbe stunde": None},
    "after": {"nach": None, "später als": None, "nicht vor": None},
    "before": {"vor": None, "nicht nach": None, "spätestens": None,
               "spätestens um": None},
    "between": {"zwischen": None},
    "from": {"ab": None, "frühestens": None, "frühestens um": None},
    "range_from": {"von": None},
    "until": {"bis": None, "bis um": None},
    "and": {"und": None},
    "at": {"um": None, "gegen": None, "so um": None, "ca": None, "circa": None,
           "etwa": None, "so gegen": None},
    "hourword": {"uhr": None},
    "minutes_before": {"halb": -30, "viertel nach": 15, "viertel vor": -15},
    "asap": {"so bald wie möglich": None, "so schnell wie möglich": None,
             "frühestmöglich": None, "so früh wie möglich": None, "möglichst bald": None,
             "möglichst früh": None, "baldmöglichst": None, "schnellstmöglich": None,
             "nächster freier termin": None, "nächstmöglich": None,
             "frühester termin": None, "erster freier termin": None,
             "nächstmöglichen termin": None, "frühestmöglichen termin": None,
             "den frühesten termin": None, "zum frühestmöglichen termin": None,
             "nächste freie termin": None, "nächsten freien termin": None},
    "ordinal": {"erste": 1, "ersten": 1, "erster": 1, "erstes": 1,
                "zweite": 2, "zweiten": 2, "zweiter": 2, "zweites": 2,
                "dritte": 3, "dritten": 3, "dritter": 3, "drittes": 3,
                "vierte": 4, "vierten": 4, "vierter": 4, "fünfte": 5, "fünften": 5,
                "sechste": 6, "sechsten": 6, "siebte": 7, "siebten": 7, "achte": 8,
                "achten": 8, "neunte": 9, "neunten": 9, "zehnte": 10, "zehnten": 10},
    "numword": {"eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6,
                "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "elf": 11, "zwölf": 12},
    "one": {"ein": None, "eine": None, "einer": None, "einem": None, "einen": None},
    "dom": {"den": None, "der": None, "zum": None, "vom": None},
    "article": {"die": None, "das": None},
    "intent": {
        "buchen": "book", "termin": "book", "einen termin": "book", "reservieren": "book",
        "reservierung": "book", "termin vereinbaren": "book", "frei": "book",
        "freie termine": "book", "verfügbar": "book", "buchung": "book",
        "meine termine": "list", "mein termin": "list", "meine buchungen": "list",
        "meine buchung": "list", "meine reservierungen": "list",
        "meine reservierung": "list", "welche termine habe ich": "list",
        "stornieren": "cancel", "storniere": "cancel", "storno": "cancel",
        "absagen": "cancel", "sage ab": "cancel", "abbestellen": "cancel",
        "canceln": "cancel", "stornierung": "cancel", "absage": "cancel",
        "verschieben": "reschedule", "verschiebe": "reschedule", "ändern": "reschedule",
        "umbuchen": "reschedule", "verlegen": "reschedule", "umlegen": "reschedule",
        "warteliste": "waitlist", "benachrichtigen": "waitlist",
        "benachrichtige mich": "waitlist", "bescheid geben": "waitlist",
        "bescheid sagen": "waitlist",
        "hilfe": "help", "was kannst du": "help", "wie funktioniert": "help",
        "menü": "help",
    },
    "command": {
        "neu starten": "restart", "neustart": "restart", "von vorne": "restart",
        "von vorn": "restart", "nochmal von vorne": "restart", "zurücksetzen": "restart",
        "neu anfangen": "restart", "reset": "restart", "neustarten": "restart",
        "mensch": "human", "einem menschen": "human", "mitarbeiter": "human",
        "mitarbeiterin": "human", "berater": "human", "echte person": "human",
        "echten person": "human", "rezeption": "human", "einen menschen": "human",
        "sprache ändern": "language", "andere sprache": "language",
        "sprache wechseln": "language", "sprache": "language",
        "früher": "earlier", "etwas früher": "earlier", "eher": "earlier",
        "später": "later", "etwas später": "later",
        "anderer tag": "another_day", "anderen tag": "another_day",
        "ein anderer tag": "another_day", "einen anderen tag": "another_day",
        "anderes datum": "another_day", "anderen tagen": "another_day",
        "an einem anderen tag": "another_day",
    },
    "human_verb": {"sprechen": None, "reden": None, "verbinden": None},
    "human_who": {"person": None, "jemandem": None, "jemand": None, "einer person": None},
    "yes": {"ja": None, "jawohl": None, "jep": None, "jo": None, "genau": None, "klar": None,
            "gerne": None, "gern": None, "passt": None, "in ordnung": None,
            "einverstanden": None, "bestätigen": None, "bestätige": None, "perfekt": None,
            "richtig": None, "na klar": None, "ja bitte": None, "alles klar": None,
            "super": None, "prima": None, "das passt": None, "jup": None},
    "no": {"nein": None, "nee": None, "nö": None, "lieber nicht": None,
           "auf keinen fall": None, "nein danke": None, "ne": None},
    "polite": {"hallo": None, "guten morgen": None, "guten tag": None, "guten abend": None,
               "moin": None, "servus": None, "grüß gott": None, "danke": None,
               "danke schön": None, "vielen dank": None, "bitte": None, "hi": None,
               "hey": None, "bitte schön": None, "liebe grüße": None},
    "filler": {"option": None, "nummer": None, "nr": None, "ich": None, "nehme": None,
               "nehm": None, "möchte": None, "hätte": None, "#": None, ".": None,
               "wähle": None},
}  # fmt: skip

_MORE: Entries = {
    "weekday": {"mo": 0, "di": 1, "mi": 2, "do": 3, "fr": 4, "sa": 5},
    "numword": {"dreizehn": 13, "vierzehn": 14, "fünfzehn": 15, "sechzehn": 16,
                "siebzehn": 17, "achtzehn": 18, "neunzehn": 19, "zwanzig": 20,
                "fünfundzwanzig": 25, "dreißig": 30, "dreissig": 30,
                "fünfundvierzig": 45, "vierzig": 40, "fünfzig": 50},
    "ordinal": {"elfte": 11, "elften": 11, "zwölfte": 12, "zwölften": 12,
                "zwanzigste": 20, "zwanzigsten": 20, "zwanzigster": 20,
                "einundzwanzigste": 21, "einundzwanzigsten": 21, "einundzwanzigster": 21,
                "zweiundzwanzigste": 22, "zweiundzwanzigsten": 22, "zweiundzwanzigster": 22,
                "dreißigste": 30, "dreißigsten": 30, "dreißigster": 30,
                },
    "minutes_before": {"viertel vor": -15, "viertel nach": 15, "dreiviertel": -15},
    "last": {"letzter": None, "letzten": None, "letzte": None},
    "thru": {"auf": None},
    "intent": {
        "was gebucht": "list", "etwas gebucht": "list", "termine hab ich": "list",
        "termine habe ich": "list", "hab ich einen termin": "list",
        "habe ich einen termin": "list", "bescheid": "waitlist", "frei wird": "waitlist",
        "hab ich demnächst einen termin": "list", "habe ich demnächst einen termin": "list",
        "hab ich demnächst": "list", "habe ich demnächst": "list", "legen": "reschedule",
        "sagt mir bescheid": "waitlist", "sag mir bescheid": "waitlist",
    },
    "polite": {"hallo zusammen": None, "moin moin": None, "hallöchen": None},
    "filler": {"hätte gern": None, "hätte gerne": None, "gern hätte": None, "nen": None,
               "geht": None},
}  # fmt: skip


_COMBOS: Combos = {
    "heute morgen": (("day", 0), ("part", "morning")),
    "heute früh": (("day", 0), ("part", "morning")),
    "heute abend": (("day", 0), ("part", "evening")),
    "heute nacht": (("day", 0), ("part", "night")),
    "morgen früh": (("day", 1), ("part", "morning")),
    "morgen morgen": (("day", 1), ("part", "morning")),
    "am": (("dom", None), ("on_day", None)),  # "am Dienstag", "am 10.": never a.m.
}

_STEMS = (
    "erst", "zweit", "dritt", "viert", "fünft", "sechst", "siebt", "acht", "neunt", "zehnt",
    "elft", "zwölft", "dreizehnt", "vierzehnt", "fünfzehnt", "sechzehnt", "siebzehnt",
    "achtzehnt", "neunzehnt", "zwanzigst", "einundzwanzigst", "zweiundzwanzigst",
    "dreiundzwanzigst", "vierundzwanzigst", "fünfundzwanzigst", "sechsundzwanzigst",
    "siebenundzwanzigst", "achtundzwanzigst", "neunundzwanzigst", "dreißigst",
    "einunddreißigst",
)  # fmt: skip
_ORDINALS: Entries = {
    "ordinal": {
        stem + ending: n
        for n, stem in enumerate(_STEMS, start=1)
        for ending in ("e", "en", "er", "es", "em")
    }
}
"""Every day of the month as an ordinal, in every ending ("zehnter Dezember", "am
zweiundzwanzigsten")."""

_DAY_PARTS = {"morgen": "morning", "vormittag": "morning", "mittag": "afternoon",
              "nachmittag": "afternoon", "abend": "evening"}  # fmt: skip
_WEEKDAY_STEMS = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag",
                  "sonntag")  # fmt: skip
_COMPOUNDS: Combos = {
    stem + part: (("weekday", n), ("part", value))
    for n, stem in enumerate(_WEEKDAY_STEMS)
    for part, value in _DAY_PARTS.items()
}
"""One word for a weekday and its part: "Samstagvormittag", "Freitagabend"."""

LEXICON = build("de", merged(COMMON, _OWN, _MORE, _ORDINALS), {**_COMBOS, **_COMPOUNDS})

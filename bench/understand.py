"""``python -m bench.understand``: how well and how fast a message is understood.

Reads every row of the test tables (``bench/phrases.py`` and its tables, five
languages) after :func:`~bot.understand.warm_up`, as the bot does after
start-up: the phrase table, the whole chat messages used to tune the reader
(``messages.txt``) and the held-out messages never tuned on (``heldout.txt``).
Prints, for each part, the accuracy (readings equal to the table's, field for
field) and the share of time wishes read exactly, per language and overall,
and the time per message: each phrase is
read several times and its median kept, then the median and p95 over phrases.
A 5,000-character message of garbage is timed too: the bot must shrug it
off as fast as a short one. Misread phrases are listed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import string
import time
from collections import Counter
from datetime import UTC, datetime

from bench.__main__ import calibration_ms
from bench.phrases import CATALOG, HELDOUT, MESSAGES, PHRASES, Phrase
from bot.understand import LANGUAGES, Reading, reading_json, understand, warm_up

RUNS = 7
GARBAGE_MESSAGES = 21


def read(phrase: Phrase) -> Reading:
    return understand(
        phrase.text, now=phrase.now, zone=phrase.zone, lang=phrase.lang, catalog=CATALOG
    )


def phrase_ms(phrase: Phrase, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        read(phrase)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def garbage_ms(lang: str) -> float:
    rnd = random.Random(lang)
    alphabet = string.printable + "äöüßéñабвгдеёжзийклмнопрстуфя😀👍\u200b\x00" + "3:" * 10
    now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    times = []
    for _ in range(GARBAGE_MESSAGES):
        message = "".join(rnd.choice(alphabet) for _ in range(5000))
        start = time.perf_counter()
        understand(message, now=now, zone="Europe/Berlin", lang=lang, catalog=CATALOG)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def accuracy(title: str, phrases: tuple[Phrase, ...]) -> list[tuple[Phrase, Reading]]:
    """Print one part's accuracy table; return what it misread.

    "whole" counts readings right in every field; "time" counts, among the rows
    whose expected reading has a time wish, those whose ``when`` is exactly it.
    """
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    timed: Counter[str] = Counter()
    timed_right: Counter[str] = Counter()
    misread: list[tuple[Phrase, Reading]] = []
    for phrase in phrases:
        reading = read(phrase)
        total[phrase.lang] += 1
        if reading == phrase.expected:
            right[phrase.lang] += 1
        else:
            misread.append((phrase, reading))
        if phrase.expected.when is not None:
            timed[phrase.lang] += 1
            timed_right[phrase.lang] += reading.when == phrase.expected.when
    print(f"\nAccuracy, {title}: whole readings, and time wishes read exactly")
    print("| language | messages | whole right | whole | time wishes | time right | time |")
    print("|---|---|---|---|---|---|---|")
    locales = sorted(set(total) - set(LANGUAGES))  # "en-US": read with its own date order
    for lang in (*LANGUAGES, *locales, "all"):

        def pick(counter: Counter[str], lang: str = lang) -> int:
            return sum(counter.values()) if lang == "all" else counter[lang]

        count, ok, wishes, wish_ok = pick(total), pick(right), pick(timed), pick(timed_right)
        print(
            f"| {lang} | {count} | {ok} | {100 * ok / max(count, 1):.1f}% "
            f"| {wishes} | {wish_ok} | {100 * wish_ok / max(wishes, 1):.1f}% |"
        )
    return misread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS, help="reads per phrase")
    args = parser.parse_args()
    print(f"machine calibration: {calibration_ms():.1f} ms (sum of 1e6 squares)")
    start = time.perf_counter()
    warm_up()
    print(f"warm-up (five languages): {(time.perf_counter() - start) * 1000:.0f} ms")

    misread: list[tuple[Phrase, Reading]] = []
    for title, part in (
        ("phrase table", PHRASES),
        ("chat messages, tuning part", MESSAGES),
        ("chat messages, held-out part", HELDOUT),
    ):
        misread += accuracy(title, part)
    times = [phrase_ms(phrase, args.runs) for phrase in (*PHRASES, *MESSAGES, *HELDOUT)]

    print(f"\nTime per message (median of {args.runs} reads of each phrase)")
    print("| messages | median | p95 | max |")
    print("|---|---|---|---|")
    print(
        f"| table ({len(times)}) | {statistics.median(times):.2f} ms "
        f"| {percentile(times, 0.95):.2f} ms | {max(times):.2f} ms |"
    )
    garbage = [garbage_ms(lang) for lang in LANGUAGES]
    print(
        f"| 5,000 characters of garbage (median per language) | "
        f"{statistics.median(garbage):.2f} ms | - | {max(garbage):.2f} ms |"
    )
    for phrase, reading in misread:
        print(f"\nmisread [{phrase.lang}] {phrase.text!r} ({phrase.note})")
        print(f"  expected {reading_json(phrase.expected)}")
        print(f"  got      {reading_json(reading)}")


if __name__ == "__main__":
    main()

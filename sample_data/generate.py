#!/usr/bin/env python3
"""Deterministic generator of realistic, messy contact exports for listprep.

Standard library only. ``python sample_data/generate.py`` (re)writes the sample files next to this
script; ``python sample_data/generate.py --rows 1000000 --seed 7 -o big.csv`` writes one large CSV.
Same arguments, same bytes: everything is drawn from a seeded ``random.Random``.
"""

from __future__ import annotations

import argparse
import csv
import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
Table = tuple[list[T], list[float]]
Spell = Callable[[random.Random, str], str]
# An earlier row whose phone may be reused: (10 national digits, cell text, first, last).
Seen = tuple[str, str, str, str]

# fmt: off
CRM_HEADER = [
    "customer_id", "first_name", "last_name", "phone", "email",
    "company_name", "city", "due_amount", "due_date",
]
# fmt: on
BRANCH_HEADER = ["first_name", "last_name", "Mobile", "email", "tag", "due_amount", "due_date"]
SMS_TEMPLATE = (
    "Dear @@first_name, your payment of Rs @@due_amount is due on @@due_date. "
    "Pay at https://acme.example/pay to avoid late fees. -ACME\n"
)
VOICE_TEMPLATE = (
    "Hello @@first_name. This is ACME Finance. A payment of @@due_amount rupees "
    "is due on @@due_date. Thank you.\n"
)
POOL_CAP = 50_000  # earlier numbers kept for duplicates; bounds memory on million-row runs


def _table(pairs: Sequence[tuple[float, T]]) -> Table[T]:
    return [item for _, item in pairs], list(accumulate(weight for weight, _ in pairs))


def _pick(rng: random.Random, table: Table[T]) -> T:
    items, cum = table
    return items[bisect(cum, rng.random() * cum[-1])]


def _digits(rng: random.Random, k: int) -> str:
    return f"{rng.randrange(10**k):0{k}d}"


# --- Indian mobiles -------------------------------------------------------------------------
# Two-digit prefixes that phonenumbers 9.x types as MOBILE (or FIXED_LINE_OR_MOBILE) for every
# suffix; random 61x-68x, 71x, 80x... numbers partly come back as FIXED_LINE.
_MOBILE_PREFIX = _table(
    [(6.0, f"9{i}") for i in range(10)]
    + [(5.0, p) for p in ("70", "72", "74", "84", "85")]
    + [(3.0, p) for p in ("60", "69")]
)
_DEVANAGARI = str.maketrans("0123456789", "०१२३४५६७८९")


def _mobile_digits(rng: random.Random) -> str:
    return _pick(rng, _MOBILE_PREFIX) + _digits(rng, 8)


def _with_zwsp(rng: random.Random, text: str) -> str:
    i = rng.randrange(len(text) + 1)
    return text[:i] + "\u200b" + text[i:]


# (weight, spelling, phonenumbers.parse(cell, "IN") gives the same number as the bare digits).
# Only spellings flagged True are used for duplicates, so duplicates are real after parsing.
_MOBILE_SPELLINGS: list[tuple[float, Spell, bool]] = [
    (26, lambda r, d: d, True),
    (7, lambda r, d: f"+91 {d[:5]} {d[5:]}", True),
    (7, lambda r, d: f"+91{d}", True),
    (5, lambda r, d: f"91{d}", True),
    (6, lambda r, d: f"0{d}", True),
    (4, lambda r, d: f"{d[:5]} {d[5:]}", True),
    (3, lambda r, d: f"0091 {d[:5]} {d[5:]}", True),
    (2, lambda r, d: f"0091{d}", True),
    (3, lambda r, d: f"91-{d[:5]}-{d[5:]}", True),
    (2, lambda r, d: f"+91-{d}", True),
    (2, lambda r, d: f"+91 (0) {d[:5]} {d[5:]}", True),
    (2, lambda r, d: f"(+91) {d[:5]}-{d[5:]}", True),
    (3, lambda r, d: f"+91\u00a0{d[:5]}\u00a0{d[5:]}", True),
    (2, lambda r, d: f"{d[:5]}\u202f{d[5:]}", False),  # phonenumbers rejects U+202F
    (2, lambda r, d: _with_zwsp(r, d), True),
    (2, lambda r, d: f"tel:+91{d}", True),
    (3, lambda r, d: f'="{d}"', True),
    (2, lambda r, d: f" {d} ", True),
    (1, lambda r, d: d.translate(_DEVANAGARI), True),
    (1, lambda r, d: f"+91 {d[:5]} {d[5:]}".translate(_DEVANAGARI), True),
    (1, lambda r, d: f"091 {d}", False),  # phonenumbers reads +91 919876543210 (invalid)
    (1, lambda r, d: f"{d[:5]} {d[5:]} / {_mobile_digits(r)}", False),  # two numbers, one cell
]
_SPELL_ALL = _table([(w, s) for w, s, _ in _MOBILE_SPELLINGS])
_SPELL_SAME = _table([(w, s) for w, s, same in _MOBILE_SPELLINGS if same])


def _respell(rng: random.Random, digits: str, old: str) -> str:
    """Another spelling of the same mobile that phonenumbers parses to the same E.164."""
    for _ in range(20):
        cell = _pick(rng, _SPELL_SAME)(rng, digits)
        if cell != old:
            return cell
    return f"+91 {digits[:5]} {digits[5:]}"


# --- everything else in a phone column ---------------------------------------------------
def _landline(rng: random.Random) -> str:
    std = rng.choice(("80", "22", "11", "44", "33", "40", "20", "141", "484"))
    sub = rng.choice("2234") + _digits(rng, 9 - len(std))
    h = len(sub) // 2
    forms = (
        f"0{std}-{sub[:h]} {sub[h:]}",
        f"+91 {std} {sub}",
        f"0{std} {sub[:h]} {sub[h:]}",
        f"0{std}-{sub}",
        f"(0{std}) {sub}",
        f"0{std}-{sub[:h]} {sub[h:]} ext {rng.randrange(10, 300)}",
    )
    return rng.choice(forms)


def _foreign(rng: random.Random) -> str:
    forms = (
        f"+1 415 555 {_digits(rng, 4)}",
        f"+1 (212) 555-{_digits(rng, 4)}",
        f"+44 20 7946 {_digits(rng, 4)}",
        f"0044 7911 1{_digits(rng, 5)}",
        f"+971 50 {_digits(rng, 3)} {_digits(rng, 4)}",
        f"+65 9{rng.randrange(900):03d} {_digits(rng, 4)}",
    )
    return rng.choice(forms)


def _excel(rng: random.Random) -> str:
    d = _mobile_digits(rng)
    full = "91" + d
    forms = (
        f"{d}.0",
        f"{full}.0",
        f"{full[0]}.{full[1:]}E+11",  # full precision: recoverable
        f"{int(full) / 1e11:.5f}E+11",  # General format: digits lost
        f"{int(d) / 1e9:.5f}E+09",
    )
    return rng.choice(forms)


def _masked(rng: random.Random) -> str:
    d = _mobile_digits(rng)
    forms = (
        f"{d[:5]}XXXXX",
        f"{d[:2]}XXXXXX{d[-2:]}",
        f"{d[:6]}xxxx",
        f"+91 {d[:5]} XXXXX",
        f"******{d[-4:]}",
    )
    return rng.choice(forms)


def _service(rng: random.Random) -> str:
    forms = (
        f"1800 {_digits(rng, 3)} {_digits(rng, 4)}",
        f"1800-{_digits(rng, 3)}-{_digits(rng, 4)}",
        f"140{_digits(rng, 7)}",
        f"+91 140 {_digits(rng, 7)}",
        f"1600{_digits(rng, 6)}",
        f"1601{_digits(rng, 6)}",
    )
    return rng.choice(forms)


# fmt: off
_JUNK = (
    "", "", "", " ", "  ", "n/a", "N/A", "NA", "-", "0", "12345", "call later",
    "#N/A", "null", "none", "wrong number", "9876",
)
# fmt: on


def _junk(rng: random.Random) -> str:
    return rng.choice(_JUNK)


_OTHER_KINDS = _table(
    [
        (8.0, _landline),
        (3.0, _foreign),
        (3.0, _excel),
        (3.0, _masked),
        (3.0, _service),
        (10.0, _junk),
    ]
)


def _draw_phone(rng: random.Random) -> tuple[str, str | None]:
    """A phone cell and, when it spells an Indian mobile, that mobile's 10 digits."""
    if rng.random() < 0.70:
        digits = _mobile_digits(rng)
        return _pick(rng, _SPELL_ALL)(rng, digits), digits
    return _pick(rng, _OTHER_KINDS)(rng), None


def messy_phone(rng: random.Random) -> str:
    """One phone cell: ~70% Indian mobiles in many spellings, landlines, foreign, Excel damage,
    masked, toll-free/commercial series, and ~10% empty or junk."""
    return _draw_phone(rng)[0]


# --- the other columns -------------------------------------------------------------------
# fmt: off
FIRST_NAMES = (
    "Rahul", "Priya", "Amit", "Sneha", "Vikram", "Anjali", "Arjun", "Kavya", "Rohan", "Pooja",
    "Suresh", "Lakshmi", "Mohammed", "Fatima", "Gurpreet", "Harpreet", "Joseph", "Mary", "Aarav",
    "Diya", "Karthik", "Divya", "Sanjay", "Neha", "Ravi", "Meena", "Imran", "Ayesha", "Deepak",
    "Swati", "राहुल", "प्रिया", "सुनीता", "विकास",
    "Venkata Satya Sai Lakshmi Narasimha", "Anantha Padmanabha Swaminathan",
)
LAST_NAMES = (
    "Sharma", "Verma", "Patel", "Reddy", "Iyer", "Nair", "Singh", "Khan", "Das", "Gupta", "Mehta",
    "Joshi", "Kulkarni", "Menon", "Banerjee", "Fernandes", "D'Souza", "Rao", "Agarwal", "",
    "शर्मा", "सिंह", "Venkataraghavan Srinivasaraghavan",
)
COMPANIES = (
    "", "", "Sharma Traders", "Patel & Sons", "Acme Retail Pvt. Ltd.",
    "Sri Lakshmi Enterprises, Hyderabad", 'Kumar "KK" Stores', "Reddy Agro Industries (P) Ltd",
    "Nair Textiles", "Bharat Motors", "श्री गणेश ट्रेडर्स",
)
CITIES = (
    "Mumbai", "Bengaluru", "Bangalore", "Delhi", "New Delhi", "Chennai", "Hyderabad", "Kolkata",
    "Pune", "Ahmedabad", "Jaipur", "Lucknow", "Kochi", "", "मुंबई",
)
# fmt: on
TAGS = ("walk-in", "gold-loan", "renewal", "vip", "", "two-wheeler loan")
DOMAINS = ("example.com", "example.net", "example.org")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FIRST_DAY = date(2026, 1, 1)


def _first_name(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.02:
        return ""
    name = rng.choice(FIRST_NAMES)
    if r < 0.04:
        return name.upper()
    return name + " " if r < 0.06 else name


def _email(rng: random.Random, first: str, last: str) -> str:
    if rng.random() < 0.12 or not (first + last).isascii():
        return ""
    local = ".".join(p.replace(" ", "").replace("'", "").lower() for p in (first, last) if p)
    return f"{local}{rng.randrange(100)}@{rng.choice(DOMAINS)}"


def _indian_grouping(n: int) -> str:
    head, tail = divmod(n, 1000)
    groups = [f"{tail:03d}"]
    while head >= 100:
        head, g = divmod(head, 100)
        groups.append(f"{g:02d}")
    return ",".join([str(head), *reversed(groups)]) if head else str(tail)


def _amount(rng: random.Random) -> str:
    n = rng.choice((499, 999, 1250, 4999)) if rng.random() < 0.2 else rng.randrange(199, 250_000)
    r = rng.random()
    if r < 0.45:
        return f"{n:,}.00"
    if r < 0.90:
        return str(n)
    return f"{_indian_grouping(n)}.{rng.choice((0, 50, 99)):02d}"


def _due_date(rng: random.Random) -> str:
    d = _FIRST_DAY + timedelta(days=rng.randrange(365))
    return f"{d.day:02d}-{_MONTHS[d.month - 1]}-{d.year}"


# --- rows --------------------------------------------------------------------------------
def _iter_rows(
    n: int,
    rng: random.Random,
    dup_rate: float,
    pool: list[Seen],
    cross: Sequence[Seen] = (),
    cross_rate: float = 0.0,
) -> Iterator[dict[str, str]]:
    """Yield rows; mobiles are remembered in ``pool`` (capped) so later rows can repeat them.
    With ``cross_rate`` a row repeats a number from ``cross`` (another file) instead."""
    for i in range(n):
        r = rng.random()
        source = cross if r < cross_rate else pool if r < cross_rate + dup_rate else ()
        if source:
            digits, old, first, last = source[rng.randrange(len(source))]
            phone = _respell(rng, digits, old)
            if rng.random() < 0.5:  # a relative sharing the number; else the same person again
                first, last = _first_name(rng), rng.choice(LAST_NAMES)
        else:
            phone, mobile = _draw_phone(rng)
            first, last = _first_name(rng), rng.choice(LAST_NAMES)
            if mobile is not None:
                seen = (mobile, phone, first, last)
                if len(pool) < POOL_CAP:
                    pool.append(seen)
                else:
                    pool[rng.randrange(POOL_CAP)] = seen
        yield {
            "customer_id": f"C{100001 + i}",
            "first_name": first,
            "last_name": last,
            "phone": phone,
            "email": _email(rng, first, last),
            "company_name": rng.choice(COMPANIES),
            "city": rng.choice(CITIES),
            "due_amount": _amount(rng),
            "due_date": _due_date(rng),
        }


def messy_rows(n: int, seed: int, dup_rate: float = 0.08) -> list[dict[str, str]]:
    """``n`` contact rows (columns ``CRM_HEADER``); about ``dup_rate`` of them repeat an earlier
    row's mobile in another spelling that phonenumbers parses to the same number."""
    return list(_iter_rows(n, random.Random(seed), dup_rate, []))


def write_csv(path: Path, rows: int, seed: int, dup_rate: float = 0.08) -> Path:
    """Stream ``rows`` messy rows to ``path`` (UTF-8, no BOM, LF line endings)."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CRM_HEADER)
        w.writerows(row.values() for row in _iter_rows(rows, random.Random(seed), dup_rate, []))
    return path


# --- the sample files --------------------------------------------------------------------
def _national_spelling(rng: random.Random, d: str) -> str:
    return rng.choice((d, d, f"0{d}", f"+91{d}", f"91{d}", f"+91 {d[:5]} {d[5:]}"))


def _dnd_preference(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.40:
        return "0"
    if r < 0.93:
        cats = sorted(rng.sample(range(1, 9), rng.randint(1, 4)))
        if r >= 0.86:
            cats.insert(0, 0)  # "0,2": a 0 anywhere means fully blocked
        return rng.choice((",", ",", ";", ", ")).join(map(str, cats))
    return ""


def write_samples(folder: Path) -> None:
    crm_pool: list[Seen] = []
    branch_pool: list[Seen] = []
    with (folder / "customers_crm.csv").open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)  # Excel-style: BOM and CRLF
        w.writerow(CRM_HEADER)
        for row in _iter_rows(3000, random.Random(20260101), 0.08, crm_pool):
            w.writerow(row.values())

    rng = random.Random(20260102)
    with (folder / "customers_branch.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(BRANCH_HEADER)
        for row in _iter_rows(1500, rng, 0.05, branch_pool, crm_pool, 0.05):
            row["Mobile"], row["tag"] = row["phone"], rng.choice(TAGS)
            w.writerow([row[k] for k in BRANCH_HEADER])

    known = list(dict.fromkeys(seen[0] for seen in crm_pool + branch_pool))
    rng = random.Random(20260103)
    numbers = rng.sample(known, 300) + [_mobile_digits(rng) for _ in range(300)]
    dnd = [[_national_spelling(rng, d), _dnd_preference(rng)] for d in numbers]
    dnd += [["abc", "0"], ["", "1,3"], ["12345", "0"]]
    rng.shuffle(dnd)
    with (folder / "dnd_register.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["number", "preferences"])
        w.writerows(dnd)

    rng = random.Random(20260104)
    numbers = rng.sample(known, 40) + [_mobile_digits(rng) for _ in range(20)]
    rng.shuffle(numbers)
    lines = "".join(_national_spelling(rng, d) + "\n" for d in numbers)
    (folder / "suppression.txt").write_text(lines, encoding="utf-8", newline="")
    (folder / "sms_template.txt").write_text(SMS_TEMPLATE, encoding="utf-8", newline="")
    (folder / "voice_template.txt").write_text(VOICE_TEMPLATE, encoding="utf-8", newline="")


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rows", type=int, help="write one messy CSV of this many rows")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--dup-rate", type=float, default=0.08)
    p.add_argument("-o", "--output", type=Path, help="output CSV (with --rows)")
    args = p.parse_args(argv)
    if args.rows is None:
        write_samples(Path(__file__).resolve().parent)
    elif args.output is None:
        p.error("--rows needs -o/--output")
    else:
        write_csv(args.output, args.rows, args.seed, args.dup_rate)


if __name__ == "__main__":
    main()

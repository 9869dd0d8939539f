"""Corpus B slot fillers for persons, dates, times and ages (a mixin of radtune.deid.corpora.heldout._Gen)."""

from __future__ import annotations

import datetime as dt

from radtune.deid.corpora.heldout_base import _MONTHS, _ONES, _UPPER, _WEEKDAYS, RELATIONS, ROLES, Part, _GenBase


class _PeopleSlots(_GenBase):
    """Persons, dates and times, ages: each slot returns a list of (text, kind) parts."""

    # -- persons
    def name(self) -> list[Part]:
        g, f = self.given_name(), self.family_name()
        k = self.r.random()
        if k < 0.45:
            s = f"{g} {f}"
        elif k < 0.55:
            s = f"{g} {self.pick(_UPPER)}. {f}"
        elif k < 0.63:
            s = f"{self.initial(g)}. {f}"
        elif k < 0.70:
            s = f"{g} {self.given_name()} {f}"
        elif k < 0.78:
            s = f"{g} {f}".upper()
        elif k < 0.85:
            i, j = self.initials(g)
            s = f"{i}.{j}. {f}"
        else:
            i, j = self.initials(g)
            s = f"{f} {i}{j}"
        return [(s, "PERSON")]

    def NAME(self) -> list[Part]:  # noqa: N802 - slot name: an upper-case full name
        return [(f"{self.given_name()} {self.family_name()}".upper(), "PERSON")]

    def inv(self) -> list[Part]:
        g, f = self.given_name(), self.family_name()
        k = self.r.random()
        if k < 0.35:
            s = f"{f}, {g}"
        elif k < 0.55:
            s = f"{f.upper()}, {g}"
        elif k < 0.70:
            s = f"{f}, {g} {self.pick(_UPPER)}."
        elif k < 0.80:
            s = f"{f}, {self.initial(g)}."
        elif k < 0.90:
            s = f"{f.upper()},{g.upper()}"
        else:
            i, j = self.initials(g)
            s = f"{f}, {i}.{j}."
        return [(s, "PERSON")]

    def INV(self) -> list[Part]:  # noqa: N802 - slot name: upper-case inverted name
        return [(f"{self.family_name()}, {self.given_name()}".upper(), "PERSON")]

    def sur(self) -> list[Part]:
        return [(self.family_name(), "PERSON")]

    def first(self) -> list[Part]:
        return [(self.given_name(), "PERSON")]

    def initn(self) -> list[Part]:
        g, f = self.given_name(), self.family_name()
        k = self.r.random()
        i, j = self.initials(g)
        if k < 0.35:
            s = f"{i}.{j}. {f}"
        elif k < 0.6:
            s = f"{f} {i}{j}"
        elif k < 0.8:
            s = f"{i}. {f}"
        else:
            s = f"{f}, {i}.{j}."
        return [(s, "PERSON")]

    def doctor(self) -> list[Part]:
        k = self.r.random()
        if k < 0.3:
            return [("Dr. ", None), *self.name()]
        if k < 0.5:
            return [("Dr ", None), *self.sur()]
        if k < 0.8:
            return [*self.name(), (", " + self.pick(["MD", "M.D.", "DO", "NP", "PA-C", "MBBS"]), None)]
        return self.inv()

    def hl7(self) -> list[Part]:
        f, g = self.family_name().upper(), self.given_name().upper()
        return [
            ("PID|1||", None),
            (self.digits(8), "ID"),
            ("^^^MRN||", None),
            (f"{f}^{g}^{self.pick(_UPPER)}", "PERSON"),
        ]

    def role(self) -> list[Part]:
        return [(self.pick(ROLES), None)]

    def rel(self) -> list[Part]:
        return [(self.pick(RELATIONS), None)]

    # -- dates and times
    def _day(self) -> dt.date:
        if self.chance(0.7):  # exam-era dates; the rest spans birth dates too
            return dt.date(2003, 1, 1) + dt.timedelta(days=self.r.randrange(8_400))
        return dt.date(1922, 1, 1) + dt.timedelta(days=self.r.randrange(37_000))

    def _time_str(self) -> str:
        h, m, s = self.r.randrange(24), self.r.randrange(60), self.r.randrange(60)
        h12, ap = (h % 12 or 12), ("AM" if h < 12 else "PM")
        k = self.r.randrange(9)
        return [
            f"{h:02d}:{m:02d}",
            f"{h12}:{m:02d} {ap}",
            f"{h12}:{m:02d}{ap.lower()}",
            f"{h:02d}{m:02d}",
            f"{h:02d}:{m:02d}:{s:02d}",
            f"{h12}:{m:02d} {ap[0].lower()}.m.",
            f"{h}:{m:02d}",
            f"{h12}{ap.lower()}",
            f"{h12}:{m:02d} {ap}",
        ][k]

    def _numeric(self, d: dt.date) -> str:
        y, m, dd, yy = d.year, d.month, d.day, d.year % 100
        return self.pick(
            [
                f"{m}/{dd}/{y}",
                f"{m:02d}/{dd:02d}/{y}",
                f"{m}/{dd}/{yy:02d}",
                f"{dd:02d}/{m:02d}/{y}",
                f"{dd}/{m}/{yy:02d}",
                f"{y}/{m:02d}/{dd:02d}",
                f"{y}-{m:02d}-{dd:02d}",
                f"{m:02d}-{dd:02d}-{y}",
                f"{m}-{dd}-{yy:02d}",
                f"{dd:02d}-{m:02d}-{yy:02d}",
                f"{dd:02d}.{m:02d}.{y}",
                f"{dd}.{m}.{yy:02d}",
                f"{y}.{m:02d}.{dd:02d}",
                f"{m:02d} {dd:02d} {y}",
                f"{y} {m:02d} {dd:02d}",
            ]
        )

    def _named(self, d: dt.date) -> str:
        y, mon, dd = d.year, _MONTHS[d.month - 1], d.day
        ab = mon[:3] if mon != "September" or self.chance(0.5) else "Sept"
        suf = "th" if 10 <= dd % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(dd % 10, "th")
        return self.pick(
            [
                f"{mon} {dd}, {y}",
                f"{mon} {dd} {y}",
                f"{dd} {mon} {y}",
                f"{ab} {dd}, {y}",
                f"{ab}. {dd}, {y}",
                f"{dd:02d}-{ab}-{y}",
                f"{dd:02d}-{ab.upper()}-{y % 100:02d}",
                f"{dd:02d}{ab.upper()}{y}",
                f"{mon.upper()} {dd}, {y}",
                f"{mon} {dd}{suf}, {y}",
                f"{dd}{suf} {mon} {y}",
                f"the {dd}{suf} of {mon}, {y}",
                f"{mon} {dd}{suf}",
                f"{ab} {dd}",
                f"{dd} {ab}",
            ]
        )

    def date(self) -> list[Part]:
        d = self._day()
        return [(self._numeric(d) if self.chance(0.7) else self._named(d), "DATE")]

    def mdate(self) -> list[Part]:
        return [(self._named(self._day()), "DATE")]

    def wdate(self) -> list[Part]:
        d = self._day()
        wd = _WEEKDAYS[d.weekday()]
        short = wd[:3] if self.chance(0.5) else wd[:4] if wd.startswith(("Tu", "Th")) else wd[:3]
        k = self.r.randrange(5)
        if k == 0:
            s = f"{wd}, {self._named(d)}"
        elif k == 1:
            s = f"{short} {d.month}/{d.day}/{d.year}"
        elif k == 2:
            s = f"{wd} {d.day:02d}/{d.month:02d}/{d.year}"
        elif k == 3:
            s = f"{short}., {_MONTHS[d.month - 1][:3]} {d.day}"
        else:
            s = f"{wd} {d.day} {_MONTHS[d.month - 1]}"
        return [(s, "DATE")]

    def dt(self) -> list[Part]:
        d = self._day()
        date = self._numeric(d) if self.chance(0.7) else self._named(d)
        k = self.r.randrange(4)
        if k == 0:
            return [(f"{date} {self._time_str()}", "DATE")]
        if k == 1:
            return [(f"{date} @ {self._time_str()}", "DATE")]
        if k == 2:
            return [(date, "DATE"), (" at ", None), (self._time_str(), "DATE")]
        return [(date, "DATE"), (", ", None), (self._time_str(), "DATE")]

    def iso(self) -> list[Part]:
        d = self._day()
        h, m, s = self.r.randrange(24), self.r.randrange(60), self.r.randrange(60)
        base = f"{d.year}-{d.month:02d}-{d.day:02d}"
        tz = self.pick(["", "Z", "-05:00", "+01:00", ".000Z"])
        return [
            (
                self.pick(
                    [
                        f"{base}T{h:02d}:{m:02d}:{s:02d}{tz}",
                        f"{base}T{h:02d}:{m:02d}",
                        f"{base} {h:02d}:{m:02d}:{s:02d}",
                    ]
                ),
                "DATE",
            )
        ]

    def compact(self) -> list[Part]:
        d = self._day()
        s = f"{d.year}{d.month:02d}{d.day:02d}"
        if self.chance(0.4):
            s += f" {self.r.randrange(24):02d}{self.r.randrange(60):02d}"
        return [(s, "DATE")]

    def my(self) -> list[Part]:
        d = self._day()
        mon = _MONTHS[d.month - 1]
        return [
            (
                self.pick([f"{mon} {d.year}", f"{mon[:3]} {d.year}", f"{d.month:02d}/{d.year}", f"{d.month}/{d.year}"]),
                "DATE",
            )
        ]

    def time(self) -> list[Part]:
        t = self._time_str()
        if t.isdigit() and self.chance(0.5):
            return [(t, "DATE"), (self.pick([" hrs", " hours", "h"]), None)]
        return [(t, "DATE")]

    # -- ages
    def _old(self) -> str:
        a = self.r.randrange(90, 108) if self.chance(0.95) else self.r.randrange(108, 112)
        return str(a)

    def _old_words(self) -> str:
        a = self.r.randrange(90, 103)
        if a < 100:
            w = "ninety" + ("" if a == 90 else "-" + _ONES[a - 90])
        else:
            w = "one hundred" + ("" if a == 100 else " and " + _ONES[a - 100])
        return w.capitalize() if self.chance(0.3) else w

    def oldn(self) -> list[Part]:
        return [(self._old(), "AGE")]

    def oldw(self) -> list[Part]:
        return [(self._old_words(), "AGE")] if self.chance(0.5) else self.oldn()

    def oldp(self) -> list[Part]:
        if self.chance(0.12):
            return [(self._old_words(), "AGE"), (self.pick(["-year-old", " year old", " years old"]), None)]
        fmt = self.pick(
            ["-year-old", " year old", " yo", " y/o", "yo", " YO", "-yo", " y.o.", "F", "M", " M", " YOF", "yoM"]
            + [" years old", " years of age", "y", " yr old"]
        )
        parts: list[Part] = [(self._old(), "AGE"), (fmt, None)]
        if self.chance(0.15):
            parts = [(self.pick(["age ", "Age: ", "aged ", "(age "]), None), (self._old(), "AGE")]
            if parts[0][0].startswith("("):
                parts.append((")", None))
        return parts

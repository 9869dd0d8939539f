"""Corpus C slot fillers for persons, dates, times and ages (a mixin of radtune.deid.corpora.corpus_c._Gen)."""

from __future__ import annotations

import datetime as dt

from radtune.deid.corpora.corpus_c_base import (
    _MONTHS,
    _WEEKDAYS,
    _GenBase,
    _number_words,
    _ordinal,
)
from radtune.deid.corpora.heldout import Part


class _PeopleSlots(_GenBase):
    """Persons, dates and times, ages: each s_<slot> returns a list of (text, kind) parts."""

    # -- persons (slots)
    def s_pt(self) -> list[Part]:
        p = self.patient
        if self.setting == "cw":
            if self.chance(0.12):
                return [(self.pick(self.d.frames["patient_titles"]) + " ", None), *self.name_parts(p, "gf")]
            return self.styled(p, ["F,g", "f,g", "g F", "F g", "gf", "F,G"], [35, 20, 15, 10, 10, 10])
        if self.setting == "us":
            return self.styled(p, ["f,gm", "F,G", "gmf", "gf", "f,g"], [40, 20, 15, 15, 10])
        return self.styled(p, ["F,G", "GF", "F g"], [50, 30, 20])

    def s_pt_given(self) -> list[Part]:
        return self.name_parts(self.patient, "g")

    def s_pt_sur(self) -> list[Part]:
        return self.name_parts(self.patient, "f")

    def s_pt_ref(self) -> list[Part]:
        if self.chance(0.2):
            return self.name_parts(self.patient, "g")
        title = self.pick(["Mr", "Mr."]) if self.sex == "M" else self.pick(["Mrs", "Ms", "Miss", "Mrs."])
        return [(title + " ", None), *self.name_parts(self.patient, "f")]

    def s_pt_dicom(self) -> list[Part]:
        return self.name_parts(self.patient, "dicom")

    def s_dr(self) -> list[Part]:
        p = self.person()
        title = self._title_doctor()
        return [(title + " ", None), *self.styled(p, ["f", "G.f", "gf", "f G"], [35, 15, 40, 10])]

    def s_dr_poss(self) -> list[Part]:
        p = self.person()
        return [(self._title_doctor() + " ", None), *self.name_parts(p, "f"), ("'s", None)]

    def s_doc(self) -> list[Part]:
        styles = ["gf", "G.f", "gmf", "f G", "F g", "g F", "GF", "f,g"]
        return self.styled(self.person(), styles, [35, 15, 10, 10, 5, 5, 5, 15])

    def s_doc_inv(self) -> list[Part]:
        return self.styled(self.person(), ["f,g", "F,g", "f,gm"], [50, 25, 25])

    def s_doc_dicom(self) -> list[Part]:
        return [*self.name_parts(self.person(), "dicom"), (self.pick(["", "^^DR", "^^^MD", "^^^^MD"]), None)]

    def s_docid(self) -> list[Part]:
        return [(self.digits(self.r.choice([5, 6, 7])), "ID")]

    def s_staff(self) -> list[Part]:
        p = self.person()
        title = self.pick(self.d.frames["staff_titles"])
        if title == "RN":
            return [*self.name_parts(p, "gf"), (", RN", None)]
        style = "g" if title == "tech" else self.r.choices(["g", "f", "gf"], [25, 30, 45])[0]
        return [(title + " ", None), *self.name_parts(p, style)]

    def s_kin(self) -> list[Part]:
        p = self.person()
        word = self.pick(self.d.frames["kin_words"])
        k = self.r.random()
        if k < 0.55:
            return [(word + " ", None), *self.name_parts(p, "g")]
        if k < 0.75:
            return [*self.name_parts(p, "g"), (f" ({word})", None)]
        return [(word + " ", None), *self.name_parts(p, "gf")]

    def s_nok(self) -> list[Part]:
        p = self.person()
        word = self.pick(self.d.frames["kin_words"][:16])
        return [*self.styled(p, ["gf", "g", "F,g"], [50, 30, 20]), (f" ({word}) ", None), *self.s_mobile()]

    def s_given(self) -> list[Part]:
        return self.name_parts(self.person(), "g")

    def s_sur(self) -> list[Part]:
        return self.name_parts(self.person(), "f")

    def s_reg(self) -> list[Part]:
        return [(self.pick(["Dr ", "Dr ", ""]), None), *self.styled(self.reg, ["gf", "G.f", "f"], [60, 25, 15])]

    def s_reg_ref(self) -> list[Part]:
        return [("Dr ", None), *self.name_parts(self.reg, "f"), (self.pick([" (SpR)", " (registrar)", ""]), None)]

    def s_rad(self) -> list[Part]:
        p = self.rad
        if self.setting == "cw":
            title = self.pick(["Dr ", "Dr ", "Dr ", "Prof ", ""])
            return [(title, None), *self.styled(p, ["gf", "G.f", "g F", "gmf"], [50, 20, 15, 15])]
        if self.setting == "us":
            return self.styled(p, ["gmf", "gf", "G.f"], [50, 35, 15])
        return self.styled(p, ["GF", "F,G"], [60, 40])

    def s_rad_title(self) -> list[Part]:
        return [(self.pick(["Dr ", "Dr ", "Prof "]), None), *self.styled(self.rad, ["f", "G.f", "gf"], [30, 30, 40])]

    def s_rad_ini(self) -> list[Part]:
        return [(self.initials(self.rad), "PERSON")]

    def s_rad_inv(self) -> list[Part]:
        return self.styled(self.rad, ["f,g", "F,g", "f,gm"], [40, 30, 30])

    def s_rad_dicom(self) -> list[Part]:
        return [*self.name_parts(self.rad, "dicom"), (self.pick(["", "^^DR", "^^^MD"]), None)]

    def s_ini(self) -> list[Part]:
        return self.name_parts(self.person(), "ini")

    def s_typist(self) -> list[Part]:
        p = self.person()
        return [(self.initials(p).lower(), "PERSON")]

    def s_typist_full(self) -> list[Part]:
        return self.styled(self.person(), ["gf", "G.f"], [60, 40])

    # -- dates and times (slots)
    def _near(self, back: int = 1500) -> dt.date:
        return self.exam_day - dt.timedelta(days=self.r.randrange(1, back))

    def _numeric(self, d: dt.date) -> str:
        y, m, dd, yy = d.year, d.month, d.day, d.year % 100
        if self.country == "us":
            forms = [
                f"{m}/{dd}/{y}",
                f"{m:02d}/{dd:02d}/{y}",
                f"{m}/{dd}/{yy:02d}",
                f"{m}-{dd}-{y}",
                f"{m:02d}-{dd:02d}-{yy:02d}",
            ]
        elif self.country == "ca" and self.chance(0.4):
            forms = [f"{y}-{m:02d}-{dd:02d}", f"{y}/{m:02d}/{dd:02d}"]
        else:
            forms = [
                f"{dd:02d}/{m:02d}/{y}",
                f"{dd}/{m}/{y}",
                f"{dd:02d}/{m:02d}/{yy:02d}",
                f"{dd:02d}.{m:02d}.{yy:02d}",
            ]
            forms += [f"{dd}.{m}.{y}", f"{y}-{m:02d}-{dd:02d}", f"{dd:02d}-{m:02d}-{y}"]
        return self.pick(forms)

    def _named(self, d: dt.date, year: bool = True) -> str:
        mon = _MONTHS[d.month - 1]
        ab = "Sept" if mon == "September" and self.chance(0.3) else mon[:3]
        y = d.year
        if self.country == "us" or (self.country == "ca" and self.chance(0.5)):
            forms = [
                f"{mon} {d.day}, {y}",
                f"{ab} {d.day}, {y}",
                f"{ab}. {d.day}, {y}",
                f"{mon} {_ordinal(d.day)}, {y}",
            ]
            short = [f"{ab} {d.day}", f"{mon} {_ordinal(d.day)}", f"{mon} {d.day}"]
        else:
            forms = [
                f"{d.day} {mon} {y}",
                f"{_ordinal(d.day)} {mon} {y}",
                f"{d.day} {ab} {y}",
                f"{d.day:02d}-{ab.upper()}-{y}",
            ]
            forms += [f"{_ordinal(d.day)} of {mon} {y}", f"{d.day} {ab} {y % 100:02d}"]
            short = [f"{_ordinal(d.day)} of {mon}", f"{d.day} {mon}", f"{_ordinal(d.day)} {mon}", f"{d.day} {ab}"]
        return self.pick(forms if year else short)

    def _date_str(self, d: dt.date) -> str:
        if self.setting == "ris":
            y, m, dd = d.year, d.month, d.day
            return self.pick(
                [
                    f"{dd:02d}-{_MONTHS[m - 1][:3].upper()}-{y}",
                    f"{dd:02d}{_MONTHS[m - 1][:3].upper()}{y % 100:02d}",
                    f"{y}-{m:02d}-{dd:02d}",
                    f"{y}/{m:02d}/{dd:02d}",
                    self._numeric(d),
                ]
            )
        return self._numeric(d) if self.chance(0.7) else self._named(d)

    def _time_str(self, hm: tuple[int, int] | None = None) -> tuple[str, str]:
        """(time, unit word after it): the unit word is plain text."""
        h, m = hm if hm is not None else (self.r.randrange(24), self.r.randrange(60))
        h12, ap = h % 12 or 12, "am" if h < 12 else "pm"
        if self.country == "us":
            forms = [
                (f"{h12}:{m:02d} {ap.upper()}", ""),
                (f"{h12}:{m:02d} {ap}", ""),
                (f"{h12}:{m:02d}{ap[0]}", ""),
                (f"{h:02d}{m:02d}", " hours"),
                (f"{h:02d}:{m:02d}", ""),
                (f"{h12}{ap}", ""),
            ]
        elif self.setting == "ris":
            forms = [
                (f"{h:02d}:{m:02d}", ""),
                (f"{h:02d}{m:02d}", ""),
                (f"{h:02d}:{m:02d}:{self.r.randrange(60):02d}", ""),
            ]
        else:
            forms = [
                (f"{h:02d}{m:02d}", ""),
                (f"{h:02d}{m:02d}", " hrs"),
                (f"{h:02d}:{m:02d}", "h"),
                (f"{h:02d}:{m:02d}", ""),
                (f"{h:02d}.{m:02d}", ""),
                (f"{h12}.{m:02d}{ap}", ""),
                (f"{h12}:{m:02d} {ap}", ""),
            ]
            if self.country == "ca":
                forms.append((f"{h}h{m:02d}", ""))
        return self.pick(forms)

    def _time_parts(self, hm: tuple[int, int] | None = None) -> list[Part]:
        t, unit = self._time_str(hm)
        return [(t, "DATE")] + ([(unit, None)] if unit else [])

    def s_date(self) -> list[Part]:
        return [(self._date_str(self._near()), "DATE")]

    def s_date_named(self) -> list[Part]:
        return [(self._named(self._near()), "DATE")]

    def s_exam_date(self) -> list[Part]:
        return [(self._date_str(self.exam_day), "DATE")]

    def s_exam_time(self) -> list[Part]:
        return self._time_parts(self.exam_hm)

    def s_exam_dt(self) -> list[Part]:
        return [
            (self._date_str(self.exam_day), "DATE"),
            (self.pick([" ", "  ", " at ", " @ "]), None),
            *self._time_parts(self.exam_hm),
        ]

    def s_recent(self) -> list[Part]:  # an admission or visit shortly before the examination
        return [(self._date_str(self.exam_day - dt.timedelta(days=self.r.randrange(0, 10))), "DATE")]

    def s_rdate(self) -> list[Part]:  # the report date: the day of the examination or shortly after
        return [(self._date_str(self.exam_day + dt.timedelta(days=self.r.choice([0, 0, 0, 1, 2]))), "DATE")]

    def s_dt(self) -> list[Part]:
        d = self.exam_day + dt.timedelta(days=self.r.choice([0, 0, 1]))
        return [(self._date_str(d), "DATE"), (self.pick([" ", " ", " at "]), None), *self._time_parts()]

    def s_time(self) -> list[Part]:
        return self._time_parts()

    def s_dob(self) -> list[Part]:
        if self.setting == "ris" and self.chance(0.3):
            return [(f"{self.dob.year}{self.dob.month:02d}{self.dob.day:02d}", "DATE")]
        return [(self._numeric(self.dob) if self.chance(0.85) else self._named(self.dob), "DATE")]

    def s_ymd(self) -> list[Part]:
        return [(f"{self.dob.year}{self.dob.month:02d}{self.dob.day:02d}", "DATE")]

    def s_md(self) -> list[Part]:
        d = self._near(200)
        if self.chance(0.35):
            return [(self._named(d, year=False), "DATE")]
        sep = self.pick(["/", "/", "-", "."])
        if self.country == "us" or (self.country == "ca" and self.chance(0.5)):
            return [(f"{d.month}{sep}{d.day}", "DATE")]
        return [(f"{d.day}{sep}{d.month}", "DATE")]

    def s_wdate(self) -> list[Part]:
        d = self._near(60)
        wd = _WEEKDAYS[d.weekday()]
        short = wd[:3]
        if self.country == "us":
            forms = [
                f"{wd}, {self._named(d)}",
                f"{short} {d.month}/{d.day}",
                f"{wd} {d.month}/{d.day}/{d.year}",
                f"{short}, {_MONTHS[d.month - 1][:3]} {d.day}",
            ]
        else:
            forms = [
                f"{wd} {_ordinal(d.day)} {_MONTHS[d.month - 1]}",
                f"{short} {d.day:02d}/{d.month:02d}",
                f"{wd} {d.day:02d}/{d.month:02d}/{d.year}",
                f"{wd} the {_ordinal(d.day)} of {_MONTHS[d.month - 1]}",
                f"{short} {d.day} {_MONTHS[d.month - 1][:3]}",
            ]
        return [(self.pick(forms), "DATE")]

    def s_my(self) -> list[Part]:
        d = self._near(3000)
        mon = _MONTHS[d.month - 1]
        return [
            (
                self.pick(
                    [
                        f"{mon} {d.year}",
                        f"{mon[:3]} {d.year}",
                        f"{d.month:02d}/{d.year}",
                        f"{mon[:3]}-{d.year % 100:02d}",
                    ]
                ),
                "DATE",
            )
        ]

    def s_year(self) -> list[Part]:  # a year alone is plain text (HIPAA Safe Harbor keeps years)
        return [(str(self.exam_day.year - self.r.randrange(1, 25)), None)]

    def s_stamp(self) -> list[Part]:
        d, (h, m), s = self.exam_day, self.exam_hm, self.r.randrange(60)
        mon = _MONTHS[d.month - 1][:3].upper()
        k = self.r.randrange(6)
        if k == 0:
            return [(f"{d.day:02d}-{mon}-{d.year}", "DATE"), (" ", None), (f"{h:02d}:{m:02d}", "DATE")]
        if k == 1:
            return [(f"{d.year}-{d.month:02d}-{d.day:02d}", "DATE"), (" ", None), (f"{h:02d}:{m:02d}:{s:02d}", "DATE")]
        if k == 2:
            return [(f"{d.year}{d.month:02d}{d.day:02d}{h:02d}{m:02d}", "DATE")]
        if k == 3:
            return [(f"{d.year}-{d.month:02d}-{d.day:02d}T{h:02d}:{m:02d}:{s:02d}", "DATE")]
        if k == 4:
            return (
                [(f"{d.day:02d}{mon}{d.year} {h:02d}{m:02d}", "DATE")]
                if self.chance(0.3)
                else [(f"{d.day:02d}{mon}{d.year}", "DATE"), (" ", None), (f"{h:02d}{m:02d}", "DATE")]
            )
        return [(self._numeric(d), "DATE"), (" ", None), (f"{h:02d}:{m:02d}", "DATE")]

    def s_hl7ts(self) -> list[Part]:
        d, (h, m) = self.exam_day, self.exam_hm
        return [
            (
                f"{d.year}{d.month:02d}{d.day:02d}{h:02d}{m:02d}"
                + (f"{self.r.randrange(60):02d}" if self.chance(0.6) else ""),
                "DATE",
            )
        ]

    # -- ages
    def _age_words(self) -> bool:
        return self.age >= 90 and self.chance(0.15)

    def s_age_any(self) -> list[Part]:
        kind = "AGE" if self.age >= 90 else None
        unit = self.pick(["", "", "y", "Y", " yrs", " years"])
        return [(str(self.age), kind)] + ([(unit, None)] if unit else [])

    def s_age_p(self) -> list[Part]:
        kind = "AGE" if self.age >= 90 else None
        a = str(self.age)
        if self._age_words():
            w = _number_words(self.age)
            w = w.capitalize() if self.chance(0.3) else w
            return [(w, kind), (self.pick([" year old", "-year-old", " years old", "-year old"]), None)]
        k = self.r.randrange(10)
        if k == 0:
            return [("aged ", None), (a, kind)]
        if k == 1:
            return [("a ", None), (a, kind), ("-year-old", None)]
        return [
            (a, kind),
            (
                self.pick(["yo", " yo", " y/o", "-year-old", " year old", " yr old", "y.o.", " YO"]),
                None,
            ),
        ]

    def s_sex(self) -> list[Part]:
        return [(self.sex, None)]

    def s_sexword(self) -> list[Part]:
        if self.sex == "F":
            return [(self.pick(["female", "woman", "lady", "F"]), None)]
        return [(self.pick(["male", "man", "gentleman", "M"]), None)]

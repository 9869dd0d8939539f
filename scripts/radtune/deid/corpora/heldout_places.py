"""Corpus B slot fillers for e-mail, URLs, places and clean text (a mixin of radtune.deid.corpora.heldout._Gen)."""

from __future__ import annotations

import re

from radtune.deid.corpora.heldout_base import (
    CITIES,
    EMAIL_DOMAINS,
    FAC_PLACE,
    FAC_PREFIX,
    FAC_TYPE,
    STATES,
    STREET_NAMES,
    STREET_TYPES,
    URL_HOSTS,
    Part,
    _GenBase,
)


class _PlaceSlots(_GenBase):
    """E-mail, URLs, addresses, cities, facilities and clean (non-identifier) fillers: each slot returns parts."""

    # -- e-mail, URL
    def email(self) -> list[Part]:
        g, f = (re.sub(r"[^a-z]", "", x.lower()) or "x" for x in (self.given_name(), self.family_name()))
        user = self.pick(
            [f"{g}.{f}", f"{g[0]}{f}", f"{f}_{g}", f"dr.{f}", f"{g}{self.digits(2)}", "radiology.scheduling"]
            + [f"{f}.{g[0]}{self.r.randrange(1, 9)}"]
        )
        return [(f"{user}@{self.pick(EMAIL_DOMAINS)}", "EMAIL")]

    def url(self) -> list[Part]:
        host = self.pick(URL_HOSTS)
        k = self.r.randrange(5)
        s = [
            f"https://{host}/viewer?study={self.digits(8)}",
            f"http://{host}:8080/results/{self.digits(6)}",
            f"https://{host}/",
            f"{host}/portal",
            f"https://{host}/s/{self.letters(4).lower()}{self.digits(3)}",
        ][k]
        return [(s, "URL")]

    # -- places
    def addr(self) -> list[Part]:
        num = str(self.r.randrange(1, 19999))
        street = f"{self.pick(STREET_NAMES)} {self.pick(STREET_TYPES)}"
        pre = self.pick(["", "", "", "N. ", "S ", "East ", "W. "])
        s = f"{num} {pre}{street}"
        if self.chance(0.4):
            s += self.pick([", Apt ", " Apt. ", ", Suite ", " Ste ", ", Unit ", " #", ", Fl "]) + self.pick(
                [self.digits(1), self.digits(3), self.digits(2) + self.pick(list("ABCD"))]
            )
        if self.chance(0.08):
            s = f"PO Box {self.digits(4)}"
        return [(s, "ADDRESS")]

    def cityline(self) -> list[Part]:
        return [(self.pick(CITIES), "LOCATION"), (", ", None), (f"{self.pick(STATES)} {self.digits(5)}", "ADDRESS")]

    def city(self) -> list[Part]:
        return [(self.pick(CITIES), "LOCATION")]

    def fac(self) -> list[Part]:
        k = self.r.random()
        if k < 0.7:
            s = f"{self.pick(FAC_PLACE)} {self.pick(FAC_TYPE)}"
        elif k < 0.8:
            s = f"{self.pick(FAC_PREFIX)} {self.pick(FAC_PLACE)}"
        elif k < 0.9:
            s = f"{self.family_name()} & {self.family_name()} {self.pick(FAC_TYPE)}"
        else:
            s = f"{self.pick(CITIES)} {self.pick(FAC_TYPE)}"
        return [(s, "HOSPITAL")]

    # -- clean fillers (never identifiers)
    def young(self) -> list[Part]:
        a = self.r.randrange(18, 90)
        forms = [f"{a}-year-old woman", f"{a} yo M", f"{a}-year-old male", f"{a} y/o F", f"{a}F", f"A {a}-year-old man"]
        return [(self.pick(forms), None)]

    def mm(self) -> list[Part]:
        return [(str(self.r.randrange(2, 30)), None)]

    def cm(self) -> list[Part]:
        return [(f"{self.r.randrange(1, 12)}.{self.r.randrange(10)}", None)]

    def level(self) -> list[Part]:
        return [(self.pick(["L4-L5", "L5-S1", "C5-C6", "C6-7", "T11-T12", "L3-4"]), None)]

    def series(self) -> list[Part]:
        return [(str(self.r.randrange(2, 12)), None)]

    def image(self) -> list[Part]:
        return [(str(self.r.randrange(10, 300)), None)]

    def image2(self) -> list[Part]:
        return [(str(self.r.randrange(10, 300)), None)]

    def hour(self) -> list[Part]:
        return [(self.pick(["30", "45", "60"]), None)]

    def ml(self) -> list[Part]:
        return [(self.pick(["75", "80", "100", "90"]), None)]

    def ml2(self) -> list[Part]:
        return [(self.pick(["6.5", "7", "7.5", "10"]), None)]

    def dose(self) -> list[Part]:
        return [(f"{self.r.randrange(3, 40)}.{self.r.randrange(10)}", None)]

    def dlp(self) -> list[Part]:
        return [(str(self.r.randrange(120, 1600)), None)]

    def pct(self) -> list[Part]:
        return [(str(self.r.randrange(25, 75)), None)]

    def months(self) -> list[Part]:
        return [(self.pick(["3", "6", "12", "3-6", "6-12"]), None)]

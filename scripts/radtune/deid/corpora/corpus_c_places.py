"""Corpus C slot fillers for places, facilities, wards and plain clinical text (a mixin of
radtune.deid.corpora.corpus_c._Gen)."""

from __future__ import annotations

from radtune.deid.corpora.corpus_c_base import (
    _ascii,
    _GenBase,
)
from radtune.deid.corpora.heldout import Part


class _PlaceSlots(_GenBase):
    """Places, facilities, wards, plain text: each s_<slot> returns a list of (text, kind) parts."""

    # -- places
    def _town(self) -> tuple[str, str]:
        return self.pick(self.d.towns[self.country])

    def s_town(self) -> list[Part]:
        return [(self._town()[0], "LOCATION")]

    def _postcode(self, region: str) -> str:
        c, d = self.country, self.digits
        if c == "uk":
            area = self.pick(self.d.codes["uk_postcode_areas"])
            inward = self.pick("ABDEFGHJLNPQRSTUWXYZ") + self.pick("ABDEFGHJLNPQRSTUWXYZ")
            return f"{area}{self.r.randrange(1, 30)} {self.r.randrange(10)}{inward}"
        if c == "ie":
            key = self.pick(self.d.codes["ie_routing_keys"])
            return f"{key} {''.join(self.pick('0123456789ACDEFHKNPRTVWXY') for _ in range(4))}"
        if c == "au":
            base = self.d.codes["au_postcode_base"][region]
            span = 20 if region == "ACT" else 99 if region == "NT" else 999
            return f"{region} {base + self.r.randrange(span):04d}"
        if c == "nz":
            return f"{self.r.randrange(110, 9894):04d}"
        if c == "ca":
            first = self.d.codes["ca_postcode_first"][region]
            ok = "ABCEGHJKLMNPRSTVWXYZ"
            return f"{region} {self.pick(first)}{d(1)}{self.pick(ok)} {d(1)}{self.pick(ok)}{d(1)}"
        zip_first = next(str(i) for i, states in enumerate(self.d.codes["us_zip_first"]) if region in states.split())
        return f"{region} {zip_first}{d(4)}" + (f"-{d(4)}" if self.chance(0.2) else "")

    def s_townline(self) -> list[Part]:
        town, region = self._town()
        c = self.country
        parts: list[Part] = [(town, "LOCATION")]
        if c == "uk":
            parts += [(self.pick([" ", ", ", "  "]), None), (self._postcode(region), "ADDRESS")]
        elif c == "ie":
            parts += [(", ", None), (region, "LOCATION")]
            if self.chance(0.6):
                parts += [(", ", None), (self._postcode(region), "ADDRESS")]
        elif c == "nz":
            parts += [(" ", None), (self._postcode(region), "ADDRESS")]
        else:
            parts += [(self.pick([" ", ", "]) if c == "au" else ", ", None), (self._postcode(region), "ADDRESS")]
        return parts

    def _street(self) -> str:
        c = self.country
        s = self.d.streets
        if self.chance(0.15):
            whole = self.pick(s[c + "_whole"])
            return whole if c != "us" else whole + " "  # a trailing space marks a whole US road name: no direction
        stem = self.pick(s[c])
        if stem.split()[0] in ("Rue", "Boulevard", "Chemin", "Rang"):
            return stem
        return f"{stem} {self.pick(s[c + '_types'])}"

    def s_addr(self) -> list[Part]:
        c, n, k = self.country, str(self.r.randrange(1, 240)), self.r.random()
        street = self._street()
        if c == "uk":
            house = self.pick(self.d.codes["house_names"])
            flat, glasgow = f"Flat {self.r.randrange(1, 20)}", f"Flat {self.r.randrange(0, 4)}/{self.r.randrange(1, 4)}"
            s = self.pick(
                [
                    f"{n} {street}",
                    f"{n} {street}",
                    f"{flat}, {n} {street}",
                    f"{glasgow}, {n} {street}",
                    f"{house}, {street}",
                ]
            )
        elif c == "ie":
            s = self.pick([f"{n} {street}", f"Apt {self.r.randrange(1, 40)}, {street}", f"{n} {street}"])
        elif c in ("au", "nz"):
            unit = self.r.randrange(1, 12)
            s = self.pick([f"{n} {street}", f"{unit}/{n} {street}", f"Unit {unit}, {n} {street}", f"{n} {street}"])
        elif c == "ca":
            french = street.split()[0] in ("Rue", "Boulevard", "Chemin", "Rang")
            s = f"{n}, {street[0].lower() + street[1:] if self.chance(0.4) else street}" if french else f"{n} {street}"
            if k < 0.2:
                s = f"{self.r.randrange(1, 40)}-{s}"
        elif street.strip() == "Rural Route 2":
            s = f"RR {self.r.randrange(1, 9)} Box {self.digits(3)}"
        else:
            num = str(self.r.randrange(10, 99999))
            direction = "" if street.endswith(" ") else self.pick(["", "", "", "N ", "S ", "E ", "W ", "NE "])
            street = street.strip()
            s = f"{num} {direction}{street}"
            if k < 0.25:
                s += self.pick([" Apt ", " Apt. ", ", Unit ", " #", " Lot "])
                s += self.pick([self.digits(1), self.digits(3), self.digits(1) + self.pick("ABCD")])
            elif k < 0.3:
                s = f"PO Box {self.digits(4)}"
        return [(s, "ADDRESS")]

    def s_hl7addr(self) -> list[Part]:
        town, region = self._town()
        post = self._postcode(region)
        if " " in post and self.country in ("us", "au", "ca"):
            post = post.replace(" ", "^", 1)
        return [
            *[(t.upper(), k) for t, k in self.s_addr()],
            ("^^", None),
            (town.upper(), "LOCATION"),
            ("^" if "^" in post else "^^", None),
            (post.upper(), "ADDRESS"),
        ]

    def _facility(self, kind: str) -> tuple[str, str]:
        fac = self.d.facilities
        pattern = self.pick(fac[self.country][kind])
        place = self.pick(self.d.places[self.country])
        town = self._town()[0]
        name = pattern.replace("{place}", place).replace("{saint}", self.pick(fac["saints"])).replace("{town}", town)
        initials = "".join(w[0] for w in name.split() if w[0].isalpha()).upper()
        short = place if "{place}" in pattern else town if "{town}" in pattern else initials
        return name, short

    def s_home(self) -> list[Part]:
        return [(self.home_name, "HOSPITAL")]

    def s_home_code(self) -> list[Part]:
        return [(_ascii(self.home_short).upper()[:10] or "HOSP", "HOSPITAL")]

    def s_hosp(self) -> list[Part]:
        return [(self._facility("outside")[0], "HOSPITAL")]

    def s_gp(self) -> list[Part]:
        return [(self._facility("gp")[0], "HOSPITAL")]

    def s_care(self) -> list[Part]:
        return [(self._facility("care")[0], "HOSPITAL")]

    def s_wardtxt(self) -> list[Part]:
        if self.country == "us":
            return self.s_room()
        if self.chance(0.5):
            return [(self.pick(self.d.frames["generic_wards"]), None)]
        w = self.pick(self.d.wards)
        return [(self.pick([f"{w} Ward", f"{w} Ward", w, f"{w} Unit"]), "HOSPITAL")]

    def s_ward_hl7(self) -> list[Part]:
        if self.chance(0.5):
            return [(self.pick(self.d.codes["ward_codes"]), None)]
        return [(_ascii(self.pick(self.d.wards)).upper()[:12], "HOSPITAL")]

    def s_bed(self) -> list[Part]:
        return [(f"{self.r.randrange(1, 30):02d}", None)]

    def s_room(self) -> list[Part]:
        return [(self.pick(self.d.frames["us_rooms"]), None)]

    # -- clean text
    def s_exam(self) -> list[Part]:
        return self.fill(self.pick(self.exam["title"][self.setting]))

    def s_indication(self) -> list[Part]:
        return self.fill(self.pick(self.exam["indication"]))

    def s_language(self) -> list[Part]:
        return [(self.pick(self.d.frames["languages"]), None)]

    def s_side(self) -> list[Part]:
        return [(self.side, None)]

    def s_Side(self) -> list[Part]:  # noqa: N802 - slot name: capitalised side
        return [(self.side.capitalize(), None)]

    def s_age(self) -> list[Part]:
        a = self.r.randrange(22, 89)
        return [(self.pick([f"{a}-year-old", f"{a}M", f"{a}F", f"{a} yo", f"aged {a}"]), None)]

    def _num(self, lo: int, hi: int) -> list[Part]:
        return [(str(self.r.randrange(lo, hi)), None)]

    def s_mm(self) -> list[Part]:
        return self._num(3, 35)

    def s_mm2(self) -> list[Part]:
        return self._num(4, 40)

    def s_cm(self) -> list[Part]:
        return [(f"{self.r.randrange(1, 12)}.{self.r.randrange(10)}", None)]

    def s_cmx(self) -> list[Part]:
        a, b = self.r.randrange(1, 12), self.r.randrange(1, 12)
        return [(f"{a}.{self.r.randrange(10)} x {b}.{self.r.randrange(10)} cm", None)]

    def s_level(self) -> list[Part]:
        return [(self.pick(["L4-L5", "L5-S1", "L3-4", "L4/5", "L2-3", "T12/L1", "C5-6", "L3/L4"]), None)]

    def s_pct(self) -> list[Part]:
        return self._num(20, 80)

    def s_hu(self) -> list[Part]:
        return self._num(-20, 60)

    def s_series(self) -> list[Part]:
        return self._num(2, 12)

    def s_image(self) -> list[Part]:
        return self._num(12, 420)

    def s_ml(self) -> list[Part]:
        return [(self.pick(["60", "75", "80", "90", "100"]), None)]

    def s_dlp(self) -> list[Part]:
        return self._num(90, 1400)

    def s_ctdi(self) -> list[Part]:
        return [(f"{self.r.randrange(2, 70)}.{self.r.randrange(10)}", None)]

    def s_bp(self) -> list[Part]:
        return [(f"{self.r.randrange(85, 190)}/{self.r.randrange(45, 110)}", None)]

    def s_grade(self) -> list[Part]:
        return self._num(1, 4)

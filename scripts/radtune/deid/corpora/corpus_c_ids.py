"""Corpus C slot fillers for identifiers, phones, e-mail and URLs (a mixin of radtune.deid.corpora.corpus_c._Gen)."""

from __future__ import annotations

from radtune.deid.corpora.corpus_c_base import (
    _UPPER,
    _ascii,
    _GenBase,
    _luhn_digit,
)
from radtune.deid.corpora.heldout import Part


class _IdSlots(_GenBase):
    """Identifiers, phones, e-mail, URLs: each s_<slot> returns a list of (text, kind) parts."""

    # -- identifiers
    def _nhs(self) -> str:
        while True:
            body = [self.r.randrange(10) for _ in range(9)]
            check = 11 - sum(d * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
            check = 0 if check == 11 else check
            if check != 10:
                s = "".join(map(str, body)) + str(check)
                return self.pick(
                    [f"{s[:3]} {s[3:6]} {s[6:]}", f"{s[:3]} {s[3:6]} {s[6:]}", s, f"{s[:3]}-{s[3:6]}-{s[6:]}"]
                )

    def _natid(self) -> tuple[str, str]:
        c = self.country
        if c == "uk":
            if self.chance(0.25):
                d = self.dob
                s = f"{d.day:02d}{d.month:02d}{d.year % 100:02d}{self.digits(4)}"
                return self.pick(["CHI No: ", "CHI: ", "CHI number "]), self.pick([s, f"{s[:6]} {s[6:]}"])
            return self.pick(["NHS No: ", "NHS Number: ", "NHS: ", "NHS no. "]), self._nhs()
        if c == "ie":
            if self.chance(0.5):
                return self.pick(["PPSN: ", "PPS No: "]), self.digits(7) + self.pick(_UPPER) + self.pick(
                    ["", "", "A", "W"]
                )
            return self.pick(["IHI: ", "Medical Card No: "]), self.digits(9)
        if c == "au":
            k = self.r.random()
            if k < 0.55:
                body = str(self.r.randrange(2, 7)) + self.digits(7)
                check = sum(int(x) * w for x, w in zip(body, [1, 3, 7, 9, 1, 3, 7, 9], strict=True)) % 10
                s = f"{body}{check}{self.r.randrange(1, 6)}"
                return self.pick(["Medicare No: ", "Medicare: ", "MCN "]), self.pick([f"{s[:4]} {s[4:9]} {s[9]}", s])
            if k < 0.85:
                body = "800360" + self.digits(9)
                s = body + _luhn_digit(body)
                return "IHI: ", f"{s[:4]} {s[4:8]} {s[8:12]} {s[12:]}"
            return "DVA No: ", self.pick(["N", "V", "Q", "W"]) + self.pick(["X", "SS", ""]) + self.digits(6)
        if c == "nz":
            s = "".join(self.pick("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3))
            tail = (
                self.digits(4)
                if self.chance(0.7)
                else self.digits(2) + "".join(self.pick("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2))
            )
            return self.pick(["NHI: ", "NHI No: ", "NHI "]), s + tail
        if c == "ca":
            if self.chance(0.35):
                fam = _ascii(self.patient.family).upper()[:3].ljust(3, "X")
                d = self.dob
                mm = d.month + (50 if self.sex == "F" else 0)
                first = _ascii(self.patient.given).upper()[:1] or "X"
                return "RAMQ: ", f"{fam}{first} {d.year % 100:02d}{mm:02d} {d.day:02d}{self.digits(2)}"
            body = self.digits(9)
            s = body + _luhn_digit(body)
            return self.pick(["Health Card No: ", "HCN: ", "PHN: "]), self.pick(
                [f"{s[:4]}-{s[4:7]}-{s[7:]}-{self.letters(2)}", f"{s[:4]} {s[4:7]} {s[7:]}", s]
            )
        # US: an insurance member number stands in for a national id
        return self._ins()

    def s_l_natid(self) -> list[Part]:
        label, value = self._natid()
        return [(label, None), (value, "ID")]

    def _hospno(self) -> tuple[str, str]:
        c = self.country
        if c == "au":
            return self.pick(["UR: ", "URN: ", "UR No: ", "MRN: "]), self.pick(
                [self.digits(6), self.digits(7), "00" + self.digits(6)]
            )
        if c == "nz":
            return self.pick(["Hosp No: ", "Patient ID: "]), self.letters(3) + self.digits(4)
        forms = [
            ("K number: ", "K" + self.digits(7)),
            ("Hosp No: ", self.letters(1) + self.digits(6)),
            ("Hosp No: ", self.letters(3) + self.digits(7)),
        ]
        forms += [
            ("Unit No: ", self.digits(6)),
            ("Unit No: ", self.digits(2) + "-" + self.digits(2) + "-" + self.digits(2)),
            ("RIS No: ", "RIS" + self.digits(7)),
        ]
        forms += [
            ("Hospital Number: ", self.letters(1) + self.digits(7) + self.letters(1)),
            ("MRN: ", self.digits(7)),
            ("H/N ", "H" + self.digits(6)),
            ("Case No. ", self.digits(8)),
        ]
        return self.pick(forms)

    def s_l_hospno(self) -> list[Part]:
        label, value = self._hospno()
        return [(label, None), (value, "ID")]

    def s_hospno(self) -> list[Part]:
        return [(self._hospno()[1], "ID")]

    def s_acc(self) -> list[Part]:
        y = self.exam_day.year % 100
        mod = self.pick(self.d.codes["acc_modalities"])
        forms = [
            f"{mod}{y:02d}{self.digits(6)}",
            f"{self.letters(3)}{mod}{y:02d}{self.digits(5)}",
            f"{y:02d}R{self.digits(7)}",
            f"{mod}{y:02d}/{self.digits(6)}",
        ]
        forms += [
            "AC" + self.digits(8),
            self.digits(9),
            f"{self.digits(7)}.{self.digits(4)}",
            f"RAD-{self.digits(3)}-{self.digits(4)}-{self.letters(1)}",
        ]
        return [(self.pick(forms), "ID")]

    def s_l_acc(self) -> list[Part]:
        return [(self.pick(self.d.codes["acc_labels"]), None), *self.s_acc()]

    def s_mrn(self) -> list[Part]:
        letter = self.pick("ABCDEFGHJKLMNPRTVWXYZ")
        forms = [
            "00" + self.digits(6),
            f"{self.digits(7)}-{letter}",
            "M" + self.digits(9),
            f"{self.digits(2)}-{self.digits(2)}-{self.digits(2)}-{self.digits(1)}",
            "E" + self.digits(7),
            self.digits(8) + letter,
            self.digits(10),
        ]
        return [(self.pick(forms), "ID")]

    def s_l_mrn(self) -> list[Part]:
        return [(self.pick(self.d.codes["mrn_labels"]), None), *self.s_mrn()]

    def s_visit(self) -> list[Part]:
        return [
            (
                self.pick(
                    [
                        "V" + self.digits(11),
                        self.digits(10),
                        "A" + self.digits(8),
                        f"ENC-{self.digits(4)}-{self.digits(5)}",
                        self.digits(12),
                    ]
                ),
                "ID",
            )
        ]

    def s_l_visit(self) -> list[Part]:
        return [(self.pick(self.d.codes["visit_labels"]), None), *self.s_visit()]

    def _ins(self) -> tuple[str, str]:
        mbi = f"{self.r.randrange(1, 10)}{self.letters(2)}{self.digits(1)}{self.letters(2)}{self.digits(1)}"
        mbi += f"{self.letters(2)}{self.digits(2)}"  # Medicare beneficiary identifier shape
        forms = [
            ("Member ID: ", self.letters(3) + self.digits(9)),
            ("Medicaid #: ", self.digits(8) + self.letters(1)),
            ("MBI: ", mbi),
        ]
        forms += [
            ("Policy No: ", f"{self.letters(1)}{self.digits(8)}-{self.digits(2)}"),
            ("Ins ID: ", "W" + self.digits(9)),
            ("Subscriber #: ", f"{self.letters(3)} {self.digits(9)} {self.digits(2)}"),
        ]
        return self.pick(forms)

    def s_ins(self) -> list[Part]:
        return [(self._ins()[1], "ID")]

    def s_l_ins(self) -> list[Part]:
        label, value = self._ins()
        return [(label, None), (value, "ID")]

    def s_serial(self) -> list[Part]:
        forms = [
            self.letters(3) + self.digits(6) + self.letters(1),
            f"{self.digits(4)}-{self.digits(4)}-{self.digits(4)}",
            self.letters(2) + self.digits(8),
            f"SN{self.digits(7)}",
            f"{self.letters(1)}{self.digits(2)}{self.letters(1)}{self.digits(5)}",
        ]
        return [(self.pick(forms), "ID")]

    def s_l_regno(self) -> list[Part]:
        c = self.country
        if c == "uk":
            label, value = self.pick(["GMC No: ", "GMC ", "GMC number: "]), self.digits(7)
        elif c == "ie":
            label, value = "MCRN: ", self.digits(6)
        elif c == "au":
            label, value = "AHPRA: ", "MED000" + self.digits(7)
        elif c == "nz":
            label, value = "MCNZ: ", self.digits(5)
        elif c == "ca":
            label, value = self.pick(["CPSO #: ", "CMQ: ", "CPSS: "]), self.digits(5)
        else:
            body = self.pick(["1", "2"]) + self.digits(8)
            label, value = self.pick(
                [("NPI: ", body + _luhn_digit("80840" + body)), ("Lic #: ", self.letters(1) + self.digits(5))]
            )
        return [(label, None), (value, "ID")]

    def s_job(self) -> list[Part]:
        return [(self.pick([self.digits(7), "D" + self.digits(6), self.digits(5) + "-" + self.digits(2)]), "ID")]

    def s_order(self) -> list[Part]:
        return [(self.pick(["ORD" + self.digits(7), self.digits(9), f"{self.letters(2)}{self.digits(6)}"]), "ID")]

    def s_msgid(self) -> list[Part]:
        return [(self.pick(["MSG" + self.digits(8), self.digits(12), f"{self.letters(3)}{self.digits(10)}"]), "ID")]

    def s_idsys(self) -> list[Part]:
        return [(self.pick(["RIS", "PAS", "HIS", "MR"]), None)]

    def s_uid(self) -> list[Part]:
        root = self.pick(self.d.codes["uid_roots"])
        tail = ".".join(str(self.r.randrange(1, 10 ** self.r.randrange(2, 9))) for _ in range(self.r.randrange(3, 6)))
        return [(f"{root}.{tail}", "ID")]

    # -- phones
    def _phone(self, mobile: bool = False) -> str:
        c, d = self.country, self.digits
        if c == "uk":
            if mobile:
                return self.pick([f"07{d(3)} {d(6)}", f"07{d(3)} {d(3)} {d(3)}", f"+44 7{d(3)} {d(6)}", f"07{d(9)}"])
            area = self.pick(self.d.codes["uk_area_codes"])
            if len(area) == 5:
                return self.pick(
                    [f"{area} {d(6)}", f"({area}) {d(6)}", f"{area} {d(3)} {d(3)}", f"+44 (0){area[1:]} {d(6)}"]
                )
            if len(area) == 4:
                return self.pick([f"{area} {d(3)} {d(4)}", f"({area}) {d(3)} {d(4)}", f"+44 {area[1:]} {d(3)} {d(4)}"])
            return self.pick([f"{area} {d(4)} {d(4)}", f"({area}) {d(4)} {d(4)}", f"+44 {area[1:]} {d(4)} {d(4)}"])
        if c == "ie":
            if mobile:
                return self.pick([f"08{self.pick('35679')} {d(3)} {d(4)}", f"+353 8{self.pick('35679')} {d(3)} {d(4)}"])
            area = self.pick(self.d.codes["ie_area_codes"])
            return self.pick([f"({area}) {d(3)} {d(4)}", f"{area} {d(3)} {d(4)}", f"+353 {area[1:]} {d(3)} {d(4)}"])
        if c == "au":
            if mobile:
                return self.pick([f"04{d(2)} {d(3)} {d(3)}", f"04{d(8)}", f"+61 4{d(2)} {d(3)} {d(3)}"])
            area = self.pick(self.d.codes["au_area_codes"])
            return self.pick(
                [f"({area}) {d(4)} {d(4)}", f"{area} {d(4)} {d(4)}", f"+61 {area[1]} {d(4)} {d(4)}", f"{area}{d(8)}"]
            )
        if c == "nz":
            if mobile:
                return self.pick([f"02{self.pick('127')} {d(3)} {d(4)}", f"+64 2{self.pick('127')} {d(3)} {d(4)}"])
            area = self.pick(self.d.codes["nz_area_codes"])
            return self.pick([f"({area}) {d(3)} {d(4)}", f"{area} {d(3)} {d(4)}", f"+64 {area[1]} {d(3)} {d(4)}"])
        a, e, n = str(self.r.randrange(201, 990)), str(self.r.randrange(200, 1000)), d(4)
        return self.pick(
            [
                f"({a}) {e}-{n}",
                f"{a}-{e}-{n}",
                f"{a}.{e}.{n}",
                f"{a} {e} {n}",
                f"1-{a}-{e}-{n}",
                f"+1 {a} {e} {n}",
                f"{a}/{e}-{n}",
            ]
        )

    def s_phone(self) -> list[Part]:
        return [(self._phone(), "PHONE")]

    def s_mobile(self) -> list[Part]:
        return [(self._phone(mobile=True), "PHONE")]

    def s_bleep(self) -> list[Part]:
        return [
            (self.pick([self.digits(4), self.digits(4), self.digits(3), f"{self.digits(1)}-{self.digits(4)}"]), "PHONE")
        ]

    def s_pager(self) -> list[Part]:
        return [(self.pick([self.digits(4), f"{self.digits(1)}-{self.digits(4)}", self._phone()]), "PHONE")]

    def s_ext(self) -> list[Part]:
        return [(self.digits(self.pick([4, 4, 5])), "PHONE")]

    # -- e-mail, URL
    def s_email(self) -> list[Part]:
        domain = self.pick(self.d.web["email_domains"][self.country])
        p = self.person()
        g, f = _ascii(p.given) or "x", _ascii(p.family) or "x"
        user = self.pick(
            [
                f"{g}.{f}",
                f"{g}.{f}",
                f"{g[0]}{f}",
                f"{f}.{g[0]}",
                f"{g}{f}{self.digits(2)}",
                f"{f}{self.digits(1)}",
                "radiology.secretaries",
                "imaging.bookings",
            ]
        )
        return [(f"{user}@{domain}", "EMAIL")]

    def s_url(self) -> list[Part]:
        host = self.pick(self.d.web["hosts"][self.country])
        t = self.pick(self.d.web["url_templates"])
        return [
            (t.replace("{host}", host).replace("{n}", self.digits(8)).replace("{a}", self.letters(3).lower()), "URL")
        ]

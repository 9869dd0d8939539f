"""Corpus B slot fillers for phone numbers and identifiers (a mixin of radtune.deid.corpora.heldout._Gen)."""

from __future__ import annotations

from collections.abc import Callable

from radtune.deid.corpora.heldout_base import Part, _GenBase, _json


class _IdSlots(_GenBase):
    """Phones, pagers, record numbers and labelled identifiers: each slot returns a list of (text, kind) parts."""

    # -- phones
    def phone(self) -> list[Part]:
        a, e, n = f"{self.r.randrange(201, 990)}", f"{self.r.randrange(200, 1000)}", self.digits(4)
        if self.chance(0.15):
            s = self.pick(
                [
                    f"+44 20 {self.digits(4)} {self.digits(4)}",
                    f"+44 (0){self.r.randrange(113, 199)} {self.digits(3)} {self.digits(4)}",
                    f"+49 30 {self.digits(4)} {self.digits(4)}",
                    f"+33 1 {self.digits(2)} {self.digits(2)} {self.digits(2)} {self.digits(2)}",
                    f"+91 98{self.digits(3)} {self.digits(5)}",
                    f"+61 2 {self.digits(4)} {self.digits(4)}",
                    f"+234 803 {self.digits(3)} {self.digits(4)}",
                    f"+82 10-{self.digits(4)}-{self.digits(4)}",
                    f"+971 4 {self.digits(3)} {self.digits(4)}",
                    f"+52 55 {self.digits(4)} {self.digits(4)}",
                ]
            )
            return [(s, "PHONE")]
        s = self.pick(
            [
                f"{a}-{e}-{n}",
                f"({a}) {e}-{n}",
                f"({a}){e}-{n}",
                f"{a}.{e}.{n}",
                f"{a} {e} {n}",
                f"{a}{e}{n}",
                f"{a}/{e}-{n}",
                f"{a}-{e} {n}",
                f"+1 {a} {e} {n}",
                f"+1-{a}-{e}-{n}",
                f"+1 ({a}) {e}-{n}",
                f"1-{a}-{e}-{n}",
                f"1 ({a}) {e}-{n}",
                f"+1.{a}.{e}.{n}",
                f"({a}) {e} {n}",
                f"{a} {e}-{n}",
            ]
        )
        return [(s, "PHONE")]

    def ext(self) -> list[Part]:
        return [(self.digits(self.r.choice([3, 4, 5])), "PHONE")]

    def pager(self) -> list[Part]:
        k = self.r.randrange(4)
        if k == 0:
            return [(self.digits(5), "PHONE")]
        if k == 1:
            return [("#", None), (f"{self.r.randrange(1, 10)}-{self.digits(4)}", "PHONE")]
        if k == 2:
            return [(self.digits(4), "PHONE")]
        return self.phone()

    # -- identifiers
    def mrn(self) -> list[Part]:
        return [
            (
                self.pick(
                    [
                        self.digits(8),
                        "00" + self.digits(6),
                        self.digits(7),
                        f"{self.digits(4)}-{self.digits(4)}",
                        "E" + self.digits(7),
                        "MRN-" + self.digits(6),
                        f"{self.digits(3)} {self.digits(3)} {self.digits(4)}",
                        f"{self.digits(2)}-{self.digits(2)}-{self.digits(2)}",
                    ]
                ),
                "ID",
            )
        ]

    _LABELS: dict[str, list[str]] = _json("labels.json")["id_labels"]  # read-only table

    def acc(self) -> list[Part]:
        y = self.r.randrange(2005, 2026)
        return [
            (
                self.pick(
                    [
                        f"CT-{self.digits(8)}",
                        f"RAD{y % 100:02d}-{self.digits(6)}",
                        f"{y}CT{self.digits(7)}",
                        "A" + self.digits(8),
                        f"MR.{y}.{self.digits(6)}",
                        self.digits(9),
                        f"US{self.digits(7)}",
                    ]
                ),
                "ID",
            )
        ]

    def enc(self) -> list[Part]:
        return [(self.pick([self.digits(9), self.digits(10), "V" + "00" + self.digits(6), self.digits(12)]), "ID")]

    def acct(self) -> list[Part]:
        return [(self.pick(["000" + self.digits(8), f"A-{self.digits(4)}-{self.digits(4)}", self.digits(10)]), "ID")]

    def plan(self) -> list[Part]:
        mbi = (
            f"{self.r.randrange(1, 10)}{self.letters(2)}{self.r.randrange(10)}-{self.letters(2)}{self.r.randrange(10)}"
        )
        mbi += f"-{self.letters(2)}{self.digits(2)}"  # Medicare beneficiary identifier shape
        return [
            (
                self.pick(
                    [
                        self.letters(3) + self.digits(9),
                        mbi,
                        "W" + self.digits(9),
                        "U" + self.digits(10),
                        "H" + self.digits(8),
                    ]
                ),
                "ID",
            )
        ]

    def ssn(self) -> list[Part]:
        a, b, c = f"{self.r.randrange(100, 900)}", self.digits(2), self.digits(4)
        return [(self.pick([f"{a}-{b}-{c}", f"{a} {b} {c}", f"{a}{b}{c}"]), "ID")]

    def lic(self) -> list[Part]:
        return [
            (
                self.pick(
                    [
                        self.letters(1) + self.digits(7),
                        f"MD-{self.digits(6)}",
                        f"{self.letters(1)}{self.digits(3)}-{self.digits(4)}-{self.digits(4)}",
                        self.digits(6),
                        f"RT-{self.r.randrange(2000, 2026)}-{self.digits(4)}",
                    ]
                ),
                "ID",
            )
        ]

    def dea(self) -> list[Part]:
        return [(self.letters(2) + self.digits(7), "ID")]

    def npi(self) -> list[Part]:
        return [(self.pick(["1", "2"]) + self.digits(9), "ID")]

    def serial(self) -> list[Part]:
        return [
            (
                self.pick(
                    [
                        self.letters(3) + self.digits(6) + self.letters(1),
                        self.digits(2) + self.letters(2) + self.digits(6),
                        f"SN-{self.digits(5)}-{self.letters(1)}",
                        self.letters(2) + self.digits(8),
                    ]
                ),
                "ID",
            )
        ]

    def ip(self) -> list[Part]:
        a = self.pick(["10", "172", "192", str(self.r.randrange(11, 224))])
        b = "168" if a == "192" else str(self.r.randrange(256))
        return [(f"{a}.{b}.{self.r.randrange(256)}.{self.r.randrange(1, 255)}", "ID")]

    def uid(self) -> list[Part]:
        tail = ".".join(str(self.r.randrange(1, 10 ** self.r.randrange(3, 11))) for _ in range(self.r.randrange(3, 6)))
        return [(f"1.2.840.{self.r.randrange(10000, 114000)}.{tail}", "ID")]

    def _labelled(self, key: str, value: Callable[[], list[Part]]) -> list[Part]:
        label = self.pick(self._LABELS[key])
        return [(label + self.pick([" ", " ", "  ", ""] if label.endswith((":", "#")) else [" "]), None), *value()]

    def l_mrn(self) -> list[Part]:
        return self._labelled("mrn", self.mrn)

    def l_acc(self) -> list[Part]:
        return self._labelled("acc", self.acc)

    def l_enc(self) -> list[Part]:
        return self._labelled("enc", self.enc)

    def l_acct(self) -> list[Part]:
        return self._labelled("acct", self.acct)

    def l_plan(self) -> list[Part]:
        return self._labelled("plan", self.plan)

    def l_ssn(self) -> list[Part]:
        return self._labelled("ssn", self.ssn)

    def l_lic(self) -> list[Part]:
        return self._labelled("lic", self.lic)

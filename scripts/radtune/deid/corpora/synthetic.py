"""Seeded synthetic radiology reports and protocol orders with planted identifiers and gold spans."""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

from radtune.core.common import atomic_path, run_main

IMPRESSION_COLUMNS = [
    "accession_number",
    "mrn",
    "exam_date",
    "exam_code",
    "exam_description",
    "indication",
    "comparison",
    "findings",
    "impression",
]
PROTOCOL_COLUMNS = ["order_id", "patient_mrn", "order_date", "clinical_history", "ordering_notes", "protocol_label"]
# Gold entity types are the placeholder names the de-identifier writes (<PERSON> ... <URL>).
ENTITY_TYPES = ["PERSON", "DATE", "ID", "PHONE", "EMAIL", "ADDRESS", "LOCATION", "HOSPITAL", "AGE", "URL"]


@dataclass(frozen=True)
class Span:
    """One planted identifier: characters [start, end) of `column` in row `row` (0-based)."""

    row: int
    column: str
    start: int
    end: int
    entity_type: str


# ---- invented vocabularies (common first/last names written here; no real people) ----------
FIRST_NAMES = (
    "John Maria James Linda Robert Patricia Michael Jennifer David Elizabeth William Susan Richard Jessica "
    "Joseph Sarah Thomas Karen Charles Nancy Daniel Lisa Matthew Betty Anthony Sandra Mark Ashley Steven "
    "Emily Paul Donna Andrew Michelle Joshua Carol Kevin Amanda Brian Melissa George Deborah Timothy "
    "Stephanie Ronald Rebecca Jason Laura Jeffrey Sharon Ryan Cynthia Jacob Kathleen Gary Amy Nicholas "
    "Angela Eric Shirley Jonathan Anna Larry Ruth Justin Brenda Scott Pamela Raymond Nicole Samuel Katherine "
    "Priya Wei Ahmed Fatima Carlos Sofia Hiroshi Aisha Olga Dmitri Mei Rahul Ana Luis Chen Ngozi Kwame Ines"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez "
    "Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Mitchell "
    "Roberts Carter Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes Stewart Morris Morales Murphy "
    "Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson "
    "Watson Brooks Chavez Wood Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers "
    "Long Ross Foster Jimenez O'Brien McCarthy Okafor Haddad Kowalski Nakamura Schmidt Rossi Ivanova Chen-Wu"
).split()
STREETS = "Oak Maple Cedar Pine Elm Washington Lake Hill Park Main Church Willow Highland Sunset Ridge Meadow".split()
STREET_TYPES = ["Street", "St", "Avenue", "Ave", "Road", "Rd", "Boulevard", "Blvd", "Lane", "Drive", "Way", "Court"]
CITIES = [
    ("Springfield", "IL"),
    ("Riverton", "WY"),
    ("Fairview", "OR"),
    ("Lakewood", "CO"),
    ("Greenville", "SC"),
    ("Madison", "WI"),
    ("Georgetown", "TX"),
    ("Clinton", "MS"),
    ("Salem", "MA"),
    ("Franklin", "TN"),
    ("Ashland", "KY"),
    ("Dover", "DE"),
    ("Milford", "CT"),
    ("Burlington", "VT"),
    ("Oxford", "OH"),
]
HOSPITALS = [
    "St. Mary's Medical Center",
    "Riverside General Hospital",
    "Lakeview Imaging Center",
    "Mercy Regional Medical Center",
    "Northside Family Clinic",
    "Good Samaritan Hospital",
    "Valley View Community Hospital",
    "Saint Luke's Hospital",
    "Westbrook Orthopedic Clinic",
    "Harborview Cancer Center",
    "Pine Ridge Urgent Care",
    "University Hospital of Fairview",
]
MONTHS = "January February March April May June July August September October November December".split()


class _Text:
    """Builds one cell's text piece by piece, recording where planted identifiers land."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.n = 0
        self.spans: list[tuple[int, int, str]] = []

    def add(self, text: str) -> _Text:
        self.parts.append(text)
        self.n += len(text)
        return self

    def pii(self, text: str, entity_type: str) -> _Text:
        self.spans.append((self.n, self.n + len(text), entity_type))
        return self.add(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


class _Gen:
    """Random identifier makers sharing one seeded Random."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def first(self) -> str:
        return self.r.choice(FIRST_NAMES)

    def last(self) -> str:
        return self.r.choice(LAST_NAMES)

    def person(self) -> str:
        r = self.r.random()
        if r < 0.6:
            return f"{self.first()} {self.last()}"
        if r < 0.8:
            return f"{self.first()} {self.r.choice('ABCDEFGHJKLMNPRSTW')}. {self.last()}"
        return f"{self.first()[0]}. {self.last()}"

    def day(self) -> date:
        return date(2015, 1, 1) + timedelta(days=self.r.randrange(0, 3650))

    def date(self, d: date | None = None) -> str:
        d = d or self.day()
        style = self.r.randrange(6)
        if style == 0:
            return f"{d.month:02d}/{d.day:02d}/{d.year}"
        if style == 1:
            return f"{d.month}/{d.day}/{d.year % 100:02d}"
        if style == 2:
            return d.isoformat()
        if style == 3:
            return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
        if style == 4:
            return f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{d.year}"
        return f"{MONTHS[d.month - 1][:3]} {d.day} {d.year}"

    def time(self) -> str:
        h, m = self.r.randrange(0, 24), self.r.randrange(0, 60)
        style = self.r.randrange(3)
        if style == 0:
            return f"{h:02d}:{m:02d}"
        if style == 1:
            return f"{(h % 12) or 12}:{m:02d} {'AM' if h < 12 else 'PM'}"
        return f"{h:02d}{m:02d} hours"

    def mrn(self) -> str:
        return str(self.r.randrange(10**6, 10**8)).zfill(self.r.choice([7, 8]))

    def accession(self) -> str:
        style = self.r.randrange(3)
        if style == 0:
            return f"A{self.r.randrange(10**7, 10**8)}"
        if style == 1:
            return f"RAD-{self.r.randrange(2015, 2025)}-{self.r.randrange(10**5, 10**6)}"
        return str(self.r.randrange(10**8, 10**9))

    def encounter(self) -> str:
        return f"E{self.r.randrange(10**8, 10**9)}"

    def phone(self) -> str:
        a, b, c = self.r.randrange(201, 990), self.r.randrange(200, 999), self.r.randrange(0, 10000)
        style = self.r.randrange(4)
        if style == 0:
            return f"({a}) {b}-{c:04d}"
        if style == 1:
            return f"{a}-{b}-{c:04d}"
        if style == 2:
            return f"{a}.{b}.{c:04d}"
        return f"+1 {a} {b} {c:04d}"

    def email(self, name: str | None = None) -> str:
        user = (name or f"{self.first()} {self.last()}").lower().replace(". ", ".").replace(" ", ".")
        user = user.replace("'", "")
        domain = self.r.choice(["example-health.org", "mercyrad.net", "stmarys-mc.org", "valleyview.com"])
        return f"{user}@{domain}"

    def address(self) -> str:
        city, state = self.r.choice(CITIES)
        street = f"{self.r.randrange(1, 9999)} {self.r.choice(STREETS)} {self.r.choice(STREET_TYPES)}"
        if self.r.random() < 0.3:
            street += f", Apt {self.r.randrange(1, 40)}"
        return f"{street}, {city}, {state} {self.r.randrange(10000, 99999)}"

    def city(self) -> str:
        city, state = self.r.choice(CITIES)
        return f"{city}, {state}"

    def hospital(self) -> str:
        return self.r.choice(HOSPITALS)

    def old_age(self) -> str:
        n = self.r.randrange(90, 104)
        return self.r.choice([f"{n}-year-old", f"{n} year old", f"{n} yo", f"{n}-year-old", f"{n} y/o"])

    def url(self) -> str:
        return f"https://portal.{self.r.choice(['mercyrad.net', 'valleyview.com'])}/results/{self.r.randrange(10**6)}"


# ---- report content ---------------------------------------------------------------------------
# (code, description, modality, region key)
EXAMS = [
    ("CTABDP", "CT ABDOMEN PELVIS W CONTRAST", "CT", "abdomen"),
    ("CTCHEST", "CT CHEST WO CONTRAST", "CT", "chest"),
    ("CTHEAD", "CT HEAD WO CONTRAST", "CT", "head"),
    ("CTPECTA", "CTA CHEST PE PROTOCOL", "CT", "chest"),
    ("MRBRAIN", "MRI BRAIN WO/W CONTRAST", "MR", "head"),
    ("MRLSPINE", "MRI LUMBAR SPINE WO CONTRAST", "MR", "spine"),
    ("MRCSPINE", "MRI CERVICAL SPINE WO CONTRAST", "MR", "cspine"),
    ("MRKNEER", "MRI KNEE RIGHT WO CONTRAST", "MR", "knee"),
    ("MRSHLDL", "MRI SHOULDER LEFT WO CONTRAST", "MR", "shoulder"),
    ("XRCHEST2V", "XR CHEST PA AND LATERAL", "XR", "cxr"),
    ("CRCHEST1V", "CR CHEST PORTABLE 1 VIEW", "CR", "cxr"),
    ("XRWRISTL", "XR WRIST LEFT 3 VIEWS", "XR", "wrist"),
    ("XRHANDR", "XR HAND RIGHT 3 VIEWS", "XR", "wrist"),
    ("USABD", "US ABDOMEN COMPLETE", "US", "usabd"),
    ("USKIDNEY", "US RETROPERITONEUM RENAL", "US", "kidney"),
    ("USTHYR", "US THYROID", "US", "thyroid"),
    ("USVENLE", "US VENOUS DOPPLER LOWER EXTREMITY", "US", "dvt"),
    ("FLUOUGI", "FL UPPER GI SERIES", "FL", "ugi"),
    ("FLUOESO", "FL ESOPHAGRAM", "FL", "ugi"),
]

NORMAL_FINDINGS = {
    "abdomen": (
        "Lower chest: Lung bases are clear.\nLiver: Normal in size and attenuation. No focal lesion.\n"
        "Gallbladder and bile ducts: Unremarkable.\nPancreas, spleen, adrenal glands: Unremarkable.\n"
        "Kidneys: No hydronephrosis or solid mass.\nBowel: No obstruction, wall thickening, or free air.\n"
        "Lymph nodes: No lymphadenopathy.\nBones: No aggressive osseous lesion."
    ),
    "chest": (
        "Lungs: Clear, without consolidation, nodule, or effusion.\nAirways: Patent.\n"
        "Mediastinum: Normal heart size. No pericardial effusion. No lymphadenopathy.\n"
        "Pleura: No pleural effusion or pneumothorax.\nBones: No acute fracture."
    ),
    "head": (
        "No acute intracranial hemorrhage, mass effect, or midline shift. Gray-white matter differentiation is "
        "preserved. Ventricles and sulci are normal in size for age. The visualized paranasal sinuses and mastoid "
        "air cells are clear."
    ),
    "spine": (
        "Vertebral body heights and alignment are maintained. Conus terminates normally at L1. No significant disc "
        "herniation, spinal canal stenosis, or neural foraminal narrowing at any level. Marrow signal is normal."
    ),
    "cspine": (
        "Normal cervical lordosis. No fracture or subluxation. The cervical cord is normal in caliber and signal. "
        "No significant canal or foraminal stenosis from C2-C3 through C7-T1."
    ),
    "knee": (
        "Menisci: Intact. Cruciate and collateral ligaments: Intact. Extensor mechanism: Intact. Cartilage: "
        "Preserved. No joint effusion. No marrow edema."
    ),
    "shoulder": (
        "Rotator cuff tendons are intact without tear. Glenoid labrum is intact. Biceps tendon is normally located. "
        "Acromioclavicular joint is unremarkable. No joint effusion."
    ),
    "cxr": (
        "The lungs are clear. No pleural effusion or pneumothorax. The cardiomediastinal silhouette is within "
        "normal limits. No acute osseous abnormality."
    ),
    "wrist": (
        "No acute fracture or dislocation. Joint spaces are preserved. Soft tissues are unremarkable. No radiopaque "
        "foreign body."
    ),
    "usabd": (
        "Liver: Normal size and echotexture. No focal lesion.\nGallbladder: No stones or wall thickening. Negative "
        "sonographic Murphy sign.\nCommon bile duct: 3 mm.\nPancreas: Visualized portions unremarkable.\n"
        "Spleen: 10.2 cm.\nKidneys: Normal size without hydronephrosis.\nAorta: Normal caliber."
    ),
    "kidney": (
        "Right kidney measures 10.8 cm and left kidney 11.1 cm. Normal cortical echogenicity. No hydronephrosis, "
        "stone, or solid mass. The bladder is unremarkable."
    ),
    "thyroid": (
        "Right lobe 4.5 x 1.6 x 1.5 cm. Left lobe 4.3 x 1.5 x 1.4 cm. Isthmus 0.3 cm. Homogeneous echotexture "
        "without nodule. No cervical lymphadenopathy."
    ),
    "dvt": (
        "Normal compressibility, color flow and spectral Doppler waveforms of the common femoral, femoral, and "
        "popliteal veins. No deep venous thrombosis."
    ),
    "ugi": (
        "Single contrast examination. The esophagus is normal in caliber with normal peristalsis. No stricture, "
        "mass or reflux. The stomach and duodenum are unremarkable. Contrast passes freely into the jejunum."
    ),
}
NORMAL_IMPRESSIONS = {
    "abdomen": "No acute abnormality in the abdomen or pelvis.",
    "chest": "No acute cardiopulmonary abnormality.",
    "head": "No acute intracranial abnormality.",
    "spine": "Normal MRI of the lumbar spine.",
    "cspine": "Normal MRI of the cervical spine.",
    "knee": "Normal MRI of the knee.",
    "shoulder": "Normal MRI of the shoulder.",
    "cxr": "No acute cardiopulmonary process.",
    "wrist": "No acute osseous abnormality.",
    "usabd": "Normal abdominal ultrasound.",
    "kidney": "Normal renal ultrasound.",
    "thyroid": "Normal thyroid ultrasound.",
    "dvt": "No deep venous thrombosis in the examined veins.",
    "ugi": "Normal examination.",
}
# (findings sentence, impression sentence) per region; {m} is a measurement filled in at random.
ABNORMAL = {
    "abdomen": [
        (
            "Diffuse wall thickening of the terminal ileum over {m} with mucosal hyperenhancement and engorged vasa "
            "recta (comb sign), consistent with active Crohn disease.",
            "Active terminal ileal Crohn disease.",
        ),
        (
            "Hypodense lesion in hepatic segment 7 measuring {m}, incompletely characterized.",
            "{m} indeterminate hepatic lesion; MRI recommended.",
        ),
        (
            "Bulky retroperitoneal and mesenteric lymphadenopathy, largest node {m}, in this patient with known "
            "non-Hodgkin lymphoma.",
            "Progressive non-Hodgkin lymphoma with retroperitoneal adenopathy.",
        ),
        (
            "Foley catheter in a decompressed bladder. Appendix is dilated to {m} with periappendiceal fat stranding.",
            "Acute appendicitis without abscess.",
        ),
    ],
    "chest": [
        ("Spiculated nodule in the right upper lobe measuring {m}.", "{m} spiculated RUL nodule, suspicious."),
        (
            "Swan-Ganz catheter tip in the right main pulmonary artery. Small bilateral pleural effusions.",
            "Swan-Ganz catheter tip in the right main pulmonary artery; consider retraction.",
        ),
        (
            "Anterior mediastinal mass measuring {m}, in a patient with history of Hodgkin lymphoma.",
            "Anterior mediastinal mass, concerning for recurrent Hodgkin lymphoma.",
        ),
        (
            "Filling defects in segmental arteries of the right lower lobe. RV/LV ratio 0.9.",
            "Acute right lower lobe segmental pulmonary emboli without right heart strain.",
        ),
    ],
    "head": [
        (
            "Acute left parietal subdural hematoma measuring {m} in thickness with 3 mm of midline shift.",
            "Acute left subdural hematoma, {m}.",
        ),
        (
            "Chronic small vessel ischemic change. Old lacunar infarct in the right basal ganglia.",
            "No acute intracranial abnormality. Chronic microvascular disease.",
        ),
    ],
    "spine": [
        (
            "At L4-L5 there is a broad-based disc protrusion with an annular fissure, T2 hyperintense, causing "
            "moderate spinal canal stenosis. At L5-S1 mild foraminal narrowing.",
            "L4-L5 disc protrusion with moderate canal stenosis.",
        ),
        (
            "Paget disease of the L3 vertebral body with cortical thickening and enlargement.",
            "Paget disease of L3 without fracture.",
        ),
    ],
    "cspine": [
        (
            "At C5-C6 a disc osteophyte complex indents the ventral cord with T2 hyperintense cord signal.",
            "C5-C6 cord compression with myelomalacia.",
        ),
    ],
    "knee": [
        (
            "Complex tear of the posterior horn medial meniscus. Baker cyst measuring {m}.",
            "Medial meniscal tear. Baker cyst.",
        ),
        (
            "Complete tear of the anterior cruciate ligament with bone contusions of the lateral femoral condyle.",
            "Complete ACL tear.",
        ),
    ],
    "shoulder": [
        (
            "Anteroinferior labral tear with a Hill-Sachs impaction of the humeral head, compatible with a Bankart "
            "lesion.",
            "Bankart lesion and Hill-Sachs deformity.",
        ),
        ("Full-thickness supraspinatus tear with {m} retraction.", "Full-thickness supraspinatus tear."),
    ],
    "cxr": [
        (
            "Right lower lobe consolidation. Endotracheal tube tip 4.1 cm above the carina.",
            "Right lower lobe pneumonia. Lines and tubes as described.",
        ),
        ("Small left apical pneumothorax measuring {m}.", "Small left pneumothorax."),
    ],
    "wrist": [
        (
            "Dorsally angulated distal radius fracture with impaction, a Colles fracture, and an ulnar styloid "
            "fracture.",
            "Colles fracture of the distal radius.",
        ),
        ("Nondisplaced scaphoid waist fracture.", "Scaphoid waist fracture."),
    ],
    "usabd": [
        (
            "Multiple mobile gallstones, largest {m}. Gallbladder wall thickened to 5 mm with pericholecystic fluid.",
            "Acute calculous cholecystitis.",
        ),
    ],
    "kidney": [
        (
            "Solid heterogeneous mass arising from the lower pole of the left kidney measuring {m} in this child, "
            "concerning for Wilms tumor.",
            "{m} left renal mass, concerning for Wilms tumor.",
        ),
        ("Moderate right hydronephrosis with a {m} obstructing stone at the UPJ.", "Obstructing right UPJ stone."),
    ],
    "thyroid": [
        (
            "Diffusely enlarged hypervascular thyroid (thyroid inferno), compatible with Graves disease.",
            "Findings compatible with Graves disease.",
        ),
        (
            "Solid hypoechoic nodule in the right lobe measuring {m} with microcalcifications (TI-RADS 5).",
            "{m} TI-RADS 5 right thyroid nodule; FNA recommended.",
        ),
    ],
    "dvt": [
        (
            "Noncompressible right popliteal vein with intraluminal echogenic thrombus. Baker cyst measuring {m}.",
            "Acute right popliteal DVT. Baker cyst.",
        ),
    ],
    "ugi": [
        (
            "Salmon-colored mucosa pattern above the gastroesophageal junction with a short peptic stricture, "
            "suspicious for Barrett esophagus. Small sliding hiatal hernia.",
            "Findings suspicious for Barrett esophagus; endoscopy recommended.",
        ),
    ],
}
INDICATIONS = [
    "Abdominal pain.",
    "Shortness of breath.",
    "Fall, evaluate for fracture.",
    "Headache, rule out hemorrhage.",
    "Follow-up of known Hodgkin lymphoma.",
    "Known Crohn disease with flare.",
    "Parkinson disease, new confusion.",
    "Low back pain radiating to the left leg for 12 months.",
    "Palpable neck mass.",
    "Leg swelling.",
    "Dysphagia.",
    "Trauma.",
]


_OTHERWISE = [
    "Otherwise unremarkable.",
    "No other significant abnormality.",
    "The remaining structures are unremarkable for age.",
]


def _measure(r: random.Random) -> str:
    if r.random() < 0.5:
        return f"{r.randrange(3, 90) / 10:.1f} cm"
    return f"{r.randrange(3, 30)} mm"


def _header(g: _Gen, t: _Text) -> None:
    """A header block sometimes pasted into the findings text by the RIS export."""
    style = g.r.randrange(3)
    if style == 0:
        t.add("Patient: ").pii(f"{g.last().upper()}, {g.first().upper()}", "PERSON").add("  MRN: ")
        t.pii(g.mrn(), "ID").add("\n")
    elif style == 1:
        t.add("Accession #: ").pii(g.accession(), "ID").add("  Exam date: ").pii(g.date(), "DATE").add(" ")
        t.pii(g.time(), "DATE").add("\n")
    else:
        t.add("Location: ").pii(g.hospital(), "HOSPITAL").add(", Encounter ").pii(g.encounter(), "ID").add("\n")
    t.add("\n")


def _signature(g: _Gen, t: _Text) -> None:
    style = g.r.randrange(5)
    t.add("\n\n")
    if style == 0:
        t.add("Dictated by: ").pii(g.person(), "PERSON").add(", MD")
    elif style == 1:
        t.add("Electronically signed by Dr. ").pii(g.person(), "PERSON").add(" on ").pii(g.date(), "DATE")
        t.add(" ").pii(g.time(), "DATE")
    elif style == 2:
        t.add("Resident: ").pii(g.person(), "PERSON").add(", MD\nAttending: ").pii(g.person(), "PERSON")
        t.add(", MD")
    elif style == 3:
        t.add("Attending: Dr. ").pii(g.last(), "PERSON").add(" (pager ").pii(g.phone(), "PHONE").add(")")
    else:
        name = g.person()
        t.add("Reviewed and signed by ").pii(name, "PERSON").add(", MD. Questions: ").pii(g.phone(), "PHONE")
        t.add(" or ").pii(g.email(name.replace(".", "")), "EMAIL")


def _communication(g: _Gen, t: _Text) -> None:
    style = g.r.randrange(4)
    if style == 0:
        t.add(" Findings discussed with Dr. ").pii(g.person(), "PERSON").add(" by telephone at ")
        t.pii(g.time(), "DATE").add(" on ").pii(g.date(), "DATE").add(".")
    elif style == 1:
        t.add(" Critical result communicated to ").pii(g.person(), "PERSON").add(", RN at ")
        t.pii(g.phone(), "PHONE").add(".")
    elif style == 2:
        t.add(" Report faxed to the referring office at fax ").pii(g.phone(), "PHONE").add(".")
    else:
        t.add(" Images available at ").pii(g.url(), "URL").add(".")


def _indication(g: _Gen) -> _Text:
    t = _Text()
    r = g.r.random()
    if r < 0.25:
        t.pii(g.old_age(), "AGE").add(" female. ")
    elif r < 0.45:
        t.add(f"{g.r.randrange(18, 89)}-year-old male. ")
    t.add(g.r.choice(INDICATIONS))
    r = g.r.random()
    if r < 0.12:
        t.add(" Transferred from ").pii(g.hospital(), "HOSPITAL").add(" in ").pii(g.city(), "LOCATION").add(".")
    elif r < 0.2:
        t.add(" Referred by Dr. ").pii(g.person(), "PERSON").add(", ").pii(g.hospital(), "HOSPITAL").add(".")
    elif r < 0.26:
        t.add(" Patient lives at ").pii(g.address(), "ADDRESS").add(", home phone ").pii(g.phone(), "PHONE")
        t.add(".")
    elif r < 0.3:
        t.add(" Contact daughter ").pii(g.person(), "PERSON").add(" at ").pii(g.phone(), "PHONE").add(".")
    elif r < 0.36:
        # Less formulaic phrasings (no trigger word right before the identifier).
        k = g.r.randrange(4)
        if k == 0:
            t.add(" Seen by ").pii(g.person(), "PERSON").add(" in clinic last week.")
        elif k == 1:
            t.add(" Case reviewed at tumor board with ").pii(f"{g.first()} {g.last()}", "PERSON").add(" and ")
            t.pii(f"{g.first()} {g.last()}", "PERSON").add(".")
        elif k == 2:
            d = g.day()
            t.add(" Symptoms began ").pii(f"{d.month}/{d.day}", "DATE").add(", worse since then.")
        else:
            t.add(" Wife ").pii(g.first(), "PERSON").add(" reports a fall at home, pt ID ").pii(g.mrn(), "ID").add(".")
    return t


def _comparison(g: _Gen, modality: str) -> _Text:
    t = _Text()
    r = g.r.random()
    if r < 0.35:
        t.add("None.")
    elif r < 0.7:
        t.add(f"Comparison: {modality} ").pii(g.date(), "DATE")
    elif r < 0.85:
        t.add(f"{modality} dated ").pii(g.date(), "DATE").add(" from ").pii(g.hospital(), "HOSPITAL").add(".")
    else:
        t.add("Prior study of ").pii(g.date(), "DATE").add(" (accession ").pii(g.accession(), "ID").add(").")
    return t


def _report(g: _Gen, row: int) -> tuple[dict[str, str], list[Span]]:
    code, desc, modality, region = g.r.choice(EXAMS)
    normal = g.r.random() < 0.35
    findings, impression = _Text(), _Text()
    if not normal and g.r.random() < 0.3:
        _header(g, findings)
    if normal:
        findings.add(NORMAL_FINDINGS[region])
        impression.add(NORMAL_IMPRESSIONS[region])
    else:
        k = g.r.randrange(1, 3)
        picks = g.r.sample(ABNORMAL[region], min(k, len(ABNORMAL[region])))
        fs, imps = [], []
        for f, i in picks:
            m = _measure(g.r)
            fs.append(f.format(m=m))
            imps.append(i.format(m=m))
        if g.r.random() < 0.06:
            findings.add(fs[0].split(".")[0] + ".")  # a terse dictation (filter drops < 10 words)
        else:
            findings.add(" ".join(fs) + " " + g.r.choice(_OTHERWISE))
            if g.r.random() < 0.35:
                _communication(g, findings)
        impression.add("\n".join(f"{n}. {s}" for n, s in enumerate(imps, 1)) if len(imps) > 1 else imps[0])
        if g.r.random() < 0.2:
            impression.add(" Recommend follow-up in 12 months.")
    if g.r.random() < (0.15 if normal else 0.7):
        _signature(g, findings)
    if g.r.random() < 0.03:
        impression = _Text()  # missing impression (filter drops it)
    cells = {"indication": _indication(g), "comparison": _comparison(g, modality)}
    cells["findings"], cells["impression"] = findings, impression
    row_out = {
        "accession_number": g.accession(),
        "mrn": g.mrn(),
        "exam_date": g.day().isoformat(),
        "exam_code": code,
        "exam_description": desc,
    }
    spans = []
    for col, t in cells.items():
        row_out[col] = t.text
        spans += [Span(row, col, s, e, typ) for s, e, typ in t.spans]
    return {c: row_out[c] for c in IMPRESSION_COLUMNS}, spans


def generate_reports(n: int, seed: int) -> tuple[list[dict[str, str]], list[Span]]:
    """`n` synthetic impression-task rows (CSV columns IMPRESSION_COLUMNS) and the gold identifier spans."""
    g = _Gen(seed)
    rows, spans = [], []
    for i in range(n):
        row, s = _report(g, i)
        rows.append(row)
        spans += s
    return rows, spans


# ---- protocol orders --------------------------------------------------------------------------
# label -> (weight, history phrases, ordering-note phrases specific to the label). An order's notes are one of
# its label's phrases, or (GENERIC_SHARE) a generic or a shared ambiguous note that only the clinical history
# resolves: the label depends on notes and history together, so both must reach the model, and the duplicate key
# and the split must look at both. Weights give a realistic majority class (CT head) for the constant baseline.
PROTOCOLS = {
    "CT Abdomen W Contrast": (
        1.0,
        ["Right lower quadrant pain.", "Abdominal pain, fever.", "Suspected abscess after surgery."],
        [
            "Evaluate for appendicitis or abscess; IV contrast ok, creatinine 0.8.",
            "Appendicitis protocol, IV contrast.",
        ],
    ),
    "CT Abdomen Pelvis WO Contrast": (
        1.0,
        ["Flank pain, hematuria.", "History of kidney stones.", "Renal colic."],
        ["Renal stone protocol, no contrast.", "Low-dose stone protocol."],
    ),
    "CT Head WO Contrast": (
        3.0,
        ["Fall on anticoagulation.", "Acute headache.", "Syncope with head strike.", "Altered mental status."],
        ["Rule out intracranial hemorrhage, noncontrast.", "Noncontrast head CT, stat."],
    ),
    "CTA Chest PE Protocol": (
        1.5,
        ["Pleuritic chest pain, tachycardia.", "Elevated D-dimer.", "Hypoxia after long flight."],
        ["Rule out pulmonary embolism, CTA timing for pulmonary arteries.", "PE protocol."],
    ),
    "CT Chest WO Contrast": (
        1.0,
        ["Pulmonary nodule follow-up.", "Chronic cough, former smoker.", "Interstitial lung disease follow-up."],
        ["Nodule follow-up per Fleischner, no contrast needed.", "Noncontrast chest CT."],
    ),
    "MRI Brain WO/W Contrast": (
        1.0,
        ["New seizure.", "Known glioma, follow-up.", "Breast cancer, new neurologic deficit."],
        ["Evaluate for mass or enhancement; gadolinium, eGFR > 60.", "Tumor protocol with gadolinium."],
    ),
    "MRI Brain WO Contrast": (
        1.0,
        ["Parkinson disease, cognitive decline.", "Dizziness.", "Memory loss."],
        ["Evaluate atrophy and small vessel disease; no gadolinium.", "Dementia protocol, no contrast."],
    ),
    "MRI Lumbar Spine WO Contrast": (
        1.0,
        ["Low back pain with left leg radiculopathy.", "L5 numbness.", "Sciatica for 8 weeks."],
        ["Evaluate disc herniation; no prior surgery, no contrast.", "Lumbar spine, routine noncontrast."],
    ),
    "MRI Knee WO Contrast": (
        1.0,
        ["Twisting injury, knee locking.", "Medial joint line pain.", "Knee instability after sports injury."],
        ["Evaluate meniscus and ACL; noncontrast.", "Internal derangement protocol."],
    ),
    "US Abdomen Complete": (
        1.0,
        ["Elevated LFTs.", "Right upper quadrant pain after meals.", "Jaundice."],
        ["Evaluate gallbladder and liver; fasting 6 hours.", "RUQ and liver survey."],
    ),
    "US Venous Doppler Lower Extremity": (
        1.0,
        ["Unilateral leg swelling.", "Calf pain after flight.", "Leg swelling on oral contraceptives."],
        ["Rule out DVT; possible Baker cyst.", "Lower extremity venous duplex."],
    ),
}
GENERIC_SHARE = 0.35
GENERIC_NOTES = ["Please protocol per radiologist.", "Evaluate, see history.", "Imaging as appropriate for history."]
# Ambiguous notes shared by several labels (the history decides which).
SHARED_NOTES = {
    "Rule out intracranial process.": ["CT Head WO Contrast", "MRI Brain WO/W Contrast", "MRI Brain WO Contrast"],
    "Evaluate abdominal pain.": ["CT Abdomen W Contrast", "CT Abdomen Pelvis WO Contrast", "US Abdomen Complete"],
    "Chest imaging please.": ["CTA Chest PE Protocol", "CT Chest WO Contrast"],
    "Evaluate pain, MRI.": ["MRI Lumbar Spine WO Contrast", "MRI Knee WO Contrast"],
}


def _order(g: _Gen, row: int) -> tuple[dict[str, str], list[Span]]:
    labels = sorted(PROTOCOLS)
    label = g.r.choices(labels, weights=[PROTOCOLS[x][0] for x in labels])[0]
    _, histories, notes = PROTOCOLS[label]
    hist, note = _Text(), _Text()
    if g.r.random() < 0.2:
        hist.pii(g.old_age(), "AGE").add(" male. ")
    elif g.r.random() < 0.3:
        hist.add(f"{g.r.randrange(18, 89)}-year-old {g.r.choice(['female', 'male'])}. ")
    hist.add(g.r.choice(histories))
    if g.r.random() < 0.3:
        hist.add(" Prior imaging ").pii(g.date(), "DATE").add(" at ").pii(g.hospital(), "HOSPITAL").add(".")
    if g.r.random() < GENERIC_SHARE:
        shared = sorted(n for n, ls in SHARED_NOTES.items() if label in ls)
        note.add(g.r.choice(shared + GENERIC_NOTES))
    else:
        note.add(g.r.choice(notes))
    r = g.r.random()
    if r < 0.4:
        note.add(" Ordering provider: Dr. ").pii(g.person(), "PERSON").add(", callback ").pii(g.phone(), "PHONE")
    elif r < 0.55:
        note.add(" Prior MRN ").pii(g.mrn(), "ID").add(". Encounter #").pii(g.encounter(), "ID")
    elif r < 0.65:
        note.add(" Send report to ").pii(g.email(), "EMAIL")
    elif r < 0.75:
        note.add(" Patient address on file: ").pii(g.address(), "ADDRESS")
    row_out = {
        "order_id": f"ORD{g.r.randrange(10**7, 10**8)}",
        "patient_mrn": g.mrn(),
        "order_date": g.day().isoformat(),
        "clinical_history": hist.text,
        "ordering_notes": note.text,
        "protocol_label": label,
    }
    spans = [Span(row, "clinical_history", s, e, t) for s, e, t in hist.spans]
    spans += [Span(row, "ordering_notes", s, e, t) for s, e, t in note.spans]
    return row_out, spans


def generate_protocol_orders(n: int, seed: int) -> tuple[list[dict[str, str]], list[Span]]:
    """`n` synthetic protocol-task rows (CSV columns PROTOCOL_COLUMNS) and the gold identifier spans."""
    g = _Gen(seed)
    rows, spans = [], []
    for i in range(n):
        row, s = _order(g, i)
        rows.append(row)
        spans += s
    return rows, spans


def write_csv(path: str | Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_gold(path: str | Path, spans: list[Span]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for s in spans:
            fh.write(json.dumps(asdict(s), sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.deid.corpora.synthetic", description=__doc__)
    ap.add_argument("--task", choices=["impression", "protocol"], required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--output", required=True)
    ap.add_argument("--gold", help="also write the gold identifier spans as JSONL")
    a = ap.parse_args(argv)
    if a.task == "impression":
        rows, spans = generate_reports(a.n, a.seed)
        write_csv(a.output, rows, IMPRESSION_COLUMNS)
    else:
        rows, spans = generate_protocol_orders(a.n, a.seed)
        write_csv(a.output, rows, PROTOCOL_COLUMNS)
    if a.gold:
        write_gold(a.gold, spans)


if __name__ == "__main__":
    run_main(main)

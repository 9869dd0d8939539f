"""Regex building blocks of the recognizers: month, weekday, day and clock fragments, name tokens and name
frames, roles, triggers and kinship words, states, cities, street types, facility endings, id labels and values
(pattern strings), and the compiled token and context regexes the other modules share."""

from __future__ import annotations

import re

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


_TOKEN = re.compile(r"(?:[^\W\d_][\u0300-\u036f]*)+(?:['’-](?:[^\W\d_][\u0300-\u036f]*)+)*")
_SENTENCE_END = re.compile(r"(?:^|[.!?:;\n•*>\]]|\d\.|\d\))\s*$")
_PARTICLES = frozenset(_PARTICLE[3:-1].split("|"))


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


STREET_TYPE_WIDE = (
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|way|court|ct|place|pl|parkway|pkwy|terrace|"
    r"tce|ter|circle|cir|circuit|cct|highway|hwy|square|sq|trail|trl|pike|row|crescent|cres|close|cl|mews|walk|"
    r"alley|loop|plaza|grove|gr|gardens|gdns|wynd|heights|hts|parade|pde|esplanade|esp|rise|vale|view|green|"
    r"cottages|park|gate|yard|quay|wharf|brae|loan|hill|broadway|run|path|crossing|point|ridge|commons|glen|dale|"
    r"meadow|meadows|avenida|rua|calle)"
)
_ADDR_END = r"(?=\s*(?:$|[,^|]|\s{2}|\t))"


_AGE_CONTEXT = re.compile(
    r"(?i:\b(?:dob|d\.o\.b\.?|born|date of birth|name|pt)\b|\d{2,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}\s*$)"
)
_FACILITY_FIRST = (
    r"(?:(?:University|General|Royal|District|Community|Regional|County|Teaching|Base|Private|Public|Memorial|"
    r"Children's|Women's|Mercy|Infirmary) )*(?:Hospital|Infirmary|Medical Cent(?:er|re)|Health Cent(?:er|re)|"
    r"Centre hospitalier|Centre Hospitalier|Hôpital|Ospedale|Klinikum|Polyclinic)"
)


_FACILITY_TYPE = re.compile(rf"{_FACILITY_FIRST}(?: (?:de|du|de la|of|of the))? ")


# A header field's value: up to four capitalised words (or capitals), "of"/"the" between them ("Duke of Kent Ward").
_FIELD_WORD = rf"(?:[{UP}][{LO}'’-]+|[{UP}]{{2,}}[{UP}'’-]*)"
_FIELD_VALUE = rf"{_FIELD_WORD}(?: (?:of |the |de |of the )?{_FIELD_WORD}){{0,3}}"

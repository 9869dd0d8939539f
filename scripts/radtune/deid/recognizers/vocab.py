"""Word lists of the recognizers (lower case, one word each) and `fold`, the key of every word lookup: clinical,
department, record and report words, eponym nouns, ward and facility words, and the words never part of a name.
A hospital adds its own vocabulary here."""

from __future__ import annotations

import re
import unicodedata

from radtune.deid.recognizers.patterns import _MON_WORDS, _MONTHS, _RELATION, WEEKDAYS


def fold(word: str) -> str:
    """Lower case without accents: the key of every word lookup ("Müller" -> "muller")."""
    w = unicodedata.normalize("NFKD", word)
    return "".join(c for c in w if not unicodedata.combining(c)).lower().replace("’", "'")


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


# Dotted capitals that are abbreviations, not someone's initials.
DOTTED_NOT_NAMES = frozenset(
    "us uk eu am pm md do rn np pa po er or iv im sc ct mri bp hr rr qd bid tid qid prn npo dc ap ed icu "
    "cc ie eg vs".split()
)


_SHORT_NOT_NAMES = frozenset(
    "in on at to of or an as is it no so be by do go he if me my up we us am pm mr ms dr ok vs re ie eg".split()
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


_CLINICAL_ACRONYMS = frozenset("ap pa ct mr us xr cxr lat ll rl lr iv im po".split())


# Field values that name a kind of place, not a place: "Ward: ED", "Source: GP", "Location: Day Surgery Unit".
_FIELD_NOT_WARD = frozenset(
    """
    outpatient outpatients inpatient inpatients outpt inpt opd gp self community private public referral emergency
    clinic home theatre theatres recovery resus resuscitation majors minors department dept none unknown other n/a na
    same main room bay bed side x-ray xray ultrasound mri ct nuclear fluoroscopy mammography ward unit wards
    """.split()
)


# Words the spaCy model is never trusted on (besides the allow-list): credentials, section headers, units.
NER_STOPWORDS = {
    "md", "do", "rn", "np", "pa", "phd", "mbbs", "facr", "dr", "impression", "findings", "indication", "comparison",
    "technique", "history", "exam", "none", "contrast", "iv", "oral", "cm", "mm", "ml", "mg", "hu", "left", "right",
    "bilateral", "mild", "moderate", "severe", "normal", "stable", "unremarkable", "ct", "mri", "mr", "us", "xr",
    "cr", "pet", "doppler", "flair", "dwi", "adc", "gre", "swi", "stir", "t1", "t2", "rul", "rml", "rll", "lul",
    "lll", "acl", "pcl", "mcl", "lcl", "tirads", "ti-rads", "bi-rads", "birads", "dvt", "pe", "upj", "ivc", "svc",
}  # fmt: skip


# Words never part of a person's name: clinical, department, calendar, title, credential, kinship and record words.
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
# Record labels and exam words that are never a lower-case or dictated name.
_ID_WORDS = frozenset("mrn dob acc ssn fin csn id ct mri pet cxr".split())


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
# Month and weekday words and their abbreviations.
_CALENDAR = frozenset(fold(m) for m in _MONTHS + WEEKDAYS) | frozenset(
    w.lower() for w in _MON_WORDS + ["Sept", "Tues", "Thurs"]
)

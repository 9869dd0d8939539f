"""Held-out de-identification corpus (corpus B): seeded radiology reports with planted identifiers and gold spans.

NEVER TUNE THE RECOGNIZERS AGAINST THIS CORPUS. radtune.deid.engine / radtune.deid.recognizers are developed against
radtune.deid.corpora.synthetic (corpus A); this module is an independent generator (own name lists written by hand,
own sentence
frames, own seed, no Faker, no shared vocabulary with radtune.deid.corpora.synthetic) so that its recall, survival and
over-redaction figures stay an honest out-of-distribution estimate. Do not print its missed strings into
recognizer work, do not add its frames or names to tests of the recognizers, do not copy its strings into the
allow-list. If it is ever used for tuning, it stops being held out: write a new one.

    texts, gold = generate_heldout(600, seed=HELDOUT_SEED)   # gold[i]: GoldSpan(start, end, kind) in texts[i]

Kinds: PERSON, DATE (dates, times, date-times), ID (record/accession/encounter numbers, SSN, accounts, plan
members, licences, DEA/NPI, device serials, IP addresses, DICOM UIDs), PHONE (phone, fax, pager, extension),
EMAIL, URL, ADDRESS (street line; state + ZIP), LOCATION (city), HOSPITAL (any outside facility), AGE (over 89
only; younger ages appear as non-identifier text). Deterministic per seed: one random.Random, no set or hash order.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

HELDOUT_SEED = (
    480_317  # different from every seed used with radtune.deid.corpora.synthetic; change only with a new corpus version
)
KINDS = ("PERSON", "DATE", "ID", "PHONE", "EMAIL", "URL", "ADDRESS", "LOCATION", "HOSPITAL", "AGE")


class GoldSpan(NamedTuple):
    """One planted identifier: characters [start, end) of its text."""

    start: int
    end: int
    kind: str


Part = tuple[str, str | None]  # (text, kind) — kind None: not an identifier


def _names(block: str) -> list[str]:
    return [n.strip() for n in block.replace("\n", " ").split(",") if n.strip()]


# ---- person names, written by hand, grouped by origin (no Faker, no radtune.deid.corpora.synthetic lists)
# ----------------------
GIVEN = _names("""
Aarav, Priyanka, Rohan, Ananya, Vikram, Lakshmi, Sanjay, Deepika, Arjun, Meenakshi, Harpreet, Gurpreet, Rajesh,
Sunita, Kavya, Nikhil, Shreya, Venkatesh, Anjali, Farhan, Tahmina, Imran, Nusrat, Dilshan, Tharindu, Sandeep,
Pooja, Aditi, Karthik, Bhavna,
Chidi, Ngozi, Oluwaseun, Adebayo, Folake, Kwame, Ama, Kofi, Abena, Yaw, Efua, Chiamaka, Emeka, Obinna, Adaeze,
Babajide, Temitope, Aminata, Mamadou, Fatoumata, Ousmane, Moussa, Awa, Ibrahima, Kadiatou,
Wanjiru, Kamau, Otieno, Achieng, Makena, Baraka, Tesfaye, Selam, Abebe, Yonas, Hiwot, Mulugeta, Amani, Zawadi,
Juma, Nyambura, Faraji,
Wei, Xiaoming, Jing, Mei-Ling, Zhiwei, Yuxuan, Hao, Lihua, Qiang, Shu-fen, Chun-Hui, Ka-Wai, Siu-Ming,
Haruto, Yui, Sota, Aoi, Hiroshi, Keiko, Takeshi, Yumiko, Kenji, Sakura, Daisuke, Naoko, Ryota, Shinji, Akiko,
Min-jun, Seo-yeon, Ji-hoon, Soo-jin, Hyun-woo, Ji-woo, Eun-ji, Dong-hyun, Sung-min, Hye-jin, Jae-won,
Thanh, Minh, Huong, Linh, Tuan, Phuong, Duc, Quang, Khanh, Trung, Ngoc Anh, Thi Mai, Van Long, Bao,
Maricel, Jericho, Rowena, Arnel, Marites, Rizaldy, Jolina, Divina, Ferdinand, Rodel, Cherry Mae, Mark Anthony,
Jürgen, Wolfgang, Annegret, Sabine, Klaus, Heike, Lukas, Friederike, Matthias, Ingrid, Sigrid, Bjørn, Lars,
Astrid, Solveig, Henrik, Eero, Aino, Sven, Kristín, Gunnar, Anders, Helga, Torsten, Ulrike, Dagny, Nils, Linnea,
Pekka, Jouni,
Aleksandr, Svetlana, Dmitri, Olga, Katarzyna, Łukasz, Piotr, Agnieszka, Jelena, Dragan, Bogdan, Oksana, Taras,
Vesna, Zdeněk, Miroslav, Irina, Yevgeny, Nadezhda, Wojciech, Małgorzata, Radoslav, Snežana,
Mohammed, Ahmad, Fatima, Aisha, Omar, Khalid, Layla, Yousef, Mariam, Hassan, Noor, Tariq, Rania, Samir, Huda,
Bilal, Salma, Abdulrahman, Abdullah, Zainab, Karim, Nadia, Walid, Jamila, Faisal, Hind,
Mehmet, Ayşe, Emre, Elif, Burak, Zeynep, Mustafa, Fatma, Cem, Deniz, Gökhan, Selin, Oğuz, Hülya, Kerem, Ebru,
Dariush, Shirin, Reza, Parisa, Farzaneh, Kourosh, Mahsa, Arash, Nasrin, Babak, Golnar, Omid, Roya, Behnam,
Ladan, Kaveh,
José, María José, Juan Carlos, Guadalupe, Xiomara, Yesenia, Alejandro, Lucía, Rodrigo, Ximena, Joaquim,
Conceição, João, Thiago, Graça, Inês, Gonçalo, Leticia, Maite, Itziar, Iñaki, Nahuel, Araceli, Fernanda,
Dolores, Catalina, Ramón,
Georgios, Eleni, Dimitrios, Konstantina, Panagiotis, Sofia, Nikolaos, Vasiliki, Ioannis, Athanasia, Christos,
Evangelia, Spyridon, Paraskevi,
Siobhán, Niamh, Aoife, Caoimhe, Saoirse, Ciarán, Oisín, Pádraig, Eoin, Sinéad, Declan, Róisín, Cormac,
Fionnuala, Darragh, Gráinne, Seamus,
Avraham, Shoshana, Yitzhak, Rivka, Moshe, Tova, Eliezer, Chaya, Menachem, Yael, Noam, Ilana, Baruch, Devorah,
Shmuel, Asher, Tzipora,
Sione, Losana, Tevita, Mele, Ofa, Manaia, Kalani, Leilani, Keanu, Tamati, Aroha, Hemi, Wiremu, Nalani, Iosefa,
Mahina,
Grace, Hope, June, Will, Mark, Rose, Dawn, Frank, Joy, Faith, Sterling, Summer, Guy, Bill, Art, April
""")

FAMILY = _names("""
Venkataraman, Subramaniam, Chakraborty, Bhattacharya, Iyer, Nair, Reddy, Krishnamurthy, Banerjee, Mukherjee,
Sandhu, Dhillon, Grewal, Chaudhry, Qureshi, Siddiqui, Rahman, Hossain, Chowdhury, Perera, Jayasuriya,
Wickramasinghe, Pillai, Menon, Deshpande, Kulkarni, Thakur, Agarwal,
Okonkwo, Adeyemi, Okafor, Nwosu, Eze, Oyelaran, Babatunde, Mensah, Asante, Boateng, Owusu, Osei, Agyeman, Diallo,
Traoré, Keita, Coulibaly, Ndiaye, Sow, Camara, Bangura, Kamara, Sesay, Olawale, Ogunleye, Afolabi,
Mwangi, Kariuki, Odhiambo, Wambugu, Njoroge, Kiprop, Chebet, Haile, Gebremedhin, Tadesse, Bekele, Wolde, Alemu,
Abdi, Warsame, Mugisha, Nakato, Ssemwanga, Nyirenda,
Zhang, Wang, Li, Liu, Chen, Huang, Zhou, Xu, Sun, Zhu, Guo, Lin, He, Gao, Luo, Zheng, Liang, Xie, Tang, Feng,
Deng, Cao, Yuan, Lau, Chan, Wong, Cheung, Leung, Ng, Tsang, Yip, Kwok, Tsai, Hsu, Chiu,
Takahashi, Watanabe, Yamamoto, Nakamura, Kobayashi, Yoshida, Yamaguchi, Matsumoto, Inoue, Kimura, Hayashi,
Shimizu, Yamazaki, Mori, Ikeda, Hashimoto, Ishikawa, Ogawa, Fujita, Okada,
Kim, Park, Choi, Jung, Kang, Cho, Yoon, Jang, Lim, Han, Oh, Seo, Shin, Kwon, Hwang, Ahn, Song, Yoo, Hong, Baek,
Nguyen, Tran, Le, Pham, Hoang, Phan, Vu, Vo, Dang, Bui, Do, Ho, Ngo, Duong, Ly, Truong, Dinh, Huynh,
Dela Cruz, Bautista, Villanueva, Mendoza, Macaraeg, Dimaculangan, Manalo, Pangilinan, Soriano, Magbanua,
Tolentino, Dizon, Agbayani, Lacson, Ocampo,
Müller, Schneider, Fischer, Weber, Hoffmann, Schäfer, Becker, Wagner, Schulz, Zimmermann, Krüger, Hartmann,
Lindqvist, Johansson, Andersson, Nyström, Bergström, Halvorsen, Haugen, Solberg, Sigurðsson, Jónsdóttir,
Virtanen, Mäkinen, Korhonen, Lehtonen, Rasmussen, Kristensen, Pedersen, Vogel, Eichhorn, Brandt, Kessler,
Lindgren, Åberg, von Falkenhausen, zu Solms,
van der Berg, van den Broek, van Dijk, de Vries, de Jong, ter Horst, van Leeuwen, Vermeulen, Bakker, Visser,
Janssen, de Groot,
Kowalski, Wiśniewski, Nowak, Wójcik, Kowalczyk, Zieliński, Szymańska, Ivanov, Petrova, Smirnov, Kuznetsova,
Popović, Jovanović, Petrović, Nikolić, Horvat, Novák, Dvořák, Procházka, Shevchenko, Bondarenko, Kovalenko,
Tkachenko, Babić, Marković, Sokolov, Volkova, Lebedev, Grabowski, Zając,
Al-Sayed, Al-Rashid, Haddad, Khoury, Nasser, Abdel-Rahman, El-Masri, Mansour, Saleh, Hamdan, Aziz, Farouk,
Hijazi, Jaber, Qasim, Shaheen, Zahran, bin Rashid, bin Salman, Abu-Ghazaleh, Al Zahrani, El Amrani, Benali,
Bouzid, Belkacem,
Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Yıldırım, Öztürk, Aydın, Özdemir, Arslan, Doğan, Kılıç, Aslan,
Çetin, Kara, Koç, Kurt, Özkan, Şimşek,
Hosseini, Mohammadi, Rezaei, Karimi, Moradi, Jafari, Ahmadi, Tehrani, Esfahani, Shirazi, Farahani, Ghorbani,
Sadeghi, Rostami, Navabi, Amini, Bahrami, Kazemi,
Hernández, Ramírez, Castillo, Jiménez, Vásquez, de la Cruz, de la Fuente, del Río, dos Santos, da Silva,
Gonçalves, Carvalho, Rodrigues, Ferreira, Pereira, Sousa, Azevedo, Cavalcanti, Quispe, Mamani, Huamán,
Etxeberria, Urrutia, Zapata, Villalobos, Echeverría, Montoya, Ochoa, Sepúlveda, Benítez,
Papadopoulos, Papadakis, Georgiou, Konstantinidis, Nikolaidis, Vlachos, Antonopoulou, Karamanlis, Oikonomou,
Christodoulou, Makris, Pappas, Stavropoulos, Theodorou, Alexiou, Kyriakidou,
O'Sullivan, O'Brien, O'Connor, O'Neill, Ó Briain, Mac Giolla Phádraig, McCarthy, McGillicuddy, MacNamara,
Fitzgerald, Gallagher, Doherty, Kavanagh, Ní Bhriain, Ó Súilleabháin, Donnelly, Byrne, Flanagan, Quigley, Lynch,
Goldberg, Rosenbaum, Katz, Cohen, Levi, Friedman, Schwartz, Horowitz, Weinstein, Feldman, Ben-David, Ben-Ami,
Eisenberg, Lefkowitz, Mizrahi, Abramovich, Zilberman, Rabinowitz, Adler, Kaplan, Finkelstein, Shapiro,
Taufa, Havili, Fifita, Tupou, Faleolo, Tuilagi, Sapolu, Kealoha, Kahananui, Akana, Mahoe, Ngata, Te Whare,
Parata, Tamihana, Fonoti, Leiataua, Aumua, Vaifale,
Baker, Graves, Hunter, Fleming, Parker, Mason, Walker, Young, Bishop, Marsh, Hill, Stone, Banks, Fields, Sharp,
Swift, Cross, Best, Little, Moody, Price, Long, Gentry, Frost, Snow, Winter, Church
""")


_ONSET = "b d f g h k l m n p r s t v z br dr kr tr sh th ch kw zh y w j ny gh".split()
_VOWEL = "a e i o u ai ei ou ia ua ae eo".split()
_CODA = ["", "", "", "n", "r", "l", "m", "s", "k", "th", "nd", "rn", "sh", "x"]
_FAM_END = ["", "", "", "son", "sen", "ova", "ovic", "escu", "ian", "ides", "oglu", "ski", "ez", "ani", "akis"]
_FAM_END += ["berg", "ström", "ayo", "ini", "wala", "ell", "ashvili", "enko", "uddin", "opoulos", "oye", "ita"]

# ---- places ----------------------------------------------------------------------------------------------------
CITIES = _names("""
Tucson, Duluth, Fresno, Bakersfield, Schenectady, Kalamazoo, Poughkeepsie, Scranton, Chattanooga, Tallahassee,
Boise, Spokane, Albuquerque, El Paso, Laredo, Yonkers, Worcester, Brockton, Fort Wayne, San Antonio, Sioux Falls,
Cedar Rapids, Wichita, Tulsa, Lubbock, Akron, Dayton, Youngstown, Allentown, New Haven, Pawtucket, Bangor,
Burlington, Missoula, Billings, Cheyenne, Reno, Modesto, Stockton, Oxnard, Hilo, Kailua-Kona, Anchorage,
Fairbanks, Juneau, Savannah, Macon, Gainesville, Pensacola, Biloxi, Shreveport, Baton Rouge, Lafayette,
Lagos, Accra, Kumasi, Ibadan, Dakar, Freetown, Nairobi, Mombasa, Addis Ababa, Kampala, Mumbai, Chennai,
Hyderabad, Kolkata, Karachi, Lahore, Dhaka, Colombo, Hanoi, Da Nang, Ho Chi Minh City, Busan, Daegu, Osaka,
Sapporo, Manila, Cebu, Davao, Guangzhou, Chengdu, Kaohsiung, Tehran, Shiraz, Isfahan, Izmir, Ankara, Beirut,
Amman, Casablanca, Kraków, Gdańsk, Wrocław, Novosibirsk, Lviv, Kharkiv, Brno, Zagreb, Thessaloniki, Patras,
Cork, Galway, Limerick, Bergen, Tromsø, Tampere, Aarhus, Gothenburg, Stuttgart, Leipzig, Rotterdam, Utrecht,
Guadalajara, Oaxaca, Monterrey, Medellín, Cali, Recife, Fortaleza, Porto, Coimbra, Valparaíso, Nuku'alofa, Apia,
Rotorua
""")
STATES = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND"
STATES = (STATES + " OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY").split()
STREET_NAMES = _names("""
Harbor, Maple, Cedar Crest, Old Mill, Kamehameha, Calle Ocho, Willow Bend, Quarry Hill, Riverside, Ashgrove,
Lakeview, Orchard, Juniper, Sycamore, Birchwood, Ridgeway, Magnolia, Saint Anne, Martin Luther King Jr., Pioneer,
Tamarack, Foxhollow, Laurel Canyon, Copperfield, Alder, Chestnut Hill, Wexford, Kingsbury, Prairie Rose,
Sandpiper, Tanglewood, Whitehall, Belmont, Granite, Larkspur, Beacon, Mariner, Cobblestone, Hawthorne, Elmira
""")
STREET_TYPES = _names("St, St., Street, Ave, Ave., Avenue, Blvd, Boulevard, Rd, Road, Dr, Drive, Ln, Lane, Way, Ct")
STREET_TYPES += _names("Court, Pkwy, Terrace, Pl, Place, Circle, Hwy, Trail")
FAC_PLACE = _names("""
Bayside, Riverbend, Northgate, Lakeshore, Summit, Cedar Grove, Pinecrest, Mercy, St. Agnes, St. Luke's,
Good Samaritan, Holy Cross, Our Lady of Lourdes, Mount Carmel, Al-Noor, Shalom, Eastgate, Westbrook, Highland Park,
Harborview, Silver Lake, Meadowbrook, Red Rock, Three Rivers, Blue Ridge, Sunset Valley, Prairie View, Clearwater,
Oak Hollow, Stonebridge, Kapaa Valley, Golden Plains, Evergreen, Fairhaven, Crescent City, Brightwater, Willowdale,
Saint Brigid's, San Rafael, Santa Teresa
""")
FAC_TYPE = _names("""
Hospital, Medical Center, Regional Medical Center, Community Hospital, Memorial Hospital, Imaging Center,
Radiology Associates, Orthopedic Associates, Family Practice, Internal Medicine Group, Urgent Care, Clinic,
Health Clinic, Cancer Institute, Dialysis Center, Rehabilitation Hospital, Skilled Nursing Facility,
Surgical Center, Women's Health, Cardiology Partners, Diagnostic Imaging, Pediatrics, Medical Group,
Health System, Open MRI, Vein & Vascular, Spine Institute, Pulmonary Associates, Sleep Center, Wound Care Center
""")
FAC_PREFIX = _names("Clínica, Centro Médico, Hôpital, Klinikum, Policlinico, Hospital São, Ziekenhuis")
EMAIL_DOMAINS = _names("""
northbay-health.org, riverbend.org, mail.hosp.edu, gmail.com, yahoo.com, outlook.com, summitrad.com,
lakeshore-ortho.net, mercyhealth.net, uhs.edu, clinic-sanrafael.mx, protonmail.com, icloud.com, health.gov.au
""")
URL_HOSTS = _names("""
pacs.stmarys-health.org, portal.riverbend-imaging.org, www.summitradiology.com, mychart.northgate.health,
viewer.lakeshoreortho.net, imaging.mercyhealth.net, share.bayside-hospital.org, www.cedargrovefp.com,
pacs01.harborview.local, results.redrockdx.com
""")

# ---- clean, identifier-free text: eponyms, anatomy, devices, capitalised headers, numbers -------------------
EXAMS = _names("""
XR CHEST 2 VIEWS, XR CHEST PORTABLE AP, CT CHEST WITH CONTRAST, CT CHEST WITHOUT CONTRAST, CTA CHEST PE PROTOCOL,
CT ABDOMEN AND PELVIS WITH IV CONTRAST, CT HEAD WITHOUT CONTRAST, CT CERVICAL SPINE WITHOUT CONTRAST,
MRI BRAIN WITH AND WITHOUT GADOLINIUM, MRI LUMBAR SPINE WITHOUT CONTRAST, MRI KNEE RIGHT WITHOUT CONTRAST,
MRI LIVER MULTIPHASIC, US ABDOMEN COMPLETE, US PELVIS TRANSVAGINAL, US THYROID, US LOWER EXTREMITY VENOUS DUPLEX LEFT,
US RENAL BILATERAL, XR KNEE 3 VIEWS LEFT, XR HIP AND PELVIS, MRI SHOULDER LEFT WITHOUT CONTRAST
""")
INDICATION_CLEAN = [
    "{young} with shortness of breath and pleuritic chest pain.",
    "{young} with fever, cough and leukocytosis; evaluate for pneumonia.",
    "Fall with head strike; on apixaban.",
    "Right lower quadrant pain, elevated WBC. Evaluate for appendicitis.",
    "{young} with Graves disease and new neck mass.",
    "Known Crohn disease with abdominal pain and diarrhea.",
    "Parkinson disease, recurrent falls, rule out fracture.",
    "Hodgkin lymphoma, restaging after cycle 4.",
    "Post Whipple procedure, rising bilirubin.",
    "Swelling behind the knee; question Baker cyst.",
    "Chronic low back pain radiating to the left leg, failed conservative therapy.",
    "Status post Nissen fundoplication, dysphagia.",
    "Line placement; confirm Swan-Ganz catheter position.",
    "Acute onset left-sided weakness. Code stroke.",
    "Palpable thyroid nodule, TSH normal.",
    "Hematuria. History of Wilms tumor in childhood.",
    "Known Marfan syndrome, aortic root surveillance.",
    "Pelvic pain, positive pregnancy test.",
    "Follow-up of 6 mm pulmonary nodule per Fleischner guidelines.",
    "Sudden worst headache of life.",
    "Shoulder instability after dislocation; evaluate for Bankart or Hill-Sachs lesion.",
    "Cirrhosis, screening for hepatocellular carcinoma (LI-RADS).",
    "Unilateral leg swelling and calf tenderness; Wells score 3.",
    "May have aspirated; new oxygen requirement.",
    "Mass effect on prior CT, follow-up.",
    "Will need clearance before surgery; preoperative chest radiograph.",
    "Grace period for imaging expired; repeat study requested by the tumor board.",
]
TECHNIQUE_CLEAN = [
    "Frontal and lateral views of the chest.",
    "Single portable AP view of the chest at {hour} degrees semi-upright.",
    "Axial images from the thoracic inlet through the adrenals after {ml} mL Omnipaque 350 IV.",
    "Contiguous axial images of the head without contrast; coronal and sagittal reformats.",
    "Multiplanar multisequence MRI including DWI, SWI, FLAIR and post-gadolinium T1 (Gadavist {ml2} mL).",
    "Sagittal T1, T2 and STIR and axial T2 images of the lumbar spine on a 1.5 T magnet.",
    "Grayscale and color Doppler images with spectral analysis.",
    "Transabdominal and transvaginal imaging was performed.",
    "CTDIvol {dose} mGy; DLP {dlp} mGy-cm. Automated exposure control was used.",
    "Arterial, portal venous and 3-minute delayed phases after Eovist.",
    "Compression ultrasound with Valsalva and augmentation from the common femoral to the popliteal vein.",
]
COMPARISON_CLEAN = [
    "None.",
    "None available.",
    "Radiograph from yesterday.",
    "Prior CT 3 days earlier.",
    "Outside images are not available for comparison.",
    "Chest radiograph from earlier the same day.",
    "MRI 2 years ago (report only).",
]
FINDINGS_CLEAN = [
    "Lungs are clear. No pleural effusion or pneumothorax.",
    "Heart size is normal. Mediastinal contours are unremarkable.",
    "Kerley B lines and peribronchial cuffing, consistent with interstitial edema.",
    "Wedge-shaped peripheral opacity in the right lower lobe (Hampton hump).",
    "Swan-Ganz catheter tip in the right interlobar pulmonary artery; recommend withdrawal by {cm} cm.",
    "Right IJ central venous catheter tip at the cavoatrial junction.",
    "Enteric tube (Dobhoff) courses below the diaphragm with tip in the gastric body.",
    "Foley catheter balloon in the urinary bladder.",
    "Left chest Port-a-Cath with catheter tip in the SVC.",
    "Hickman catheter tip in the right atrium.",
    "Morgagni hernia containing omental fat in the right cardiophrenic angle.",
    "Small Bochdalek hernia on the left, unchanged.",
    "Schatzki ring at the gastroesophageal junction.",
    "Zenker diverticulum measuring {cm} cm.",
    "Chiari I malformation with cerebellar tonsils {mm} mm below the foramen magnum.",
    "Prominent Virchow-Robin spaces in the basal ganglia.",
    "Sylvian fissures and basal cisterns are patent.",
    "Mass effect with {mm} mm of rightward midline shift.",
    "Mass effect on the fourth ventricle without hydrocephalus.",
    "May represent atelectasis; infection not excluded.",
    "May reflect postoperative change.",
    "Will follow on subsequent imaging.",
    "Non-Hodgkin lymphoma with bulky mesenteric adenopathy, the largest node {cm} x {cm} cm.",
    "Thyroid gland is enlarged and heterogeneous, compatible with Hashimoto thyroiditis or Graves disease.",
    "TI-RADS 4 nodule in the right lobe measuring {mm} mm.",
    "Baker cyst measuring {cm} x {cm} cm with internal debris.",
    "Hoffa fat pad edema. Osgood-Schlatter changes of the tibial tubercle.",
    "Segond fracture of the lateral tibial plateau.",
    "Pellegrini-Stieda ossification along the medial collateral ligament.",
    "Bankart lesion of the anteroinferior labrum and a Hill-Sachs deformity.",
    "Jones fracture of the fifth metatarsal base.",
    "Lisfranc ligament disruption with widening of the first intercuneiform space.",
    "Schmorl node at the L2 superior endplate. Modic type 1 changes at L4-L5.",
    "Tarlov cyst at S2, incidental.",
    "Broad-based disc bulge at {level} with mild bilateral neural foraminal narrowing.",
    "Conus medullaris terminates at L1.",
    "Paget disease of the right hemipelvis.",
    "Codman triangle along the distal femoral metaphysis.",
    "Bosniak IIF cyst in the lower pole of the left kidney, {cm} cm.",
    "Liver has a nodular contour. Couinaud segment 7 observation, LI-RADS 3, measuring {mm} mm.",
    "Fluid in Morison pouch and the pouch of Douglas.",
    "Gallbladder is distended with a positive sonographic Murphy sign.",
    "Appendix is dilated to {mm} mm with periappendiceal fat stranding near McBurney point.",
    "Meckel diverticulum is not identified.",
    "Roux-en-Y gastric bypass anatomy without internal hernia.",
    "Hartmann pouch is intact.",
    "Budd-Chiari physiology is not seen; hepatic veins are patent.",
    "Greenfield filter in the infrarenal IVC.",
    "Watchman device in the left atrial appendage.",
    "Harrington rods spanning T4 to L2 without hardware fracture.",
    "Gamma nail fixation of the left intertrochanteric fracture.",
    "Kirschner wires traverse the distal radius (Colles fracture).",
    "Normal flow in the circle of Willis. No aneurysm.",
    "Vein of Galen and the straight sinus are patent.",
    "Parkinson disease: no structural abnormality of the substantia nigra on SWI.",
    "Wernicke area cortex is preserved.",
    "Pancoast tumor of the left apex invading the first rib.",
    "Pleurx catheter in the right pleural space; small residual effusion.",
    "Valsalva maneuver shows no varicocele.",
    "Hounsfield units of {dose} in the adrenal nodule, consistent with lipid-poor adenoma.",
    "No drainable fluid collection. Bones are intact.",
    "Degenerative change of the acromioclavicular joint. Supraspinatus tendinosis.",
    "Fluid signal in Guyon canal; ulnar nerve is normal.",
    "Endometrial stripe measures {mm} mm. Ovaries are normal.",
    "Left common femoral, femoral and popliteal veins are compressible; no DVT.",
    "Kidneys measure {cm} cm on the right and {cm} cm on the left without hydronephrosis.",
    "Mild bibasilar atelectasis (series {series}, image {image}).",
    "{mm} mm nodule in the right upper lobe (image {series}/{image2}).",
    "Trace pericardial effusion. Ejection fraction {pct}%.",
    "NASCET 50-69% stenosis of the right internal carotid artery.",
    "Gleason 3+4 disease at biopsy; PI-RADS 4 lesion in the left peripheral zone, {mm} mm.",
    "Aspects score of 9. Hyperdense MCA sign on the left.",
    "{young} anatomy: no congenital abnormality.",
]
IMPRESSION_CLEAN = [
    "No acute cardiopulmonary process.",
    "Findings compatible with pulmonary embolism; right heart strain absent.",
    "Acute uncomplicated appendicitis.",
    "No acute intracranial hemorrhage, mass effect or territorial infarct.",
    "Stable {mm} mm right upper lobe nodule; no further follow-up per Fleischner Society.",
    "Baker cyst, partially ruptured.",
    "Swan-Ganz catheter should be withdrawn approximately {cm} cm.",
    "Bankart and Hill-Sachs lesions as above.",
    "Morgagni hernia, incidental.",
    "BI-RADS 2: benign.",
    "LI-RADS 4 observation in segment 8; multidisciplinary review recommended.",
    "No deep venous thrombosis in the left lower extremity.",
    "Multilevel degenerative disc disease, most pronounced at {level}.",
    "Mild interstitial edema.",
    "May represent early pneumonia in the appropriate clinical setting.",
    "Recommend follow-up CT in {months} months.",
]
HEADERS_CLEAN = [
    "RADIOLOGY REPORT",
    "FINAL REPORT",
    "PRELIMINARY REPORT - NOT FOR CLINICAL USE UNTIL FINALIZED",
    "Department of Diagnostic Radiology",
    "Sex: F",
    "Sex: M",
    "Priority: STAT",
    "Priority: Routine",
    "Patient class: Inpatient",
    "Patient class: Emergency",
    "Modality: CT",
    "Exam status: Final",
]
FOOTERS_CLEAN = [
    "This report was dictated using voice recognition software; minor errors may be present.",
    "Critical results policy followed.",
    "ADDENDUM: No change to the impression.",
    "I have personally reviewed the images and agree with the resident's interpretation.",
    "Attestation: the attending physician was present for the entire procedure.",
    "END OF REPORT",
]
RELATIONS = ["daughter", "son", "wife", "husband", "niece", "nephew", "granddaughter", "grandson", "sister"]
ROLES = ["RN", "NP", "PA-C", "MD", "DO", "RT(R)", "RT(R)(CT)", "RDMS", "LPN", "CRNA", "MBBS"]

# ---- frames with identifiers: {slot} is filled by _Gen.<slot>() -------------------------------------------------
HEADER_FRAMES = [
    "Patient: {inv}",
    "PATIENT NAME: {INV}",
    "Name: {name}    DOB: {date}    Sex: F",
    "{inv}   MRN: {mrn}   DOB: {date}",
    "{INV}  {l_mrn}  {l_acc}",
    "Pt Name: {name}   {l_mrn}",
    "{l_mrn}   {l_acc}",
    "{l_enc}    {l_acct}",
    "{l_plan}",
    "{l_ssn}",
    "DOB: {date} (age {oldn})",
    "Age/Sex: {oldn}/F",
    "Exam date: {dt}",
    "Date of service: {mdate}",
    "Study date/time: {iso}",
    "Study date: {compact}",
    "Ordering physician: {doctor}",
    "Referring: Dr. {sur} ({fac})",
    "Ordered by {name}, {role} on {date} at {time}",
    "Location: {fac}, Radiology",
    "{fac}  |  {addr}, {cityline}",
    "Attending: {name}, MD   Pager: {pager}",
    "PCP: {inv}  Phone: {phone}",
    "Emergency contact: {name} ({rel}) {phone}",
    "Address: {addr}, {cityline}",
    "Study Instance UID: {uid}",
    "Acquired on {ip} ({fac})",
    "{hl7}",
]
HISTORY_FRAMES = [
    "{oldp} with cough and fever.",
    "{oldp}, fall at the nursing home.",
    "Pt {name}, {oldp}, fell at home on {date}.",
    "{name}, {oldn}-year-old, seen in clinic for dyspnea; referred by {name}, NP.",
    "Patient, {oldp}, resident of {city}, with new confusion.",
    "Transferred from {fac} on {mdate} for higher level of care.",
    "Recently returned from {city}; fever and cough.",
    "Family member {name} reports a fall {wdate}.",
    "History per {name}, {rel}, at bedside.",
    "History obtained from the {rel}, {first}, who can be reached at {phone}.",
    "Outside imaging from {fac} dated {date} reviewed.",
    "Lives at {addr} with spouse; fall down stairs.",
    "Known to the oncology service at {fac} ({city}) since {my}.",
    "Per {name}, ED resident: restrained driver, MVC at {time}.",
    "d/w {name} regarding indication.",
    "Referred by {doctor} for chronic knee pain.",
    "{sur} family reports progressive memory loss; patient aged {oldn}.",
    "Mr. {sur} is {oldp} and on warfarin.",
    "Ms. {sur}, age {oldw}, with hip pain after a fall.",
    "{oldp}, Parkinson disease, recurrent falls since {my}.",
    "Seen at {fac} in {city} on {wdate}; symptoms began {mdate}.",
    "Pt previously followed by {name} at {fac}.",
    "Symptom onset {dt}; last known well {time}.",
    "Spoke with {name} ({rel}); patient is {oldp}.",
    "Hospice patient ({oldp}) from {fac}.",
]
FINDING_FRAMES = [
    "Left chest dual-chamber pacemaker (serial {serial}) with leads in the right atrium and ventricle.",
    "ICD generator, S/N {serial}, MRI-conditional per device card.",
    "Right IJ catheter placed by {name} on {date} terminates in the SVC.",
    "Compared with the outside study from {fac} ({date}), the nodule is unchanged.",
    "Prior CT from {fac}, {mdate}, showed a similar appearance.",
    "Images transferred from workstation {ip} after reconstruction.",
    "Contrast administered by ({name}, RN) without complication.",
    "Technologist {name} notes the patient could not hold her breath.",
    "Injection rate reduced per {name} after IV infiltration at {time}.",
    "Dictation interrupted at {time} and resumed {dt}.",
]
COMM_FRAMES = [
    "Findings discussed with {name}, RN, at {time} on {date}.",
    "Critical result called to Dr. {sur} at {time}; read-back confirmed.",
    "d/w {name} (ED) at {time}.",
    "Spoke with {name} by phone ({phone}) on {wdate} at {time}.",
    "Results conveyed to the ordering provider, {name}, {dt}.",
    "Discussed with the patient's {rel}, {name}, who was at the bedside.",
    "Wet read communicated to {initn} via secure chat {dt}.",
    "Dr. {sur} was paged ({pager}) at {time}.",
    "Per {name}, the line was pulled back 2 cm.",
    "Preliminary results faxed to {fac} at {phone}.",
    "These findings were e-mailed to {email} on {mdate}.",
    "Key images posted to {url} for the tumor board.",
    "Findings relayed to {initn} and {name} on {date}.",
    "Discussed with {inv} at {time}.",
    "Spoke with Dr. {sur} of {fac}; patient to be transferred.",
    "Recommendations given to {first} at the {city} clinic by phone {phone}.",
]
FOOTER_FRAMES = [
    "Dictated by: {name}, MD",
    "{name}, MD, pager {pager}",
    "Electronically signed by {NAME}, M.D. on {date} at {time}",
    "Signed: {initn} {dt}",
    "Technologist: {name}, RT(R)(CT)",
    "Tech: {initn}",
    "Resident: {name}, MD; Attending: {name}, MD",
    "Interpreted by {inv}, DO",
    "cc: {doctor}; {doctor}; {fac}",
    "Transcribed by {name} ({date})",
    "Reading room: {phone}   Fax: {phone}",
    "Questions: {email} or {phone} ext. {ext}",
    "Call {phone} x{ext} with questions.",
    "View images: {url}",
    "Patient portal: {url}",
    "Images available at {url} (login required).",
    "Patient education: {url}; questions to {email}.",
    "Report generated {iso} at {fac}, {addr}, {cityline}",
    "{fac} | {addr} | {cityline} | Tel {phone}",
    "Radiologist NPI {npi}   DEA {dea}   {l_lic}",
    "ARRT {lic} ({name}, RT)",
    "Nurses: {name}, RN, {name}, RN and {name}, LPN.",
    "Scheduled by {name} via {email}.",
    "{name} was the technologist for this exam.",
    "{NAME} - follow-up CT in 3 months.",
    "{inv} - results to PCP.",
    "Sonographer: {name} ({role})",
    "Residents: {name}, {name}, {name}.",
    "Reviewed with fellow {name} and attending {name} on {wdate}.",
    "Contact {name} at {email} / {phone} for scheduling.",
    "Final report sent to {fac}, {addr}, {cityline}, fax {phone}.",
    "{l_ssn}  {l_plan}",
]

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHJKLMNPRSTUVWXYZ"
_MONTHS = "January February March April May June July August September October November December".split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_NOT_INITIALS = set("MD RN DO NP PA RT DR MS MR PT ED CT US XR IV OR ER IR LV RV AP PE SB".split())
_ONES = "zero one two three four five six seven eight nine".split()


class SeededPicker:
    """Draws from one random.Random (`self.r`): the helpers both held-out corpus generators share."""

    r: random.Random

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.r.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def digits(self, n: int) -> str:
        return "".join(self.pick(_DIGITS) for _ in range(n))

    def letters(self, n: int) -> str:
        return "".join(self.pick(_UPPER) for _ in range(n))


class _Gen(SeededPicker):
    """Slot fillers: each public-looking method returns a list of (text, kind) parts."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    # -- helpers (pick, chance, digits, letters): SeededPicker
    def syllable_name(self, family: bool) -> str:
        n = self.r.choice([2, 2, 3]) if family else self.r.choice([2, 2, 2, 3])
        s = "".join(self.pick(_ONSET) + self.pick(_VOWEL) + (self.pick(_CODA) if i == n - 1 else "") for i in range(n))
        if family:
            s += self.pick(_FAM_END)
        return s[:1].upper() + s[1:]

    def given_name(self) -> str:
        return self.syllable_name(False) if self.chance(0.15) else self.pick(GIVEN)

    def family_name(self) -> str:
        fam = self.syllable_name(True) if self.chance(0.15) else self.pick(FAMILY)
        if self.chance(0.07) and " " not in fam:
            other = self.syllable_name(True) if self.chance(0.3) else self.pick(FAMILY)
            if " " not in other:
                fam = f"{fam}-{other}"
        return fam

    @staticmethod
    def initial(name: str) -> str:
        return name[0].upper()

    def initials(self, given: str) -> tuple[str, str]:
        """First and middle initial, never a pair that reads as a credential or abbreviation ("MD", "RN")."""
        while True:
            a, b = self.initial(given), self.pick(_UPPER)
            if a + b not in _NOT_INITIALS:
                return a, b
            given = self.pick(GIVEN)

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

    _LABELS: dict[str, list[str]] = {  # read-only table
        "mrn": _names("MRN:, MRN, MR#, MR #:, Med Rec #, Medical record number, Hospital No., Unit No:, Patient ID:")
        + ["PID", "NHS number", "Chart #"],
        "acc": ["Acc:", "ACC#", "Accession:", "Accession #", "Accn", "Exam #", "Order #:", "Req #"],
        "enc": ["Enc #:", "Encounter:", "CSN:", "FIN:", "Visit #", "Adm #", "Encounter number"],
        "acct": ["Acct #", "Account:", "Billing acct", "HAR:", "Account no."],
        "plan": _names("Member ID:, Medicare #, Medicaid ID, Policy no., Subscriber ID:, Health plan ID, Insurance ID"),
        "ssn": ["SSN:", "SS#", "Social Security No.", "SSN", "soc sec #"],
        "lic": ["Lic. #", "License:", "Driver's license", "DL#", "Cert. #", "Certificate no.", "State lic"],
    }

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


_SLOT = re.compile(r"\{(\w+)\}")


def _fill(g: _Gen, frame: str) -> list[Part]:
    parts: list[Part] = []
    for i, piece in enumerate(_SLOT.split(frame)):
        if i % 2 == 0:
            if piece:
                parts.append((piece, None))
        else:
            parts.extend(getattr(g, piece)())
    return parts


def _report(g: _Gen) -> list[list[Part]]:
    """One report as lines of parts: header, exam, history, technique, comparison, findings, impression, footer."""
    lines: list[list[Part]] = []

    def add(frame: str) -> None:
        lines.append(_fill(g, frame))

    def pick_n(frames: list[str], lo: int, hi: int) -> list[str]:
        return g.r.sample(frames, g.r.randint(lo, hi))

    if g.chance(0.5):
        add(g.pick(HEADERS_CLEAN))
    for f in pick_n(HEADER_FRAMES, 2, 5):
        add(f)
    if g.chance(0.4):
        add(g.pick(HEADERS_CLEAN))
    add("EXAM: " + g.pick(EXAMS))
    history = g.pick(HISTORY_FRAMES) if g.chance(0.6) else g.pick(INDICATION_CLEAN)
    add(g.pick(["CLINICAL HISTORY: ", "INDICATION: ", "History: ", "REASON FOR EXAM: "]) + history)
    add("TECHNIQUE: " + g.pick(TECHNIQUE_CLEAN))
    k = g.r.random()
    if k < 0.3:
        add("COMPARISON: " + g.pick(COMPARISON_CLEAN))
    elif k < 0.55:
        add("COMPARISON: {date}.")
    elif k < 0.7:
        add("COMPARISON: CT abdomen {mdate} and radiograph {date}.")
    elif k < 0.8:
        add("COMPARISON: Outside MRI from {fac}, {my}.")
    elif k < 0.9:
        add("COMPARISON: {wdate}; {dt}.")
    else:
        add("Comparison: {iso} ({fac}).")
    add(g.pick(["FINDINGS:", "Findings:", "FINDINGS"]))
    body = pick_n(FINDINGS_CLEAN, 3, 7)
    if g.chance(0.5):
        body.insert(g.r.randrange(len(body) + 1), g.pick(FINDING_FRAMES))
    for f in body:
        add(f)
    add(g.pick(["IMPRESSION:", "Impression:", "IMPRESSION"]))
    for i, f in enumerate(pick_n(IMPRESSION_CLEAN, 1, 3), 1):
        add(f"{i}. {f}")
    for f in pick_n(COMM_FRAMES, 0, 2):
        add(f)
    for f in pick_n(FOOTER_FRAMES, 2, 4):
        add(f)
    if g.chance(0.5):
        add(g.pick(FOOTERS_CLEAN))
    return lines


def render(parts: list[Part]) -> tuple[str, list[GoldSpan]]:
    """Concatenate parts into a text and the gold spans of the parts that carry a kind."""
    text, spans = [], []
    pos = 0
    for s, kind in parts:
        if kind is not None:
            spans.append(GoldSpan(pos, pos + len(s), kind))
        text.append(s)
        pos += len(s)
    return "".join(text), spans


def generate_heldout(n: int, seed: int = HELDOUT_SEED) -> tuple[list[str], list[list[GoldSpan]]]:
    """`n` reports (one text each, lines joined by newlines) and their gold spans; deterministic per seed."""
    g = _Gen(seed)
    texts: list[str] = []
    gold: list[list[GoldSpan]] = []
    for _ in range(n):
        parts: list[Part] = []
        for i, line in enumerate(_report(g)):
            if i:
                parts.append(("\n", None))
            parts.extend(line)
        text, spans = render(parts)
        texts.append(text)
        gold.append(spans)
    return texts, gold

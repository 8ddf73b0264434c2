"""The tickets of the Latvian demo: several hundred requests to the demo institutions and to a
shared desk (a unified customer service centre) that hands some of them over.

Every ticket is opened and moved through ``zina.tickets.operations``, so the demo has the same
work log, audit trail and search outbox as real work. Operations happen "now"; the demo then
places each ticket in its past (opened, answered, waiting, resolved, closed) with one bulk
update of those timestamps and of its work log, recomputes the SLA due times from the new
start (``sla.recompute``) and runs the SLA check, so old open tickets are really breached.
A seeded ``random.Random`` makes the stories the same on every load (times are relative to the
moment of loading). All people are invented; addresses are at example.lv. Mail that the
operations would send to reporters and staff is not sent while the demo loads.

Loaded once: when tickets already exist, only the demo staff and teams are checked.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from zina.accounts import operations as accounts_ops
from zina.accounts.choices import Responsibility, Role
from zina.accounts.models import Institution, RoleAssignment, User
from zina.catalog.models import Resource, Service

from . import notifications, sla
from . import operations as ops
from .choices import ChangeType, Channel, EntryKind, Kind, Level, LinkKind, WaitingOn
from .models import Team, Ticket, TicketEntry

SEED = 2026

# The shared desk: takes requests about any institution's services and hands them over.
DESK = accounts_ops.InstitutionData(
    code="kac",
    name="Valsts un pašvaldības vienotais klientu apkalpošanas centrs",
    name_en="Unified State and Municipal Customer Service Centre",
    short_name="VPVKAC",
    registration_number="90000000004",
    email="info@kac.example.lv",
    phone="+371 67000004",
)

# username, first name, last name, institution, role, position — support staff of the other
# institutions (the VRA staff come from zina.core.demo.PEOPLE).
STAFF: list[tuple[str, str, str, str, str, str]] = [
    (
        "kontaktcentrs",
        "Laura",
        "Ābele",
        "vra",
        Role.SUPPORT_SPECIALIST,
        "Kontaktcentra speciāliste",
    ),
    ("konsultants", "Evija", "Celmiņa", "kac", Role.SUPPORT_SPECIALIST, "Klientu konsultante"),
    (
        "kac_eksperts",
        "Raivis",
        "Dūmiņš",
        "kac",
        Role.SUPPORT_EXPERT,
        "Vecākais klientu konsultants",
    ),
    ("dpm_atbalsts", "Rūta", "Strazdiņa", "dpm", Role.SUPPORT_SPECIALIST, "Atbalsta speciāliste"),
    ("dpm_eksperts", "Artūrs", "Kalējs", "dpm", Role.SUPPORT_EXPERT, "Platformu eksperts"),
    ("dpm_izmainas", "Kaspars", "Ozoliņš", "dpm", Role.CHANGE_MANAGER, "Izmaiņu pārvaldnieks"),
    (
        "spa_atbalsts",
        "Madara",
        "Krastiņa",
        "spa",
        Role.SUPPORT_SPECIALIST,
        "Kontaktcentra speciāliste",
    ),
    ("spa_eksperts", "Toms", "Lapiņš", "spa", Role.SUPPORT_EXPERT, "Pabalstu sistēmu eksperts"),
    (
        "spa_vaditaja",
        "Baiba",
        "Riekstiņa",
        "spa",
        Role.SERVICE_PORTFOLIO_OWNER,
        "Pakalpojumu vadītāja",
    ),
]
# Printed by ``zina demo`` after the core logins (the VRA specialist and expert are there).
PRINTED = ["konsultants", "dpm_atbalsts", "spa_eksperts"]

# institution → (level-1 team, members), (level-2 team, members)
TEAMS: dict[str, tuple[tuple[str, list[str]], tuple[str, list[str]]]] = {
    "vra": (
        ("VRA kontaktcentrs (1. līmenis)", ["atbalsts", "kontaktcentrs"]),
        ("VRA reģistru sistēmu eksperti (2. līmenis)", ["eksperts", "incidenti"]),
    ),
    "dpm": (
        ("DPM lietotāju atbalsts (1. līmenis)", ["dpm_atbalsts"]),
        ("DPM platformu eksperti (2. līmenis)", ["dpm_eksperts"]),
    ),
    "spa": (
        ("SPA kontaktcentrs (1. līmenis)", ["spa_atbalsts"]),
        ("SPA pabalstu sistēmu eksperti (2. līmenis)", ["spa_eksperts"]),
    ),
    "kac": (
        ("VPVKAC klientu konsultanti (1. līmenis)", ["konsultants"]),
        ("VPVKAC vecākie konsultanti (2. līmenis)", ["kac_eksperts"]),
    ),
}
# Who works where: level-1 specialists, level-2 experts.
SPECIALISTS = {
    "vra": ["atbalsts", "kontaktcentrs"],
    "dpm": ["dpm_atbalsts"],
    "spa": ["spa_atbalsts"],
    "kac": ["konsultants"],
}
EXPERTS = {
    "vra": ["eksperts"],
    "dpm": ["dpm_eksperts"],
    "spa": ["spa_eksperts"],
    "kac": ["kac_eksperts"],
}


@dataclass(frozen=True)
class Case:
    """What someone reports, as they would type it, and how support answers it."""

    institution: str
    service: str | None
    resource: str | None
    kind: str
    subject: str
    body: str
    resolution: str
    channels: tuple[str, ...] = ("portal", "email", "phone")
    expert: bool = False  # usually needs level 2


INC, REQ, CMP, SUG = Kind.INCIDENT, Kind.REQUEST, Kind.COMPLAINT, Kind.SUGGESTION
CITIZEN = ("portal", "email", "phone", "visitor_desk", "video", "social", "assistant")
REMOTE = ("portal", "email", "phone", "assistant", "social")
OFFICE = ("email", "phone", "portal")  # institutions and their staff

DECL = "URN:IVIS:100001:EP.SRV-0101"
SELF = "URN:IVIS:100001:EP.SRV-0104"
DECL_STATEMENT = "URN:IVIS:100001:EP.SRV-0106"
ADDRESS_API = "URN:IVIS:100001:EP.SRV-0110"
DOC_CHECK = "URN:IVIS:100001:EP.SRV-0111"
FAMILY = "URN:IVIS:100001:EP.SRV-0117"
FORECAST = "URN:IVIS:100002:EP.SRV-0206"
STATUS = "URN:IVIS:100002:EP.SRV-0207"

CASES: list[Case] = [
    # --- Valsts reģistru aģentūra ---------------------------------------------------------
    Case(
        "vra",
        DECL,
        "VRA-IS-002",
        INC,
        "Nevaru deklarēt dzīvesvietu — adrese nav atrasta",
        "Mēģinu deklarēt dzīvesvietu tiešsaistē, bet pie adreses ievades rāda kļūdu „Adrese nav "
        "atrasta Adrešu reģistrā”. Māja ir jauna, nodota ekspluatācijā pagājušajā gadā.",
        "Adrese Adrešu reģistrā bija reģistrēta ar citu mājas numura rakstību (ar burtu). "
        "Paskaidrojām, kā to izvēlēties no saraksta; deklarācija iesniegta.",
        REMOTE,
    ),
    Case(
        "vra",
        DECL,
        None,
        INC,
        "nevaru pieslegties dzivesvietas deklaresanai",
        "pec autentifikacijas ar Smart-ID lapa atkal prasa pieslegties un ta bezgaligi. "
        "pameginaju ari cita parluka, tas pats",
        "Pārlūkā bija bloķētas trešo pušu sīkdatnes. Pēc sīkdatņu atļaušanas pieslēgšanās izdevās.",
        REMOTE,
    ),
    Case(
        "vra",
        DECL,
        "VRA-IS-001",
        INC,
        "Īpašnieks nesaņem piekrišanas pieprasījumu",
        "Deklarēju dzīvesvietu īrētā dzīvoklī, bet īpašnieks saka, ka nekādu pieprasījumu nav "
        "saņēmis. Pagājušas jau piecas dienas.",
        "Īpašniekam nav aktivizētas e-adreses, tāpēc pieprasījums netika piegādāts. Īpašnieks "
        "piekrišanu apstiprināja klātienē; deklarācija reģistrēta.",
        CITIZEN,
    ),
    Case(
        "vra",
        SELF,
        "VRA-APP-002",
        INC,
        "Izziņa neatveras, PDF ir tukšs",
        "Pasūtīju izziņu par sevi, lejupielādēju, bet fails ir tukšs — tikai balta lapa. Vai "
        "varat atsūtīt vēlreiz?",
        "Izziņa bija parakstīta ar e-parakstu (.edoc); ieteicām atvērt ar eParakstītāju. "
        "Nosūtījām izziņu atkārtoti uz e-adresi.",
        REMOTE,
    ),
    Case(
        "vra",
        DECL_STATEMENT,
        None,
        INC,
        "Izziņā nav redzama jaunā adrese",
        "Pirms nedēļas deklarēju jaunu dzīvesvietu, bet izziņā joprojām ir vecā adrese. Izziņa "
        "vajadzīga bankai līdz piektdienai.",
        "Deklarācija gaidīja īpašnieka piekrišanu. Pēc piekrišanas adrese reģistrēta, klientam "
        "nosūtīta jauna izziņa.",
        CITIZEN,
    ),
    Case(
        "vra",
        "VRA-PAK-012",
        "VRA-SRV-APP-02",
        INC,
        "Tiešsaistes pieprasījumi reģistru datiem atgriež kļūdu 503",
        "Kopš plkst. 9:40 mūsu sistēmas pieprasījumi reģistru datu saskarnei atgriež HTTP 503. "
        "Iestāde: pašvaldības sociālais dienests, sistēma SOPA.",
        "Integrāciju serverī bija izsmeltas savienojumu kopas; serviss pārstartēts un kopas "
        "izmērs palielināts. Pieprasījumi apstrādājas.",
        OFFICE,
        True,
    ),
    Case(
        "vra",
        ADDRESS_API,
        None,
        INC,
        "Adrešu datu API atbild ar 429 Too Many Requests",
        "Mūsu lietotne no rīta atjauno adrešu kešatmiņu un kopš vakardienas saņem 429. Limits "
        "līgumā ir 50 pieprasījumi sekundē, mēs sūtām ap 20.",
        "Klienta lietotne sūtīja pieprasījumus paralēli no vairākiem serveriem ar vienu atslēgu. "
        "Ieteikts izmantot apjoma izgūšanu; limits pārbaudīts un atbilst līgumam.",
        OFFICE,
        True,
    ),
    Case(
        "vra",
        "VRA-IEK-002",
        "VRA-WS-001",
        INC,
        "Karšu lasītājs neatpazīst eID karti",
        "Rīgas centrā 3. darba vietā karšu lasītājs neatpazīst eID karti, citās vietās strādā. "
        "Klients gaida.",
        "Pārinstalēts karšu lasītāja draiveris un nomainīts USB kabelis. Lasītājs strādā.",
        ("phone", "email", "portal"),
    ),
    Case(
        "vra",
        "VRA-IEK-002",
        "VRA-APP-001",
        INC,
        "parole nedarbojas",
        "no rita nevaru ielogoties klientu apkalposanas darba vieta, raksta ka parole nepareiza, "
        "lai gan vakar strādāja",
        "Konts bija bloķēts pēc vairākiem neveiksmīgiem mēģinājumiem. Atbloķēts, parole "
        "nomainīta pēc instrukcijas.",
        ("phone", "email", "portal"),
    ),
    Case(
        "vra",
        "VRA-IEK-002",
        "VRA-NET-01",
        INC,
        "Nedrukā izziņas uz printera 2. stāvā",
        "Printeris 2. stāvā pie kases nedrukā, dokumenti paliek rindā. Restartējām, nelīdz.",
        "Printerim bija beigusies IP adreses noma; piešķirta fiksēta adrese, rinda notīrīta.",
        ("phone", "email", "portal"),
    ),
    Case(
        "vra",
        "VRA-PAK-007",
        "VRA-APP-002",
        INC,
        "Vārdā garumzīmes vietā jautājuma zīme",
        "Izziņā mans vārds „Ērika” uzrakstīts kā „?rika”. Reģistrā tas ir pareizi.",
        "Izziņu modulis neattēloja dažas rakstzīmes vecajā veidnē. Izziņa izsniegta no jaunās "
        "veidnes, kļūda nodota problēmu pārvaldībai.",
        CITIZEN,
    ),
    Case(
        "vra",
        FAMILY,
        None,
        INC,
        "Ģimenes deklarēšanā nevar pievienot bērnu",
        "Deklarējot dzīvesvietu visai ģimenei, pie bērna pievienošanas poga „Pievienot” neko "
        "nedara. Bērnam ir 4 gadi.",
        "Bērna personas kodā bija ievadīta atstarpe. Pēc labošanas bērns pievienots.",
        REMOTE,
    ),
    Case(
        "vra",
        SELF,
        None,
        REQ,
        "Vajag izziņu angļu valodā",
        "Vai var saņemt izziņu no Iedzīvotāju reģistra angļu valodā? Vajadzīga vīzas pieteikumam.",
        "Izziņu var pasūtīt angļu valodā tiešsaistē, izvēloties valodu pasūtījuma 2. solī. "
        "Nosūtījām saiti uz instrukciju.",
        CITIZEN,
    ),
    Case(
        "vra",
        "VRA-PAK-005",
        None,
        REQ,
        "Izziņa par citu personu — kādi dokumenti vajadzīgi?",
        "Man vajag izziņu par mirušā tēva deklarētajām dzīvesvietām mantojuma lietai. Ko "
        "jāiesniedz?",
        "Izskaidrots, ka jāiesniedz iesniegums ar pamatojumu (notāra pieprasījums mantojuma "
        "lietā). Iesniegums pieņemts.",
        CITIZEN,
    ),
    Case(
        "vra",
        "VRA-PAK-007",
        None,
        REQ,
        "Lūdzu labot dzimšanas vietu",
        "Iedzīvotāju reģistrā mana dzimšanas vieta norādīta kļūdaini (Rīga, bet jābūt Jelgava). "
        "Pielikumā dzimšanas apliecības kopija.",
        "Dati salīdzināti ar dzimšanas reģistra ierakstu un laboti. Klientam nosūtīts paziņojums.",
        CITIZEN,
    ),
    Case(
        "vra",
        "VRA-PAK-003",
        None,
        REQ,
        "Kā anulēt bijušā īrnieka deklarāciju?",
        "Manā dzīvoklī joprojām deklarēts bijušais īrnieks, kurš izvācās pirms gada. Kā anulēt "
        "viņa ziņas?",
        "Pieņemts īpašnieka iesniegums par ziņu anulēšanu; personai nosūtīts paziņojums, "
        "lēmums tiks pieņemts mēneša laikā.",
        CITIZEN,
    ),
    Case(
        "vra",
        "VRA-IEK-001",
        "VRA-APP-003",
        REQ,
        "Piekļuves tiesības jaunai darbiniecei",
        "Lūdzam piešķirt piekļuvi Iedzīvotāju reģistra datiem mūsu jaunajai sociālajai "
        "darbiniecei. Pamatojums — starpiestāžu līgums, pielikumā rīkojums.",
        "Piekļuve piešķirta uz līguma termiņu; lietotājam nosūtīti pieslēgšanās norādījumi.",
        OFFICE,
    ),
    Case(
        "vra",
        "VRA-PAK-016",
        None,
        REQ,
        "Gribu pasūtīt izziņu pa tālruni",
        "Vecmāmiņai vajag izziņu par deklarēto dzīvesvietu, internetu viņa nelieto. Vai var "
        "pasūtīt pa telefonu un saņemt pa pastu?",
        "Izziņa pasūtīta pa tālruni ar piegādi pa pastu; klients identificēts ar drošības "
        "jautājumiem.",
        ("phone", "email"),
    ),
    Case(
        "vra",
        "VRA-PAK-009",
        "VRA-REG-002",
        REQ,
        "Adreses piešķiršana jaunbūvei",
        "Novada pašvaldība lūdz precizēt adrešu datus trīs jaunbūvēm, lēmums pielikumā.",
        "Adrešu dati reģistrēti Adrešu reģistrā saskaņā ar pašvaldības lēmumu.",
        OFFICE,
    ),
    Case(
        "vra",
        "VRA-PAK-015",
        None,
        REQ,
        "vai mana nozaudeta pase ir anuleta",
        "pagajusaja nedela pazaudeju pasi un pieteicu policija. ka uzzinat vai ta ir anuleta?",
        "Pārbaudīts: pase anulēta dienā, kad saņemts paziņojums par nozaudēšanu. Klientam "
        "nosūtīta izziņa par dokumenta statusu.",
        CITIZEN,
    ),
    Case(
        "vra",
        "VRA-PAK-002",
        None,
        REQ,
        "Vai deklarēties klātienē var bez pieraksta?",
        "Vai uz dzīvesvietas deklarēšanu klātienē jāpiesakās iepriekš, vai var vienkārši atnākt?",
        "Klātienē var atnākt bez pieraksta; ar pierakstu nav jāgaida rindā. Nosūtīta saite uz "
        "pierakstu.",
        CITIZEN,
    ),
    Case(
        "vra",
        None,
        None,
        CMP,
        "Ilga gaidīšana rindā klientu apkalpošanas centrā",
        "Šodien Rīgas centrā gaidīju rindā vairāk nekā stundu, lai gan biju pierakstījies uz "
        "10:00. Neviens nepaskaidroja, kāpēc.",
        "Atvainojamies par neērtībām. Tajā dienā nebija pieejamas divas darba vietas tehnisku "
        "traucējumu dēļ. Esam ieviesuši kārtību, ka pierakstītie klienti tiek informēti par "
        "kavēšanos.",
        ("email", "portal", "visitor_desk", "social"),
    ),
    Case(
        "vra",
        None,
        None,
        CMP,
        "Nesaņēmu atbildi uz e-pastu divas nedēļas",
        "Rakstīju jums par izziņu vēl pirms divām nedēļām un neviens nav atbildējis.",
        "Jūsu vēstule bija nonākusi nepareizā pastkastē. Atvainojamies — izziņa nosūtīta, un "
        "e-pasta sadales kārtula ir izlabota.",
        ("email", "portal", "social"),
    ),
    Case(
        "vra",
        None,
        None,
        SUG,
        "Ierosinājums: deklarēt visu ģimeni vienā reizē",
        "Būtu ērti, ja varētu deklarēt dzīvesvietu visai ģimenei vienā pieteikumā, nevis katram "
        "atsevišķi.",
        "Paldies par ierosinājumu! Šāda iespēja tiek izstrādāta un būs pieejama tuvākajos mēnešos.",
        ("email", "portal", "social"),
    ),
    Case(
        "vra",
        None,
        None,
        SUG,
        "Izziņu sarakstā varētu rādīt derīguma termiņu",
        "Ieteikums: sadaļā „Mani pasūtījumi” pie katras izziņas rādīt, līdz kuram datumam tā "
        "derīga.",
        "Paldies! Ierosinājums iekļauts portāla uzlabojumu sarakstā nākamajam izlaidumam.",
        ("email", "portal"),
    ),
    # --- Digitālās pārvaldības ministrija --------------------------------------------------
    Case(
        "dpm",
        "DPM-PAK-001",
        "DPM-IS-01",
        INC,
        "Nevaru pieslēgties ar Smart-ID",
        "Latvija.gov.lv autentifikācijā izvēlos Smart-ID, bet telefonā pieprasījums neatnāk. "
        "Citos portālos strādā.",
        "Lietotnē Smart-ID bija vecā versija; pēc atjaunināšanas pieprasījumi pienāk.",
        REMOTE,
    ),
    Case(
        "dpm",
        "DPM-PAK-001",
        "DPM-IS-01",
        INC,
        "eID karte pēc PIN1 ievades atslēdzas",
        "Ievadu PIN1, un lapa saka, ka sertifikāts nav atrasts. Karte derīga līdz 2029. gadam.",
        "Datorā bija divas eID programmatūras versijas; pēc vecās noņemšanas autentifikācija "
        "strādā (skat. zināmo kļūdu).",
        REMOTE,
    ),
    Case(
        "dpm",
        "DPM-PAK-001",
        "DPM-EXT-02",
        INC,
        "internetbanka - sesija ir beigusies",
        "pieslēdzoties caur banku uzreiz raksta „Sesija ir beigusies”, nepaspēju neko izdarīt",
        "Datora pulkstenis bija nobīdījies par 20 minūtēm; pēc laika sinhronizēšanas "
        "pieslēgšanās izdodas.",
        REMOTE,
    ),
    Case(
        "dpm",
        "DPM-PAK-002",
        "DPM-IS-02",
        INC,
        "nesanemu pazinojumus par e-adreses zinojumiem",
        "e-adresē ir jauni ziņojumi bet uz e-pastu nekas nenāk, iestatījumos e-pasts ir ierakstīts",
        "Paziņojumu e-pasta adrese nebija apstiprināta. Pēc apstiprināšanas saites atvēršanas "
        "paziņojumi pienāk.",
        REMOTE,
    ),
    Case(
        "dpm",
        "DPM-PAK-002",
        "DPM-IS-02",
        INC,
        "E-adresē .edoc pielikums neatveras",
        "Iestāde atsūtīja lēmumu e-adresē, bet .edoc pielikums neatveras — dators nezina, ar ko "
        "to atvērt.",
        "Ieteicām uzstādīt eParakstītāju 3.0 vai atvērt dokumentu eparaksts.lv tiešsaistē.",
        REMOTE,
    ),
    Case(
        "dpm",
        "DPM-PAK-003",
        "DPM-IS-03",
        INC,
        "Portāls rāda kļūdu 504",
        "Pirmdienas rītā portāls ielādējas ļoti lēni un beigās rāda 504 Gateway Timeout.",
        "Rīta slodzes laikā bija pārslogots viens lietojumserveris; slodze pārdalīta (skat. "
        "apiešanas risinājumu).",
        REMOTE,
        True,
    ),
    Case(
        "dpm",
        "DPM-PAK-004",
        "DPM-IS-04",
        INC,
        "Kopne noraida ziņojumus pēc sertifikāta atjaunošanas",
        "Pēc iestādes drošības sertifikāta atjaunošanas visi mūsu ziņojumi datu apmaiņas kopnē "
        "tiek noraidīti ar kļūdu „Unknown client”.",
        "Jaunais sertifikāts nebija reģistrēts kopnes klientu sarakstā. Reģistrēts, ziņojumi "
        "tiek pieņemti.",
        OFFICE,
        True,
    ),
    Case(
        "dpm",
        "DPM-PAK-005",
        "DPM-IS-05",
        INC,
        "kļūda maksājot valsts nodevu",
        "Maksājot valsts nodevu par izziņu, pēc bankas apstiprinājuma lapa rāda kļūdu, bet nauda "
        "no konta ir noņemta. Ko darīt?",
        "Banka apstiprinājumu atsūtīja ar aizkavi. Maksājuma statuss atjaunots, pakalpojums "
        "pieejams; dubultā maksājuma nebija.",
        REMOTE,
    ),
    Case(
        "dpm",
        "DPM-PAK-005",
        "DPM-EXT-01",
        INC,
        "Maksājums joprojām statusā „Apstrādē”",
        "Samaksāju pirms trim stundām, bet maksājums joprojām „Apstrādē”, un pakalpojumu nevar "
        "turpināt.",
        "Statuss atjaunots manuāli pēc bankas apstiprinājuma saņemšanas (skat. apiešanas "
        "risinājumu).",
        REMOTE,
        True,
    ),
    Case(
        "dpm",
        "DPM-IEK-001",
        None,
        INC,
        "Nestrādā VPN savienojums no mājām",
        "Strādāju attālināti, VPN klients raksta „Authentication failed”. Parole ir pareiza.",
        "Beidzies VPN sertifikāta derīgums; sertifikāts atjaunots attālināti.",
        ("phone", "email", "portal"),
    ),
    Case(
        "dpm",
        "DPM-PAK-002",
        None,
        REQ,
        "Kā aktivizēt e-adresi uzņēmumam?",
        "Esmu SIA valdes loceklis. Kā aktivizēt e-adresi uzņēmumam, ja valdē esam divi?",
        "Nosūtīta instrukcija: e-adresi aktivizē valdes loceklis ar pārstāvības tiesībām "
        "latvija.gov.lv sadaļā „Mana e-adrese”.",
        CITIZEN,
    ),
    Case(
        "dpm",
        "DPM-PAK-004",
        None,
        REQ,
        "Pieslēguma pieprasījums datu apmaiņas kopnei",
        "Pašvaldība vēlas pieslēgt jauno nekustamā īpašuma nodokļa sistēmu datu apmaiņas kopnei. "
        "Pieteikuma veidlapa pielikumā.",
        "Pieslēgums izveidots testa vidē, piekļuves dati nosūtīti iestādes atbildīgajai personai.",
        OFFICE,
    ),
    Case(
        "dpm",
        "DPM-PAK-003",
        None,
        REQ,
        "Kā pārslēgt portālu angliski?",
        "Mans kolēģis nerunā latviski. Kā viņam pārslēgt portālu angļu valodā?",
        "Valodu var pārslēgt lapas augšējā labajā stūrī (EN). Nosūtīta saite uz BUJ.",
        CITIZEN,
    ),
    Case(
        "dpm",
        "DPM-PAK-006",
        "DPM-CLD-01",
        REQ,
        "Papildu resursi testa videi",
        "Lūdzam testa videi piešķirt vēl 8 vCPU un 32 GB atmiņas uz trim mēnešiem.",
        "Resursi piešķirti līdz ceturkšņa beigām saskaņā ar pakalpojuma līgumu.",
        OFFICE,
    ),
    Case(
        "dpm",
        None,
        None,
        CMP,
        "Portāls vakaros bieži nav pieejams",
        "Jau trešo reizi šomēnes vakarā nevaru iesniegt iesniegumu, portāls neatveras.",
        "Atvainojamies. Vakaros notika plānoti apkopes darbi, par kuriem paziņojums bija tikai "
        "portāla sākumlapā. Turpmāk paziņosim arī e-adresē un sociālajos tīklos.",
        ("email", "portal", "social"),
    ),
    Case(
        "dpm",
        None,
        None,
        SUG,
        "Pievienojiet portālam tumšo režīmu",
        "Vakarā strādājot acis nogurst, būtu labi, ja portālam būtu tumšais režīms.",
        "Paldies! Ierosinājums nodots portāla dizaina sistēmas komandai izvērtēšanai.",
        ("email", "portal", "social"),
    ),
    # --- Sociālo pabalstu aģentūra ---------------------------------------------------------
    Case(
        "spa",
        FORECAST,
        "SPA-IS-02",
        INC,
        "Pensijas prognoze rāda 0,00 EUR",
        "Aprēķinot pensijas prognozi, rezultāts ir 0,00 EUR, lai gan strādāju 25 gadus.",
        "Prognozes aprēķinā netika ielasīts stāžs pirms 1996. gada. Aprēķins veikts manuāli, "
        "rezultāts nosūtīts klientam (skat. zināmo kļūdu).",
        REMOTE,
        True,
    ),
    Case(
        "spa",
        "SPA-PAK-008",
        "SPA-APP-02",
        INC,
        "Neatnāk īsziņa par pierakstu",
        "Pierakstījos uz konsultāciju, bet apstiprinājuma īsziņa neatnāca. Man ir Lietuvas numurs.",
        "Pieraksts ir reģistrēts; apstiprinājums nosūtīts uz e-pastu. Īsziņas uz ārvalstu "
        "numuriem netiek sūtītas (zināmā kļūda).",
        CITIZEN,
    ),
    Case(
        "spa",
        STATUS,
        None,
        INC,
        "statuss nav mainijies jau divas nedelas",
        "iesniedzu pabalsta pieprasijumu pirms divam nedelam, statuss joprojam 'Iesniegts'",
        "Pieprasījums bija jāpapildina ar izziņu no darba devēja; klientam nosūtīts "
        "pieprasījums, statuss atjaunots.",
        REMOTE,
    ),
    Case(
        "spa",
        "SPA-PAK-003",
        "SPA-APP-01",
        INC,
        "Bērna kopšanas pabalsta pieteikumā neielasās bērna dati",
        "Aizpildot pieteikumu, bērna datu lauki paliek tukši, un tālāk netieku.",
        "Bērns nebija reģistrēts kā piederīgais, jo dzimšana reģistrēta ārvalstīs. Dati "
        "papildināti, pieteikums iesniegts.",
        REMOTE,
    ),
    Case(
        "spa",
        "SPA-PAK-002",
        "SPA-APP-03",
        INC,
        "Nav ienākusi ģimenes pabalsta izmaksa",
        "Šomēnes ģimenes valsts pabalsts nav ieskaitīts kontā, lai gan parasti ir līdz 15. "
        "datumam.",
        "Izmaksa aizkavējās bankas maksājumu apstrādē; līdzekļi ieskaitīti nākamajā darba dienā.",
        CITIZEN,
    ),
    Case(
        "spa",
        "SPA-IEK-001",
        "SPA-WS-01",
        INC,
        "Kontaktcentrā nestrādā austiņas",
        "Darba vietā Nr. 12 austiņās nav dzirdams zvanītājs, mikrofons strādā.",
        "Nomainīts austiņu adapteris, skaņas iestatījumi atjaunoti.",
        ("phone", "email", "portal"),
    ),
    Case(
        "spa",
        "SPA-PAK-001",
        None,
        REQ,
        "Vai piedzimšanas pabalstu var saņemt tēvs?",
        "Mēs ar sievu neesam precējušies. Vai bērna piedzimšanas pabalstu var pieprasīt tēvs?",
        "Pabalstu var pieprasīt viens no vecākiem, arī tēvs; nosūtīta saite uz pieprasījumu.",
        CITIZEN,
    ),
    Case(
        "spa",
        "SPA-PAK-009",
        None,
        REQ,
        "Vajag izziņu par izmaksātajiem pabalstiem",
        "Bankai kredīta pieteikumam vajag izziņu par pēdējo sešu mēnešu pabalstiem.",
        "Izziņa sagatavota un nosūtīta uz e-adresi.",
        CITIZEN,
    ),
    Case(
        "spa",
        "SPA-PAK-004",
        None,
        REQ,
        "kadi dokumenti vajadzigi bezdarbnieka pabalstam",
        "mani atlaida no darba, kadi dokumenti jaiesniedz lai sanemtu pabalstu?",
        "Izskaidrots: pietiek ar iesniegumu, pārējos datus aģentūra iegūst no reģistriem. "
        "Nosūtīta saite uz BUJ.",
        CITIZEN,
    ),
    Case(
        "spa",
        "SPA-PAK-005",
        "SPA-IS-02",
        REQ,
        "Lūdzu pārrēķināt pensiju — nav ieskaitīts stāžs",
        "Pensijas aprēķinā nav ieskaitīti trīs gadi, kad strādāju kolhozā. Pielikumā darba "
        "grāmatiņas kopija.",
        "Stāžs papildināts pēc arhīva izziņas; pensija pārrēķināta no pieprasījuma mēneša.",
        CITIZEN,
        True,
    ),
    Case(
        "spa",
        "SPA-PAK-008",
        None,
        REQ,
        "Lūdzu pārcelt konsultācijas laiku",
        "Esmu pierakstījusies uz ceturtdienu 14:00, bet nevarēšu atnākt. Vai var pārcelt uz "
        "nākamo nedēļu?",
        "Konsultācija pārcelta; apstiprinājums nosūtīts uz e-pastu.",
        CITIZEN,
    ),
    Case(
        "spa",
        None,
        None,
        CMP,
        "Pabalsts izmaksāts ar nokavēšanos",
        "Jau otro mēnesi pabalsts ienāk nedēļu vēlāk nekā solīts. Man jāmaksā īre!",
        "Atvainojamies. Kavēšanos radīja izmaiņas maksājumu apstrādē; no nākamā mēneša izmaksas "
        "datums ir atjaunots.",
        ("email", "portal", "phone", "social"),
    ),
    Case(
        "spa",
        None,
        None,
        SUG,
        "Atgādinājums par pabalsta izmaksu e-adresē",
        "Būtu ērti saņemt e-adresē paziņojumu, kad pabalsts ir izmaksāts.",
        "Paldies! Paziņojumi par izmaksām e-adresē iekļauti nākamā gada attīstības plānā.",
        ("email", "portal"),
    ),
]

# Requests taken at the shared desk: (subject, body, owning institution or None when the desk
# answers itself, owning service, resolution).
DESK_CASES: list[tuple[str, str, str | None, str | None, str]] = [
    (
        "Klients vēlas labot personas datus reģistrā",
        "Klientei pēc laulības mainīts uzvārds, bet Iedzīvotāju reģistrā vecais. Iesniegums "
        "pieņemts klātienē.",
        "vra",
        "VRA-PAK-007",
        "Dati laboti pēc laulības reģistra ieraksta.",
    ),
    (
        "Nav ienākusi pabalsta izmaksa",
        "Klients apmeklēja centru: bezdarbnieka pabalsts nav ieskaitīts jau divas nedēļas.",
        "spa",
        "SPA-PAK-004",
        "Izmaksa bija apturēta, jo beidzies bezdarbnieka statuss; klients informēts.",
    ),
    (
        "Nevar aktivizēt e-adresi",
        "Klients mēģināja aktivizēt e-adresi, bet pēc autentifikācijas redz tukšu lapu.",
        "dpm",
        "DPM-PAK-002",
        "Kļūda pārlūka paplašinājumā; pēc tā atslēgšanas e-adrese aktivizēta.",
    ),
    (
        "Klients nesaprot, kāpēc nav piešķirts pabalsts",
        "Klients saņēmis atteikumu bērna kopšanas pabalstam un lūdz paskaidrot lēmumu.",
        "spa",
        "SPA-PAK-003",
        "Eksperte paskaidroja lēmumu pa tālruni un informēja par pārsūdzības iespējām.",
    ),
    (
        "Izziņa par deklarēto dzīvesvietu bankai",
        "klients prasa izzinu par deklareto dzivesvietu, pats internetu nelieto",
        "vra",
        "URN:IVIS:100001:EP.SRV-0106",
        "Izziņa sagatavota un nosūtīta pa pastu.",
    ),
    (
        "Palīdzība pieslēgties latvija.gov.lv",
        "Klientei vajadzēja palīdzību pieslēgties portālam ar eID karti centra datorā.",
        None,
        None,
        "Konsultante palīdzēja pieslēgties un iesniegt iesniegumu.",
    ),
    (
        "Konsultācija par dzīvesvietas deklarēšanu",
        "Klients jautā, vai deklarējot dzīvesvietu jāņem līdzi īres līgums.",
        None,
        None,
        "Paskaidrots, ka pietiek ar īres līgumu vai īpašnieka piekrišanu e-pakalpojumā.",
    ),
    (
        "Pensijas prognozes aprēķins",
        "Klients vēlas uzzināt prognozējamo pensiju, bet tiešsaistē rāda 0,00 EUR.",
        "spa",
        "URN:IVIS:100002:EP.SRV-0206",
        "Prognoze aprēķināta manuāli un nosūtīta klientam.",
    ),
    (
        "Palīdzība ar e-pakalpojuma veidlapu",
        "klientam vajadzēja palīdzību aizpildīt pabalsta pieprasījumu, nesanāca pievienot failu",
        None,
        None,
        "Fails bija pārāk liels; samazināts, pieprasījums iesniegts.",
    ),
    (
        "Nozaudēta personas apliecība",
        "Klients nozaudējis eID karti un jautā, vai dokuments jau ir anulēts.",
        "vra",
        "VRA-PAK-015",
        "Pārbaudīts: dokuments anulēts; klients informēts par jauna dokumenta saņemšanu.",
    ),
]

# Level 0: what people found on their own (the portal's FAQ or the virtual assistant).
SELF_SERVICE: list[tuple[str, str | None, str]] = [
    ("vra", DECL, "kā deklarēt dzīvesvietu"),
    ("vra", DECL, "deklaret dzivesvietu bez eid"),
    ("vra", SELF, "izziņa par sevi"),
    ("vra", SELF, "izzina anglu valoda"),
    ("vra", "VRA-PAK-002", "vai var deklareties ar pilnvaru"),
    ("vra", "VRA-PAK-015", "pazaudēta pase"),
    ("vra", "VRA-PAK-007", "labot personas datus"),
    ("dpm", "DPM-PAK-001", "nevaru pieslegties ar smart-id"),
    ("dpm", "DPM-PAK-001", "autentifikācija no ārzemēm"),
    ("dpm", "DPM-PAK-002", "e-adrese paziņojumi"),
    ("dpm", "DPM-PAK-003", "portāls angļu valodā"),
    ("dpm", "DPM-PAK-005", "maksājums apstrādē"),
    ("dpm", "DPM-PAK-005", "samaksat ar karti"),
    ("spa", "SPA-PAK-002", "kad izmaksā ģimenes pabalstu"),
    ("spa", "SPA-PAK-001", "piedzimsanas pabalsts abi vecaki"),
    ("spa", STATUS, "pieprasijuma statuss pienemts izskatisanai"),
    ("spa", "SPA-PAK-004", "bezdarbnieka pabalsta dokumenti"),
    ("spa", "SPA-PAK-008", "pierakstīties uz konsultāciju"),
    ("spa", "SPA-PAK-009", "statement of benefits paid"),
]

MEN = [
    "Jānis",
    "Andris",
    "Mārtiņš",
    "Edgars",
    "Raimonds",
    "Kārlis",
    "Artis",
    "Normunds",
    "Gatis",
    "Ivars",
    "Roberts",
    "Aigars",
    "Uldis",
    "Valdis",
    "Rihards",
    "Dāvis",
]
WOMEN = [
    "Ilze",
    "Inese",
    "Dace",
    "Līga",
    "Kristīne",
    "Anita",
    "Laila",
    "Sandra",
    "Zane",
    "Elīna",
    "Agnese",
    "Marta",
    "Solvita",
    "Ieva",
    "Baiba",
    "Gunta",
]
# (masculine, feminine) surnames
SURNAMES = [
    ("Bērziņš", "Bērziņa"),
    ("Kalniņš", "Kalniņa"),
    ("Ozoliņš", "Ozoliņa"),
    ("Jansons", "Jansone"),
    ("Liepiņš", "Liepiņa"),
    ("Krūmiņš", "Krūmiņa"),
    ("Balodis", "Balode"),
    ("Eglītis", "Eglīte"),
    ("Zariņš", "Zariņa"),
    ("Pētersons", "Pētersone"),
    ("Vītols", "Vītola"),
    ("Kļaviņš", "Kļaviņa"),
    ("Siliņš", "Siliņa"),
    ("Lapsa", "Lapsa"),
    ("Sproģis", "Sproģe"),
    ("Dzenis", "Dzene"),
    ("Grīnbergs", "Grīnberga"),
    ("Avotiņš", "Avotiņa"),
]

GREETINGS = ["Labdien!", "Labdien,", "Sveiki!", "Labdien.", "", "", "Sveiki,"]
CLOSINGS = [
    "Paldies!",
    "Lūdzu palīdzēt.",
    "Ceru uz ātru atbildi.",
    "Paldies jau iepriekš.",
    "",
    "",
    "Lūdzu, atbildiet pēc iespējas ātrāk.",
]
QUESTIONS = [
    "Lūdzu, atsūtiet ekrānuzņēmumu ar kļūdas paziņojumu.",
    "Lūdzu, precizējiet, kurā pārlūkā un kurā datumā mēģinājāt.",
    "Lūdzu, atsūtiet pieprasījuma numuru, lai varam to atrast.",
    "Vai varat norādīt precīzu adresi, kā tā redzama dokumentos?",
]
NOTES = [
    "Pārbaudīju žurnālos — kļūda atkārtojas arī citiem lietotājiem šorīt.",
    "Zvanīju klientam, neatbild. Mēģināšu vēlreiz pēcpusdienā.",
    "Līdzīgs gadījums bija pagājušajā mēnesī, skat. zināšanu bāzi.",
    "Sazinājos ar sistēmas uzturētāju, gaidām atbildi.",
]
THIRD_PARTY = "Jautājums nodots sistēmas uzturētājam; gaidām atbildi."
ESCALATIONS = [
    "Nepieciešama sistēmas žurnālu analīze; 1. līmenī neatrisināms.",
    "Vajadzīgas piekļuves tiesības, kuru 1. līmenim nav.",
    "Atkārtojas pēc zināšanu bāzes risinājuma; lūdzu eksperta skatījumu.",
]
CANCELLED = "Pieteicējs informēja, ka jautājums vairs nav aktuāls."
HANDED_OVER = "Jautājums par iestādes pakalpojumu; klientu centram nav piekļuves iestādes sistēmai."
# How many everyday tickets each institution gets, and how many the shared desk takes.
ORDINARY = {"vra": 70, "dpm": 25, "spa": 25}
DESK_COUNT = 24
SELF_SERVICE_COUNT = 220

_FOLD = str.maketrans("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ", "acegiklnsuzACEGIKLNSUZ")


def plain(text: str) -> str:
    """Latvian as typed without diacritics ("nevaru pieslegties")."""
    return unicodedata.normalize("NFC", text).translate(_FOLD)


@dataclass
class Story:
    """When things happened to one ticket (the operations ran "now")."""

    opened: datetime
    responded: datetime | None = None
    waiting: datetime | None = None
    resolved: datetime | None = None
    closed: datetime | None = None
    approved: datetime | None = None


class _Loader:
    def __init__(self, root: User, at: datetime, seed: int) -> None:
        self.root = root
        self.now = at
        self.rng = random.Random(seed)
        self.institutions = {i.code: i for i in Institution.objects.all()}
        self.users = {u.username: u for u in User.objects.all()}
        self.teams: dict[tuple[str, int], Team] = {}
        self.services: dict[str, Service] = {
            s.identifier: s for s in Service.objects.select_related("institution")
        }
        self.resources: dict[str, Resource] = {r.identifier: r for r in Resource.objects.all()}
        self.stories: dict[int, Story] = {}
        self.articles: dict[str, list[Any]] = defaultdict(list)
        self.readable: dict[int, set[int]] = {}

    # --- people and teams ----------------------------------------------------------------

    def staff(self) -> None:
        desk = self.institutions.get(DESK.code)
        if desk is None:
            desk = accounts_ops.create_institution(actor=self.root, data=DESK)
            self.institutions[desk.code] = desk
        from django.contrib.auth.hashers import make_password

        from zina.core.demo import DEMO_PASSWORD

        password = ""  # hashed once: the hasher is slow on purpose
        for username, first, last, code, role, title in STAFF:
            institution = self.institutions[code]
            user = self.users.get(username)
            if user is None:
                user = accounts_ops.create_user(
                    actor=self.root,
                    institution=institution,
                    username=username,
                    data=accounts_ops.UserData(
                        first_name=first,
                        last_name=last,
                        email=f"{username.replace('_', '.')}@{code}.example.lv",
                        language="lv",
                    ),
                    title=title,
                )
                password = password or make_password(DEMO_PASSWORD)
                user.password = password
                user.save(update_fields=["password"])
                self.users[username] = user
            if not RoleAssignment.objects.filter(
                user=user, institution=institution, role=role
            ).exists():
                accounts_ops.assign_role(
                    actor=self.root,
                    user=user,
                    institution=institution,
                    role=role,
                    responsibility=Responsibility.CO_RESPONSIBLE,
                )
        for code, pair in TEAMS.items():
            for level, (name, members) in zip((Level.FIRST, Level.SECOND), pair, strict=True):
                institution = self.institutions[code]
                data = ops.TeamData(
                    name=name, level=level, members=[self.users[m] for m in members]
                )
                team = Team.objects.filter(institution=institution, name=name).first()
                if team is None:
                    team = ops.create_team(actor=self.root, institution=institution, data=data)
                self.teams[code, level] = team

    # --- helpers -------------------------------------------------------------------------

    def user(self, username: str) -> User:
        return self.users[username]

    def specialist(self, code: str) -> User:
        return self.users[self.rng.choice(SPECIALISTS[code])]

    def expert(self, code: str) -> User:
        return self.users[self.rng.choice(EXPERTS[code])]

    def person(self) -> tuple[str, str]:
        rng = self.rng
        if rng.random() < 0.55:
            first, last = rng.choice(WOMEN), rng.choice(SURNAMES)[1]
        else:
            first, last = rng.choice(MEN), rng.choice(SURNAMES)[0]
        local = rng.choice(
            [
                f"{plain(first)}.{plain(last)}",
                f"{plain(first)}{plain(last)[0]}",
                f"{plain(first)[0]}.{plain(last)}",
                f"{plain(first)}{rng.randint(1950, 2004)}",
            ]
        ).lower()
        return f"{first} {last}", f"{local}@example.lv"

    def typed(self, text: str, channel: str) -> str:
        """Citizens type fast: a third of what arrives in writing has no diacritics."""
        if channel in ("portal", "email", "social", "assistant") and self.rng.random() < 0.33:
            return plain(text)
        return text

    def ago(self, low_hours: float, high_hours: float) -> datetime:
        return self.now - timedelta(hours=self.rng.uniform(low_hours, high_hours))

    def after(self, at: datetime, low_minutes: float, high_minutes: float) -> datetime:
        return min(
            at + timedelta(minutes=self.rng.uniform(low_minutes, high_minutes)),
            self.now - timedelta(minutes=1),
        )

    def local(self, days: float, hour: int) -> datetime:
        """A whole hour, local time, ``days`` from now (change windows)."""
        day = timezone.localtime(self.now + timedelta(days=days))
        return day.replace(hour=hour, minute=0, second=0, microsecond=0)

    def story(self, ticket: Ticket, story: Story) -> None:
        self.stories[ticket.pk] = story

    def article_for(self, ticket: Ticket, actor: User) -> Any:
        """A live article about the ticket's service that ``actor`` may read, or None."""
        from zina.knowledge.models import Article

        if ticket.service is None:
            return None
        if actor.pk not in self.readable:
            self.readable[actor.pk] = set(
                Article.objects.visible_to(actor).values_list("pk", flat=True)
            )
        readable = self.readable[actor.pk]
        candidates = [
            a for a in self.articles.get(ticket.service.identifier, []) if a.pk in readable
        ]
        return self.rng.choice(candidates) if candidates else None

    def load_articles(self) -> None:
        from zina.knowledge.models import Article

        live = Article.objects.filter(revisions__is_live=True).distinct().order_by("pk")
        for article in live.prefetch_related("services", "revisions"):
            for service in article.services.all():
                self.articles[service.identifier].append(article)

    # --- one ordinary ticket -------------------------------------------------------------

    def ordinary(self, case: Case, fate: str) -> Ticket:
        """One ticket of an everyday fate, with as few operations as the story needs."""
        rng = self.rng
        code = case.institution
        institution = self.institutions[code]
        channel = rng.choice(case.channels)
        name, email = self.person()
        internal = case.service is not None and "-IEK-" in case.service
        if channel in ("phone", "visitor_desk", "video"):
            body = case.body  # written down by the specialist
        else:
            greeting, closing = rng.choice(GREETINGS), rng.choice(CLOSINGS)
            body = " ".join(p for p in (greeting, case.body, closing) if p)
            if channel == "email" and rng.random() < 0.5:
                body += f"\n\n{name}"
        subject = case.subject if rng.random() < 0.8 else case.subject.lower()
        data = ops.TicketData(
            subject=self.typed(subject, channel),
            description=self.typed(body, channel),
            channel=channel,
            service=self.services.get(case.service) if case.service else None,
            resource=self.resources.get(case.resource) if case.resource else None,
        )
        impact, urgency = rng.choice([(3, 3), (3, 2), (3, 2), (2, 2), (2, 3), (3, 1), (2, 1)])
        specialist = self.specialist(code)
        team1 = self.teams[code, Level.FIRST]
        if internal and code == "vra":
            reporter = ops.Reporter(user=self.user(rng.choice(["sniedzejs", "pakalpojums"])))
        elif internal:
            reporter = ops.Reporter(name=name, email=email.replace("@", f"@{code}."))
        elif channel == "visitor_desk" and rng.random() < 0.5:
            reporter = ops.Reporter(name=name)
        else:
            reporter = ops.Reporter(name=name, email=email)
        started = fate in ("in_progress", "in_progress_l2", "waiting", "waiting_third")
        # Calls and visits are recorded by staff; written requests arrive by themselves.
        if channel in ("phone", "visitor_desk", "video") or internal:
            data.impact, data.urgency = impact, urgency
            ticket = ops.open_ticket(
                actor=specialist,
                institution=institution,
                kind=case.kind,
                data=data,
                reporter=reporter,
                team=None if fate == "new" else team1,
                assignee=None if fate in ("new", "assigned") else specialist,
            )
            if started:
                ticket = ops.transition(actor=specialist, ticket=ticket, action="start")
        else:
            ticket = ops.open_ticket(
                actor=None, institution=institution, kind=case.kind, data=data, reporter=reporter
            )
            if fate != "new" and rng.random() < 0.3:
                ticket = ops.update_ticket(
                    actor=specialist,
                    ticket=ticket,
                    data=ops.TicketData(impact=impact, urgency=urgency),
                )
            if started:
                ticket = ops.take(actor=specialist, ticket=ticket)
            elif fate != "new":
                ticket = ops.assign(
                    actor=specialist,
                    ticket=ticket,
                    team=team1,
                    assignee=None if fate == "assigned" else specialist,
                )
        breached = fate in ("new", "assigned", "in_progress", "in_progress_l2", "waiting_third")
        breached = breached and rng.random() < 0.25
        if fate in ("new", "assigned"):
            opened = self.ago(24 * 8, 24 * 16) if breached else self.ago(0.2, 20)
            self.story(ticket, Story(opened=opened))
            return ticket
        worker = specialist
        if fate.endswith("_l2") or (case.expert and fate != "cancelled" and rng.random() < 0.6):
            ticket = ops.escalate(
                actor=specialist,
                ticket=ticket,
                to_level=Level.SECOND,
                reason=rng.choice(ESCALATIONS),
                team=self.teams[code, Level.SECOND],
            )
            worker = self.expert(code)
            if started:
                ticket = ops.take(actor=worker, ticket=ticket)
            else:
                ticket = ops.assign(actor=worker, ticket=ticket, team=ticket.team, assignee=worker)
        if fate in ("in_progress", "in_progress_l2"):
            if rng.random() < 0.3:
                ops.add_entry(
                    actor=worker, ticket=ticket, kind=EntryKind.NOTE, body=rng.choice(NOTES)
                )
            opened = self.ago(24 * 7, 24 * 14) if breached else self.ago(1, 40)
            self.story(ticket, Story(opened=opened, responded=self.after(opened, 5, 120)))
            return ticket
        if fate == "cancelled":
            ops.transition(actor=worker, ticket=ticket, action="cancel", note=CANCELLED)
            opened = self.ago(24 * 3, 24 * 60)
            responded = self.after(opened, 10, 200)
            self.story(
                ticket,
                Story(opened=opened, responded=responded, closed=self.after(responded, 60, 3000)),
            )
            return ticket
        if fate in ("waiting", "waiting_third"):
            if fate == "waiting":
                ops.add_entry(
                    actor=worker, ticket=ticket, kind=EntryKind.REPLY, body=rng.choice(QUESTIONS)
                )
            ops.transition(
                actor=worker,
                ticket=ticket,
                action="wait",
                note="" if fate == "waiting" else THIRD_PARTY,
                waiting_on=WaitingOn.RECIPIENT if fate == "waiting" else WaitingOn.THIRD_PARTY,
            )
            opened = self.ago(24 * 9, 24 * 14) if breached else self.ago(3, 60)
            responded = self.after(opened, 10, 120)
            self.story(
                ticket,
                Story(opened=opened, responded=responded, waiting=self.after(responded, 5, 90)),
            )
            return ticket
        # Resolved or closed: sometimes after a question, often with an article.
        if case.kind in (INC, REQ) and rng.random() < 0.12:
            ops.add_entry(
                actor=worker, ticket=ticket, kind=EntryKind.REPLY, body=rng.choice(QUESTIONS)
            )
            ops.add_entry(
                actor=None,
                ticket=ticket,
                kind=EntryKind.INCOMING,
                body=self.typed("Paldies, nosūtu pielikumā.", "email"),
            )
        if case.kind in (INC, REQ) and rng.random() < 0.25:
            article = self.article_for(ticket, worker)
            if article is not None:
                ops.use_article(actor=worker, ticket=ticket, article=article)
        # Complaints and suggestions: the resolution is the answer to the author.
        ticket = ops.transition(
            actor=worker, ticket=ticket, action="resolve", resolution=case.resolution
        )
        if fate in ("resolved", "resolved_l2"):
            opened = self.ago(20, 96)
            responded = self.after(opened, 5, 180)
            self.story(
                ticket,
                Story(opened=opened, responded=responded, resolved=self.after(responded, 30, 1500)),
            )
            return ticket
        ops.transition(actor=worker, ticket=ticket, action="close")
        opened = self.ago(24 * 7, 24 * 150)
        responded = self.after(opened, 5, 240)
        # Most are solved within a working day; some took days (those missed their SLA).
        resolved = responded + timedelta(
            minutes=rng.uniform(20, 600) if rng.random() < 0.8 else rng.uniform(1500, 9000)
        )
        self.story(
            ticket,
            Story(
                opened=opened,
                responded=responded,
                resolved=resolved,
                closed=resolved + timedelta(days=rng.choice([1, 2, 5, 5, 5])),
            ),
        )
        return ticket

    def ordinary_tickets(self) -> None:
        fates = {
            "new": 7,
            "assigned": 7,
            "in_progress": 10,
            "in_progress_l2": 4,
            "waiting": 6,
            "waiting_third": 3,
            "resolved": 9,
            "resolved_l2": 2,
            "closed": 43,
            "closed_l2": 7,
            "cancelled": 2,
        }
        names, weights = list(fates), list(fates.values())
        for code, count in ORDINARY.items():
            cases = [c for c in CASES if c.institution == code]
            case_weights = [3 if c.kind in (CMP, SUG) else 4 for c in cases]
            for _ in range(count):
                case = self.rng.choices(cases, case_weights)[0]
                fate = self.rng.choices(names, weights)[0]
                if case.kind in (CMP, SUG) and fate.endswith("_l2"):
                    fate = fate[:-3]
                self.ordinary(case, fate)

    # --- the shared desk -----------------------------------------------------------------

    def desk_tickets(self) -> None:
        rng = self.rng
        desk = self.institutions[DESK.code]
        consultant = self.user("konsultants")
        for n in range(DESK_COUNT):
            subject, body, owner, service_id, resolution = rng.choice(DESK_CASES)
            channel = rng.choice(["visitor_desk", "visitor_desk", "phone", "video", "email"])
            name, email = self.person()
            opened = self.ago(2, 24 * 40) if n % 3 else self.ago(1, 30)
            ticket = ops.open_ticket(
                actor=consultant,
                institution=desk,
                kind=REQ if rng.random() < 0.8 else INC,
                data=ops.TicketData(
                    subject=subject,
                    description=self.typed(body, channel),
                    channel=channel,
                    impact=3,
                    urgency=rng.choice([2, 3]),
                ),
                reporter=ops.Reporter(name=name, email=email if rng.random() < 0.8 else ""),
                team=self.teams[DESK.code, Level.FIRST],
                assignee=consultant if owner is None else None,
            )
            if owner is None:  # answered at the desk
                if n % 4:
                    ops.transition(
                        actor=consultant, ticket=ticket, action="resolve", resolution=resolution
                    )
                    resolved = self.after(opened, 5, 40)
                    story = Story(opened=opened, responded=resolved, resolved=resolved)
                    if self.now - resolved > timedelta(days=5):
                        ops.transition(actor=consultant, ticket=ticket, action="close")
                        story.closed = resolved + timedelta(days=5)
                    self.story(ticket, story)
                else:
                    self.story(ticket, Story(opened=opened))
                continue
            ticket = ops.hand_over(
                actor=consultant,
                ticket=ticket,
                institution=self.institutions[owner],
                reason=HANDED_OVER,
            )
            if n % 5 == 0:  # not yet picked up by the owner
                self.story(ticket, Story(opened=opened))
                continue
            worker = self.specialist(owner)
            ticket = ops.update_ticket(
                actor=worker,
                ticket=ticket,
                data=ops.TicketData(service=self.services.get(service_id or "")),
            )
            ticket = ops.assign(
                actor=worker, ticket=ticket, team=self.teams[owner, Level.FIRST], assignee=worker
            )
            responded = self.after(opened, 30, 600)
            if n % 3 == 0:
                self.story(ticket, Story(opened=opened, responded=responded))
                continue
            ticket = ops.transition(
                actor=worker, ticket=ticket, action="resolve", resolution=resolution
            )
            resolved = self.after(responded, 30, 2000)
            story = Story(opened=opened, responded=responded, resolved=resolved)
            if self.now - resolved > timedelta(days=5):
                ops.transition(actor=worker, ticket=ticket, action="close")
                story.closed = resolved + timedelta(days=5)
            self.story(ticket, story)

    # --- problems, known errors and changes ----------------------------------------------

    def problems_and_changes(self) -> None:
        rng = self.rng
        vra = self.institutions["vra"]
        problem_manager, change_manager = self.user("problemas"), self.user("izmainas")
        specialist, expert = self.user("atbalsts"), self.user("eksperts")

        # A known error: new documents are "not found" for a day; incidents are caused by it.
        problem = ops.open_ticket(
            actor=problem_manager,
            institution=vra,
            kind=Kind.PROBLEM,
            data=ops.TicketData(
                subject="Dokumentu derīguma pārbaude neatrod nesen izsniegtus dokumentus",
                description="Vairāki pieteikumi: pārbaudot dokumentu, kas izsniegts pēdējās "
                "24 stundās, atbilde ir „Dokuments nav atrasts”. Vecākiem dokumentiem pārbaude "
                "strādā.",
                service=self.services[DOC_CHECK],
                resource=self.resources["VRA-IS-003"],
                impact=2,
                urgency=2,
            ),
            team=self.teams["vra", Level.SECOND],
            assignee=problem_manager,
        )
        ops.transition(actor=problem_manager, ticket=problem, action="start")
        ops.record_known_error(
            actor=problem_manager,
            problem=problem,
            root_cause="Personu dokumentu sistēma nodod jaunos dokumentus derīguma pārbaudes "
            "datubāzei tikai nakts paketē, nevis uzreiz pēc izsniegšanas.",
            workaround="Ja dokuments izsniegts pēdējās 24 stundās, pārbaudiet to Personu "
            "dokumentu informācijas sistēmā un izsniedziet izziņu par dokumenta statusu "
            "(pakalpojums VRA-PAK-015). Klientam paskaidrojiet, ka nākamajā dienā pārbaude "
            "strādās.",
        )
        self.story(problem, Story(opened=self.now - timedelta(days=12)))
        known_error = Ticket.objects.get(pk=problem.pk).known_error_article
        for n in range(6):
            name, email = self.person()
            incident = ops.open_ticket(
                actor=None,
                institution=vra,
                kind=INC,
                data=ops.TicketData(
                    subject=self.typed(
                        rng.choice(
                            [
                                "Dokumentu pārbaude rāda „Dokuments nav atrasts”",
                                "Jaunā pase netiek atrasta pārbaudē",
                                "dokuments nav atrasts, lai gan izsniegts vakar",
                            ]
                        ),
                        "portal",
                    ),
                    description=self.typed(
                        "Pārbaudot klienta jauno pasi (izsniegta vakar), sistēma atbild "
                        "„Dokuments nav atrasts”. Vecajiem dokumentiem pārbaude strādā.",
                        "email",
                    ),
                    channel=rng.choice(["email", "portal"]),
                    service=self.services[DOC_CHECK],
                ),
                reporter=ops.Reporter(name=name, email=email.replace("@", "@banka.")),
            )
            ticket = ops.take(actor=specialist, ticket=incident)
            ops.link_tickets(
                actor=specialist, source=ticket, target=problem, kind=LinkKind.CAUSED_BY
            )
            opened = self.ago(24 * 2, 24 * 11)
            story = Story(opened=opened, responded=self.after(opened, 10, 90))
            if n < 4:
                ops.use_article(actor=specialist, ticket=ticket, article=known_error)
                ops.transition(
                    actor=specialist,
                    ticket=ticket,
                    action="resolve",
                    resolution="Izsniegta izziņa par dokumenta statusu (apiešanas risinājums no "
                    "zināmās kļūdas).",
                )
                story.resolved = self.after(story.responded or opened, 10, 120)
                if n < 2:
                    ops.transition(actor=specialist, ticket=ticket, action="close")
                    story.closed = story.resolved + timedelta(days=1)
            self.story(ticket, story)

        # A cause removed by a change: long addresses broke the statement PDF.
        problem2 = ops.open_ticket(
            actor=problem_manager,
            institution=vra,
            kind=Kind.PROBLEM,
            data=ops.TicketData(
                subject="Izziņas PDF netiek izveidots, ja adrese garāka par 120 rakstzīmēm",
                description="Izziņu modulis izveido tukšu PDF, ja deklarētā adrese ir ļoti "
                "gara (lauku adreses ar māju nosaukumiem).",
                service=self.services[SELF],
                resource=self.resources["VRA-APP-002"],
                impact=2,
                urgency=3,
            ),
            assignee=problem_manager,
        )
        ops.transition(actor=problem_manager, ticket=problem2, action="start")
        ops.update_ticket(
            actor=problem_manager,
            ticket=problem2,
            data=ops.TicketData(
                root_cause="PDF veidnē adreses laukam bija fiksēts garums bez teksta pārneses.",
                workaround="Izsniegt izziņu no rezerves veidnes klientu apkalpošanas darba vietā.",
            ),
        )
        fix = ops.open_ticket(
            actor=change_manager,
            institution=vra,
            kind=Kind.CHANGE,
            data=ops.TicketData(
                subject="Izziņu moduļa labojums: garu adrešu pārnese PDF veidnē",
                description="Veidnes labojums un regresijas testi visām izziņu veidnēm.",
                service=self.services[SELF],
                resource=self.resources["VRA-APP-002"],
                change_type=ChangeType.NORMAL,
                planned_start=self.local(-21, 18),
                planned_end=self.local(-21, 20),
                expected_downtime_minutes=0,
            ),
            assignee=expert,
        )
        ops.link_tickets(actor=problem_manager, source=problem2, target=fix, kind=LinkKind.FIXED_BY)
        ops.transition(actor=change_manager, ticket=fix, action="submit")
        ops.transition(actor=change_manager, ticket=fix, action="approve")
        ops.transition(actor=expert, ticket=fix, action="start")
        ops.transition(
            actor=expert,
            ticket=fix,
            action="resolve",
            resolution="Veidne labota, testi veiksmīgi; izziņas ar garām adresēm veidojas.",
        )
        ops.transition(actor=change_manager, ticket=fix, action="close")
        ops.transition(
            actor=problem_manager,
            ticket=problem2,
            action="resolve",
            resolution="Cēlonis novērsts ar izmaiņu; jauni gadījumi nav reģistrēti.",
        )
        ops.transition(actor=problem_manager, ticket=problem2, action="close")
        opened = self.ago(24 * 40, 24 * 40)
        self.story(problem2, Story(opened=opened, resolved=self.ago(24 * 19, 24 * 19)))
        problem2_closed = self.stories[problem2.pk]
        problem2_closed.closed = self.ago(24 * 14, 24 * 14)
        self.story(
            fix,
            Story(
                opened=self.ago(24 * 30, 24 * 30),
                approved=self.ago(24 * 25, 24 * 25),
                resolved=self.local(-21, 20),
                closed=self.ago(24 * 20, 24 * 20),
            ),
        )
        ops.draft_article(actor=expert, ticket=problem2)

        # The scheduled change: next week, a night window with expected downtime, approved.
        start = self.local(7 - timezone.localtime(self.now).weekday() + 5, 22)  # Saturday
        planned = ops.open_ticket(
            actor=change_manager,
            institution=vra,
            kind=Kind.CHANGE,
            data=ops.TicketData(
                subject="Reģistru lietojumserveru klastera operētājsistēmas atjaunināšana",
                description="Drošības atjauninājumi un operētājsistēmas versijas maiņa visiem "
                "klastera mezgliem. Darbu laikā e-pakalpojumi dzīvesvietas deklarēšanai un "
                "izziņām nebūs pieejami.",
                resource=self.resources["VRA-SRV-APP-01"],
                service=self.services[DECL],
                change_type=ChangeType.NORMAL,
                planned_start=start,
                planned_end=start + timedelta(hours=4),
                expected_downtime_minutes=120,
                impact=1,
                urgency=3,
            ),
            assignee=expert,
        )
        ops.transition(actor=change_manager, ticket=planned, action="submit")
        ops.transition(actor=change_manager, ticket=planned, action="approve")
        opened = self.ago(24 * 6, 24 * 6)
        self.story(planned, Story(opened=opened, approved=self.ago(24 * 2, 24 * 2)))

        # Awaiting approval: the new family declaration, the result of a suggestion.
        family = ops.open_ticket(
            actor=change_manager,
            institution=vra,
            kind=Kind.CHANGE,
            data=ops.TicketData(
                subject="Ģimenes locekļu dzīvesvietas deklarēšana vienā pieteikumā — jaunā "
                "e-pakalpojuma versija",
                description="Ieviest e-pakalpojuma versiju, kurā viens pieteikums aptver visus "
                "ģimenes locekļus.",
                service=self.services[FAMILY],
                change_type=ChangeType.NORMAL,
                planned_start=self.local(30, 21),
                planned_end=self.local(30, 23),
                expected_downtime_minutes=30,
            ),
        )
        ops.transition(actor=change_manager, ticket=family, action="submit")
        self.story(family, Story(opened=self.ago(24 * 3, 24 * 3)))
        suggestion = ops.open_ticket(
            actor=None,
            institution=vra,
            kind=SUG,
            data=ops.TicketData(
                subject="Deklarēt visu ģimeni vienā reizē",
                description="Labdien! Mums ir četri bērni, un deklarēt katru atsevišķi ir ļoti "
                "neērti. Vai nevarētu visu ģimeni vienā pieteikumā?",
                channel=Channel.PORTAL,
            ),
            reporter=ops.Reporter(name="Gunta Avotiņa", email="gunta.avotina@example.lv"),
        )
        ops.take(actor=specialist, ticket=suggestion)
        ops.link_tickets(actor=specialist, source=suggestion, target=family, kind=LinkKind.ACTION)
        ops.update_ticket(
            actor=specialist,
            ticket=suggestion,
            data=ops.TicketData(
                evaluation="Lietderīgs; iekļauts izmaiņu pieprasījumā.",
                answer="Paldies! Ierosinājums tiek īstenots; jaunā iespēja būs pieejama pēc "
                "e-pakalpojuma atjaunināšanas.",
            ),
        )
        ops.transition(actor=specialist, ticket=suggestion, action="resolve")
        opened = self.ago(24 * 4, 24 * 4)
        self.story(
            suggestion,
            Story(opened=opened, responded=self.after(opened, 60, 60), resolved=self.ago(50, 50)),
        )

        # Other institutions: a standard change, an emergency change, a rejected one.
        dpm, spa = self.institutions["dpm"], self.institutions["spa"]
        dpm_expert, dpm_manager = self.user("dpm_eksperts"), self.user("dpm_izmainas")
        standard = ops.open_ticket(
            actor=dpm_expert,
            institution=dpm,
            kind=Kind.CHANGE,
            data=ops.TicketData(
                subject="Datu apmaiņas kopnes servera sertifikāta plānotā atjaunošana",
                description="Standarta izmaiņa: sertifikāta nomaiņa bez pārtraukuma.",
                service=self.services["DPM-PAK-004"],
                resource=self.resources["DPM-IS-04"],
                change_type=ChangeType.STANDARD,
                planned_start=self.local(3, 7),
                planned_end=self.local(3, 8),
                expected_downtime_minutes=0,
            ),
            assignee=dpm_expert,
        )
        self.story(standard, Story(opened=self.ago(30, 30)))
        emergency = ops.open_ticket(
            actor=dpm_expert,
            institution=dpm,
            kind=Kind.CHANGE,
            data=ops.TicketData(
                subject="Portāla slodzes balansētāja konfigurācijas steidzama maiņa",
                description="Rīta slodzes laikā viens lietojumserveris saņem lielāko daļu "
                "pieprasījumu (kļūdas 504). Mainīt balansēšanas algoritmu.",
                service=self.services["DPM-PAK-003"],
                resource=self.resources["DPM-IS-03"],
                change_type=ChangeType.EMERGENCY,
                planned_start=self.local(-9, 12),
                planned_end=self.local(-9, 13),
                expected_downtime_minutes=5,
            ),
            assignee=dpm_expert,
        )
        ops.transition(actor=dpm_expert, ticket=emergency, action="submit")
        ops.transition(actor=dpm_manager, ticket=emergency, action="approve")
        ops.transition(actor=dpm_expert, ticket=emergency, action="start")
        ops.transition(
            actor=dpm_expert,
            ticket=emergency,
            action="resolve",
            resolution="Algoritms nomainīts uz „least connections”; 504 kļūdas vairs nav.",
        )
        self.story(
            emergency,
            Story(
                opened=self.local(-9, 11),
                approved=self.local(-9, 11) + timedelta(minutes=25),
                resolved=self.local(-9, 13),
            ),
        )
        spa_expert, spa_owner = self.user("spa_eksperts"), self.user("spa_vaditaja")
        rejected = ops.open_ticket(
            actor=spa_expert,
            institution=spa,
            kind=Kind.CHANGE,
            data=ops.TicketData(
                subject="Pabalstu datubāzes versijas atjaunināšana",
                description="Datubāzes pārvaldības sistēmas versijas maiņa; darbi ceturtdien "
                "no 13:00 līdz 15:00.",
                resource=self.resources["SPA-SRV-DB-01"],
                change_type=ChangeType.NORMAL,
                planned_start=self.local(2, 13),
                planned_end=self.local(2, 15),
                expected_downtime_minutes=120,
            ),
            assignee=spa_expert,
        )
        ops.transition(actor=spa_expert, ticket=rejected, action="submit")
        ops.transition(
            actor=spa_owner,
            ticket=rejected,
            action="reject",
            note="Pārtraukums darba laikā izmaksu nedēļā nav pieņemams; plānojiet nedēļas nogalē.",
        )
        self.story(rejected, Story(opened=self.ago(24 * 2, 24 * 2)))

        # Investigations under way at the other institutions.
        smart_id = ops.open_ticket(
            actor=dpm_expert,
            institution=dpm,
            kind=Kind.PROBLEM,
            data=ops.TicketData(
                subject="Smart-ID pieprasījumi periodiski netiek piegādāti",
                description="Vairāki pieteikumi nedēļā: Smart-ID pieprasījums nenonāk "
                "lietotnē. Jānoskaidro, vai cēlonis ir vārtejā vai pakalpojuma sniedzēja pusē.",
                service=self.services["DPM-PAK-001"],
                resource=self.resources["DPM-IS-01"],
                impact=2,
                urgency=2,
            ),
            team=self.teams["dpm", Level.SECOND],
            assignee=dpm_expert,
        )
        ops.transition(actor=dpm_expert, ticket=smart_id, action="start")
        self.story(smart_id, Story(opened=self.ago(24 * 5, 24 * 5)))
        for ticket in Ticket.objects.filter(
            institution=dpm, kind=INC, subject__icontains="smart-id"
        )[:4]:
            ops.link_tickets(
                actor=dpm_expert, source=ticket, target=smart_id, kind=LinkKind.CAUSED_BY
            )
        sms = ops.open_ticket(
            actor=spa_expert,
            institution=spa,
            kind=Kind.PROBLEM,
            data=ops.TicketData(
                subject="Pieraksta apstiprinājuma īsziņas netiek sūtītas uz ārvalstu numuriem",
                description="Klienti ar ārvalstu tālruņa numuriem nesaņem apstiprinājumu.",
                service=self.services["SPA-PAK-008"],
                resource=self.resources["SPA-APP-02"],
                impact=3,
                urgency=3,
            ),
            team=self.teams["spa", Level.SECOND],
        )
        self.story(sms, Story(opened=self.ago(24 * 8, 24 * 8)))

    # --- availability interruptions: a master incident and its reports ------------------

    def interruptions(self) -> None:
        rng = self.rng
        vra, spa = self.institutions["vra"], self.institutions["spa"]
        manager, specialist = self.user("incidenti"), self.user("atbalsts")
        began = self.now - timedelta(minutes=95)
        master = ops.open_ticket(
            actor=manager,
            institution=vra,
            kind=INC,
            data=ops.TicketData(
                subject="Dzīvesvietas deklarēšana tiešsaistē nav pieejama",
                description="Monitorings: e-pakalpojums atbild ar kļūdu 502 kopš plkst. "
                f"{timezone.localtime(began):%H:%M}. Skarti visi lietotāji.",
                channel=Channel.MONITORING,
                service=self.services[DECL],
                resource=self.resources["VRA-SRV-APP-01"],
                impact=1,
                urgency=1,
                interruption=True,
                interruption_start=began,
            ),
            team=self.teams["vra", Level.SECOND],
            assignee=manager,
        )
        ops.transition(actor=manager, ticket=master, action="start")
        self.story(master, Story(opened=began + timedelta(minutes=4)))
        reports = [
            ("nevar deklaret dzivesvietu, lapa nelādējas", "portal"),
            ("Dzīvesvietas deklarēšana rāda kļūdu 502", "email"),
            ("Klients zvana: nevar iesniegt deklarāciju", "phone"),
            ("Jūsu e-pakalpojums atkal nestrādā?!", "social"),
            ("Deklarēšana neiet cauri, virtuālais asistents nepalīdz", "assistant"),
            ("Kļūda 502 deklarējot dzīvesvietu", "portal"),
        ]
        for n, (subject, channel) in enumerate(reports):
            name, email = self.person()
            data = ops.TicketData(
                subject=subject,
                description=self.typed(
                    "Mēģinu deklarēt dzīvesvietu, bet lapa rāda kļūdu 502 Bad Gateway.", channel
                ),
                channel=channel,
                service=self.services[DECL],
            )
            if channel == "phone":
                report = ops.open_ticket(
                    actor=specialist,
                    institution=vra,
                    kind=INC,
                    data=data,
                    reporter=ops.Reporter(name=name, email=email),
                    team=self.teams["vra", Level.FIRST],
                )
            else:
                report = ops.open_ticket(
                    actor=None,
                    institution=vra,
                    kind=INC,
                    data=data,
                    reporter=ops.Reporter(name=name, email=email),
                )
            ops.set_master(actor=specialist, ticket=report, master=master)
            self.story(report, Story(opened=began + timedelta(minutes=10 + 12 * n)))
        ops.add_entry(
            actor=manager,
            ticket=master,
            kind=EntryKind.REPLY,
            body="Dzīvesvietas deklarēšanas e-pakalpojumā ir traucējumi. Strādājam pie to "
            "novēršanas; dzīvesvietu var deklarēt jebkurā klientu apkalpošanas centrā. "
            "Atvainojamies par neērtībām.",
        )
        ops.add_entry(
            actor=manager,
            ticket=master,
            kind=EntryKind.NOTE,
            body="Lietojumserveru klasterī viens mezgls neatbild; notiek pārslēgšana.",
            minutes=45,
        )
        self.stories[master.pk].responded = began + timedelta(minutes=15)

        # A past interruption at the benefits agency, resolved and closed with its reports.
        spa_expert = self.user("spa_eksperts")
        began = (self.now - timedelta(days=25)).replace(hour=10, minute=12, second=0)
        ended = began + timedelta(hours=2, minutes=5)
        past = ops.open_ticket(
            actor=spa_expert,
            institution=spa,
            kind=INC,
            data=ops.TicketData(
                subject="E-pakalpojumu klientu portāls nav pieejams",
                description="Portāls atbild ar kļūdu 503; pabalstu pieprasījumus nevar iesniegt.",
                channel=Channel.MONITORING,
                service=self.services[STATUS],
                resource=self.resources["SPA-APP-01"],
                impact=1,
                urgency=1,
                interruption=True,
                interruption_start=began,
                interruption_end=ended,
            ),
            team=self.teams["spa", Level.SECOND],
            assignee=spa_expert,
        )
        ops.transition(actor=spa_expert, ticket=past, action="start")
        past_reports = []
        for _ in range(4):
            name, email = self.person()
            report = ops.open_ticket(
                actor=None,
                institution=spa,
                kind=INC,
                data=ops.TicketData(
                    subject=self.typed(
                        rng.choice(["Nevar iesniegt pabalsta pieprasījumu", "portāls neatveras"]),
                        "portal",
                    ),
                    description=self.typed(
                        "Portāls rāda kļūdu 503, mēģināju vairākas reizes.", "email"
                    ),
                    channel=rng.choice(["portal", "email", "social"]),
                    service=self.services[STATUS],
                ),
                reporter=ops.Reporter(name=name, email=email),
            )
            ops.set_master(actor=spa_expert, ticket=report, master=past)
            past_reports.append(report)
        ops.transition(
            actor=spa_expert,
            ticket=past,
            action="resolve",
            resolution="Pārpildījās lietojumservera diska nodalījums ar žurnālfailiem; vieta "
            "atbrīvota, žurnālu rotācija labota. Portāls pieejams.",
        )
        ops.transition(actor=spa_expert, ticket=past, action="close")
        self.story(
            past,
            Story(
                opened=began + timedelta(minutes=3),
                responded=began + timedelta(minutes=8),
                resolved=ended,
                closed=ended + timedelta(days=2),
            ),
        )
        for n, report in enumerate(past_reports):
            self.story(
                report,
                Story(
                    opened=began + timedelta(minutes=15 + 20 * n),
                    responded=ended,
                    resolved=ended,
                    closed=ended + timedelta(days=2),
                ),
            )
        ops.draft_article(actor=spa_expert, ticket=past)

    # --- a merged duplicate --------------------------------------------------------------

    def duplicate(self) -> None:
        vra, specialist = self.institutions["vra"], self.user("kontaktcentrs")
        reporter = ops.Reporter(name="Marta Grīnberga", email="marta.grinberga@example.lv")
        body = (
            "Labdien! Lūdzu labot manu uzvārdu reģistrā pēc laulībām, laulības apliecība "
            "pielikumā. Marta Grīnberga"
        )
        kept = ops.open_ticket(
            actor=None,
            institution=vra,
            kind=REQ,
            data=ops.TicketData(
                subject="Uzvārda maiņa pēc laulībām",
                description=body,
                channel=Channel.EMAIL,
                service=self.services["VRA-PAK-007"],
            ),
            reporter=reporter,
        )
        copy = ops.open_ticket(
            actor=None,
            institution=vra,
            kind=REQ,
            data=ops.TicketData(
                subject="uzvarda maina pec laulibam",
                description=plain(body),
                channel=Channel.PORTAL,
                service=self.services["VRA-PAK-007"],
            ),
            reporter=reporter,
        )
        kept = ops.take(actor=specialist, ticket=kept)
        ops.merge(actor=specialist, duplicate=copy, into=kept)
        opened = self.ago(30, 30)
        self.story(kept, Story(opened=opened, responded=self.after(opened, 60, 60)))
        self.story(
            copy, Story(opened=opened + timedelta(minutes=7), closed=self.after(opened, 62, 62))
        )

    # --- level 0 -------------------------------------------------------------------------

    def self_service(self) -> None:
        rng = self.rng
        for n in range(SELF_SERVICE_COUNT):
            code, service_id, query = rng.choice(SELF_SERVICE)
            service = self.services.get(service_id or "")
            public = [a for a in self.articles.get(service_id or "", []) if a.audience == "public"]
            ticket = ops.record_self_service(
                institution=self.institutions[code],
                subject=query if n % 3 else query.capitalize(),
                channel=rng.choice([Channel.PORTAL, Channel.ASSISTANT, Channel.ASSISTANT]),
                service=service,
                article=rng.choice(public) if public else None,
            )
            opened = self.ago(1, 24 * 60)
            self.story(ticket, Story(opened=opened, resolved=opened, closed=opened))

    # --- the past ------------------------------------------------------------------------

    def place_in_time(self) -> None:
        """Move every demo ticket and its work log to the moments of its story, and
        recompute its SLA due times from the new start."""
        tickets = list(
            Ticket.objects.filter(pk__in=self.stories)
            .select_related("service__service_level")
            .prefetch_related("service__service_level__targets")
        )
        entries: dict[int, list[TicketEntry]] = defaultdict(list)
        for entry in TicketEntry.objects.filter(ticket_id__in=self.stories).order_by("pk"):
            entries[entry.ticket_id].append(entry)
        for ticket in tickets:
            story = self.stories[ticket.pk]
            ticket.created_at = ticket.sla_start = story.opened
            if ticket.responded_at is not None:
                ticket.responded_at = story.responded or story.resolved or story.opened
            if ticket.waiting_since is not None:
                ticket.waiting_since = story.waiting or story.opened
            if ticket.resolved_at is not None:
                ticket.resolved_at = story.resolved or story.closed or story.opened
            if ticket.closed_at is not None:
                ticket.closed_at = story.closed or story.resolved or story.opened
            if ticket.approved_at is not None:
                ticket.approved_at = story.approved or story.opened
            if ticket.interruption and ticket.interruption_end is not None:
                ticket.interruption_end = story.resolved or ticket.interruption_end
            ticket.paused_minutes = 0
            sla.recompute(ticket)
            last = _place_entries(entries[ticket.pk], story, self.now)
            ticket.updated_at = max(last, story.opened)
        fields = [
            "created_at",
            "updated_at",
            "sla_start",
            "responded_at",
            "waiting_since",
            "resolved_at",
            "closed_at",
            "approved_at",
            "interruption_end",
            "paused_minutes",
            "response_due",
            "resolution_due",
        ]
        for ticket in tickets:
            Ticket.objects.filter(pk=ticket.pk).update(**{f: getattr(ticket, f) for f in fields})
        TicketEntry.objects.bulk_update(
            [e for rows in entries.values() for e in rows], ["created_at"], batch_size=1000
        )


# Work-log events that happen at a known moment of the story.
_ANCHORS = {
    "opened": "opened",
    "resolve": "resolved",
    "close": "closed",
    "cancel": "closed",
    "merged_into": "closed",
    "wait": "waiting",
    "approve": "approved",
    "self_service": "opened",
}


def _place_entries(rows: list[TicketEntry], story: Story, now: datetime) -> datetime:
    """Spread a ticket's work log over its story: anchored events at their moments, the rest
    evenly between the anchors around them. Returns the time of the last entry."""
    if not rows:
        return story.opened
    end = story.closed or story.resolved or story.waiting or story.responded or story.opened
    if end == story.opened and not (story.closed or story.resolved):
        end = min(now - timedelta(minutes=1), story.opened + timedelta(hours=2))
    anchors: list[datetime | None] = [
        getattr(story, _ANCHORS[e.verb]) if e.verb in _ANCHORS else None for e in rows
    ]
    first = anchors[0] or story.opened
    anchors[0] = first
    last = anchors[-1] or max(end, first)
    anchors[-1] = last
    known = [(i, t) for i, t in enumerate(anchors) if t is not None]
    placed: list[datetime] = []
    for (i, low), (j, high) in itertools.pairwise(known):
        step = (high - low) / (j - i) if high > low else timedelta(0)
        placed.extend(low + step * k for k in range(j - i))
    placed.append(last)
    previous = first
    for entry, at in zip(rows, placed, strict=True):
        previous = max(previous, at)
        entry.created_at = previous
    return previous


def load_ticket_demo(
    root: User, *, seed: int = SEED, at: datetime | None = None
) -> list[tuple[str, str]]:
    """Load the demo tickets (after the catalog and the articles); returns (username,
    description) of the extra demo logins to print. Only staff and teams are checked when
    tickets already exist."""
    with transaction.atomic(), notifications.muted():
        loader = _Loader(root, at or timezone.now(), seed)
        loader.staff()
        if not Ticket.objects.exists():
            loader.load_articles()
            loader.ordinary_tickets()
            loader.desk_tickets()
            loader.problems_and_changes()
            loader.interruptions()
            loader.duplicate()
            loader.self_service()
            loader.place_in_time()
            ops.check_sla(loader.now)
    by_username = {row[0]: row for row in STAFF}
    logins = []
    for username in PRINTED:
        _, _, _, code, role, _ = by_username[username]
        logins.append(
            (username, f"{Role(role).label} — {Institution.objects.get(code=code).short_name}")
        )
    return logins

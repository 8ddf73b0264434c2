"""A synthetic service-desk corpus in Latvian and English, for the search benchmark.

The vocabulary is real: Latvian and English service-desk words with their inflected forms
(Latvian case endings, diacritics; English plurals and verb forms), function words, Latvian
place names, products and surnames, plus a long tail of identifiers (error codes, host
names, ticket numbers, versions) such as real tickets carry. Words are drawn with Zipf-like
frequencies (weight 1/rank): a few words are in most documents, most words in few.

Everything is seeded: the same seed yields the same corpus and the same queries.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from dataclasses import dataclass, field

# One lemma a line, its inflected forms after it; the first forms are the commonest.
LV_CONTENT = """
parole paroles paroli parolei parolē paroļu parolēm parolēs
lietotājs lietotāja lietotājam lietotāju lietotājā lietotāji lietotājiem lietotājus lietotāju
konts konta kontam kontu kontā konti kontiem kontus
printeris printera printerim printeri printerī printeru printeriem printeros
serveris servera serverim serveri serverī serveru serveriem serveros
dators datora datoram datoru datorā datori datoriem datorus
tīkls tīkla tīklam tīklu tīklā tīkli tīklos
savienojums savienojuma savienojumam savienojumu savienojumā savienojumi savienojumus
pieslēgums pieslēguma pieslēgumu pieslēgumā pieslēgumi
pasts pasta pastam pastu pastā
vēstule vēstules vēstulei vēstuli vēstulē vēstuļu vēstulēm
pielikums pielikuma pielikumu pielikumā pielikumi pielikumus
fails faila failam failu failā faili failiem failus
mape mapes mapei mapi mapē mapju mapēs
kļūda kļūdas kļūdai kļūdu kļūdā kļūdām kļūdu
paziņojums paziņojuma paziņojumu paziņojumā paziņojumi paziņojumus
pieteikums pieteikuma pieteikumam pieteikumu pieteikumā pieteikumi pieteikumus
pakalpojums pakalpojuma pakalpojumam pakalpojumu pakalpojumā pakalpojumi pakalpojumiem
sistēma sistēmas sistēmai sistēmu sistēmā sistēmām
programma programmas programmai programmu programmā programmām
lietotne lietotnes lietotnei lietotni lietotnē lietotņu lietotnēm
piekļuve piekļuves piekļuvei piekļuvi piekļuvē
tiesības tiesību tiesībām tiesībās
atļauja atļaujas atļaujai atļauju atļaujā atļaujām
iestatījumi iestatījumu iestatījumos iestatījumus iestatījums
ierīce ierīces ierīcei ierīci ierīcē ierīču ierīcēm
tālrunis tālruņa tālrunim tālruni tālrunī tālruņi tālruņu
telefons telefona telefonam telefonu telefonā telefoni
monitors monitora monitoru monitorā monitori
klaviatūra klaviatūras klaviatūru klaviatūrā
pele peles pelei peli pelē
disks diska diskam disku diskā diski diskos
atmiņa atmiņas atmiņai atmiņu atmiņā
vieta vietas vietai vietu vietā vietām
datubāze datubāzes datubāzei datubāzi datubāzē datubāzu datubāzēm
kopija kopijas kopijai kopiju kopijā kopijām
atjauninājums atjauninājuma atjauninājumu atjauninājumā atjauninājumi atjauninājumus
versija versijas versijai versiju versijā versijām
licence licences licencei licenci licencē licenču
sertifikāts sertifikāta sertifikātam sertifikātu sertifikātā sertifikāti
paraksts paraksta parakstu parakstā paraksti
dokuments dokumenta dokumentam dokumentu dokumentā dokumenti dokumentiem dokumentus
līgums līguma līgumam līgumu līgumā līgumi
rēķins rēķina rēķinam rēķinu rēķinā rēķini rēķinus
maksājums maksājuma maksājumu maksājumā maksājumi
iestāde iestādes iestādei iestādi iestādē iestāžu iestādēm
nodaļa nodaļas nodaļai nodaļu nodaļā nodaļām
darbinieks darbinieka darbiniekam darbinieku darbiniekā darbinieki darbiniekiem darbiniekus
klients klienta klientam klientu klienti klientiem
iedzīvotājs iedzīvotāja iedzīvotājam iedzīvotāju iedzīvotāji iedzīvotājiem
uzņēmums uzņēmuma uzņēmumam uzņēmumu uzņēmumā uzņēmumi
portāls portāla portālam portālu portālā
vietne vietnes vietnei vietni vietnē vietņu
lapa lapas lapai lapu lapā lapām
saite saites saitei saiti saitē saišu
pārlūks pārlūka pārlūkam pārlūku pārlūkā
pārlūkprogramma pārlūkprogrammas pārlūkprogrammu pārlūkprogrammā
sesija sesijas sesijai sesiju sesijā
autentifikācija autentifikācijas autentifikāciju autentifikācijā
pieteikšanās pieteikšanos
ekrāns ekrāna ekrānam ekrānu ekrānā ekrāni
logs loga logam logu logā logi
poga pogas pogai pogu pogā pogām
lauks lauka laukam lauku laukā lauki laukos
veidlapa veidlapas veidlapai veidlapu veidlapā veidlapām
pārskats pārskata pārskatam pārskatu pārskatā pārskati
atskaite atskaites atskaitei atskaiti atskaitē atskaišu
dati datu datiem datus datos
ieraksts ieraksta ierakstam ierakstu ierakstā ieraksti ierakstus
reģistrs reģistra reģistram reģistru reģistrā
pieprasījums pieprasījuma pieprasījumam pieprasījumu pieprasījumā pieprasījumi
incidents incidenta incidentam incidentu incidentā incidenti
problēma problēmas problēmai problēmu problēmā problēmām
traucējums traucējuma traucējumam traucējumu traucējumā traucējumi traucējumus
pārtraukums pārtraukuma pārtraukumu pārtraukumā pārtraukumi
risinājums risinājuma risinājumam risinājumu risinājumā risinājumi
cēlonis cēloņa cēlonim cēloni cēlonī cēloņi cēloņu
iemesls iemesla iemeslam iemeslu iemesli
instrukcija instrukcijas instrukcijai instrukciju instrukcijā instrukcijām
rokasgrāmata rokasgrāmatas rokasgrāmatu rokasgrāmatā
jautājums jautājuma jautājumam jautājumu jautājumā jautājumi
atbilde atbildes atbildei atbildi atbildē atbilžu
darbs darba darbam darbu darbā
kods koda kodam kodu kodā kodi
numurs numura numuram numuru numurā numuri
adrese adreses adresei adresi adresē adrešu
grupa grupas grupai grupu grupā grupām
loma lomas lomai lomu lomā lomām
lietojumprogramma lietojumprogrammas lietojumprogrammu lietojumprogrammā
viedkarte viedkartes viedkartei viedkarti viedkartē
karte kartes kartei karti kartē karšu
kalendārs kalendāra kalendāram kalendāru kalendārā
sapulce sapulces sapulcei sapulci sapulcē sapulču
tiešsaiste tiešsaistes tiešsaistē
drukāšana drukāšanas drukāšanai drukāšanu drukāšanā
skenēšana skenēšanas skenēšanu
instalēšana instalēšanas instalēšanu instalēšanā
zināšanas zināšanu zināšanām
darbstacija darbstacijas darbstacijai darbstaciju darbstacijā darbstacijām
klēpjdators klēpjdatora klēpjdatoram klēpjdatoru klēpjdatorā klēpjdatori
draiveris draivera draiverim draiveri draiverī draiveru
ugunsmūris ugunsmūra ugunsmūrim ugunsmūri ugunsmūrī
starpniekserveris starpniekservera starpniekserveri
domēns domēna domēnam domēnu domēnā
direktorijs direktorija direktorijam direktoriju direktorijā
termiņš termiņa termiņam termiņu termiņā termiņi
prioritāte prioritātes prioritātei prioritāti prioritātē
statuss statusa statusam statusu statusā
pārbaude pārbaudes pārbaudei pārbaudi pārbaudē pārbaužu
apstiprinājums apstiprinājuma apstiprinājumu apstiprinājumā
brīdinājums brīdinājuma brīdinājumu brīdinājumā brīdinājumi
ziņojums ziņojuma ziņojumam ziņojumu ziņojumā ziņojumi
kārtība kārtības kārtībai kārtību kārtībā
diena dienas dienai dienu dienā dienām
stunda stundas stundai stundu stundā stundām
minūte minūtes minūti minūtē minūšu
nedēļa nedēļas nedēļai nedēļu nedēļā
laiks laika laikam laiku laikā
ātrums ātruma ātrumu
kvota kvotas kvotu kvotā
pastkaste pastkastes pastkastei pastkasti pastkastē
kopīgošana kopīgošanas kopīgošanu
dublēšana dublēšanas dublēšanu
šifrēšana šifrēšanas šifrēšanu
deklarācija deklarācijas deklarācijai deklarāciju deklarācijā
izziņa izziņas izziņai izziņu izziņā
pabalsts pabalsta pabalstam pabalstu pabalsti
pase pases pasei pasi pasē
nodoklis nodokļa nodoklim nodokli nodoklī nodokļi nodokļu
var nevar varēja nevarēja nevaru varat
pieslēgties pieslēdzas pieslēdzos nepieslēdzas pieslēdzās
atvērt atver atveras neatveras atvēra atvēru atverot
darboties darbojas nedarbojas darbojās
strādāt strādā nestrādā strādāja
drukāt drukā nedrukā drukāja
nosūtīt nosūta nosūtīja nenosūta nosūtot
saņemt saņem nesaņem saņēma saņemot
ielādēt ielādē neielādējas ielādējas ielādēja
lejupielādēt lejupielādē lejupielādēja
augšupielādēt augšupielādē augšupielādēja
instalēt instalē instalēja instalējiet
restartēt restartē restartējiet restartēja
atjaunināt atjaunina atjauniniet atjaunināja
nomainīt nomaina nomainiet nomainīja
atiestatīt atiestata atiestatiet atiestatīja
pārbaudīt pārbauda pārbaudiet pārbaudīja
ievadīt ievada ievadiet ievadīja
saglabāt saglabā nesaglabā saglabājiet saglabāja
dzēst dzēš izdzēsa dzēsiet
bloķēt bloķē bloķēts bloķēja atbloķēt
pazust pazūd pazuda pazudis
rādīt rāda nerāda parāda parādās neparādās
sinhronizēt sinhronizē nesinhronizējas
iestatīt iestata iestatiet
sazināties sazinieties
piešķirt piešķir piešķīra
apstiprināt apstiprina apstipriniet
aizpildīt aizpilda aizpildiet
meklēt meklē meklējiet
atrast atrod neatrod atrada
izveidot izveido izveidojiet izveidoja
pievienot pievieno pievienojiet
noņemt noņem noņemiet
aizvērt aizver aizveriet
mēģināt mēģina mēģiniet mēģināja
gaidīt gaida gaidiet
izmantot izmanto izmantojiet
palaist palaiž palaidiet
apturēt aptur apturēja
novērst novērš novērsa novērsts
ziņot ziņo ziņojiet
jauns jauna jaunu jaunā jaunais jaunās jaunie
vecs veca vecā veco
lēns lēni lēnā lēnu
nepareizs nepareiza nepareizu nepareizi
derīgs derīga nederīgs nederīga
pieejams pieejama nepieejams nepieejama
aktīvs aktīva neaktīva
obligāts obligāta obligāti
elektronisks elektroniskā elektronisko elektroniski
attālināts attālinātā attālināti attālinātais
drošs droša drošā droši
iekšējs iekšējā iekšējo
ārējs ārējā ārējo
vienots vienotā vienoto
mobilais mobilā mobilo
tīmeklis tīmekļa tīmeklī
automātiski automātisks automātiskā
atkārtoti
joprojām
vairs
pagaidu
bezvadu
"""

# High-frequency Latvian words (most are stop words for the analyzer).
LV_FUNCTION = (
    "un ir nav uz ar no par pie lai kā ka vai bet arī tiek tas tā šis pēc līdz kad ja jo kas "
    "kur to tad vēl jau ļoti lūdzu paldies savu mūsu jūsu man tikai"
)
LV_PLACES = """
Rīga Rīgā Rīgas
Daugavpils Daugavpilī
Liepāja Liepājā Liepājas
Jelgava Jelgavā Jelgavas
Jūrmala Jūrmalā
Ventspils Ventspilī
Rēzekne Rēzeknē
Valmiera Valmierā
Cēsis Cēsīs
Ogre Ogrē
Tukums Tukumā
Sigulda Siguldā
Kuldīga Kuldīgā
Talsi Talsos
Jēkabpils Jēkabpilī
Bauska Bauskā
Dobele Dobelē
Madona Madonā
Gulbene Gulbenē
Alūksne Alūksnē
Ludza Ludzā
Krāslava Krāslavā
Smiltene Smiltenē
Līvāni Līvānos
Saldus Saldū
Aizkraukle Aizkrauklē
"""
SURNAMES = (
    "Bērziņš Kalniņš Ozoliņš Jansons Ozols Liepiņš Krūmiņš Balodis Eglītis Zariņš Pētersons "
    "Vītols Kļaviņš Kārkliņš Vanags Lācis Miezis Zvirbulis Kalējs Šmits Grīnbergs Āboliņš "
    "Bērziņa Kalniņa Ozoliņa Liepiņa Krūmiņa Eglīte Zariņa Vītola Kļaviņa Lāce Šulce Āboliņa"
)
PRODUCTS = (
    "Outlook Teams Windows Excel Word SharePoint OneDrive Chrome Firefox Edge VPN Wi-Fi Citrix "
    "SAP eParaksts Latvija.lv DocLogix Namejs Horizon Linux Ubuntu Android iPhone Zoom Adobe "
    "Acrobat Java Oracle PostgreSQL Active-Directory Exchange Office365 Moodle Jira Confluence"
)

EN_CONTENT = """
password passwords
user users
account accounts
printer printers printing print printed prints
server servers
computer computers
laptop laptops
network networks
connection connections connect connected connecting connects
email emails e-mail
mailbox mailboxes
attachment attachments
file files
folder folders
error errors
message messages
request requests requested
service services
system systems
application applications app apps
access accessed accessing
permission permissions
setting settings
device devices
phone phones
monitor monitors
screen screens display
keyboard keyboards
mouse
disk disks drive drives
memory
space
database databases
backup backups
update updates updated updating
upgrade upgraded
version versions
license licenses licence
certificate certificates
expired expires expiry
signature signatures signing signed
document documents
contract contracts
invoice invoices
payment payments
institution institutions
department departments
employee employees
customer customers
resident residents
company companies
portal portals
website websites site
page pages
link links
browser browsers
session sessions
authentication authenticate
login log logged logging
window windows
button buttons
field fields
form forms
report reports reporting
data
record records
registry registries
incident incidents
problem problems
issue issues
outage outages
interruption interruptions
solution solutions solve solved
cause causes caused
workaround workarounds
instruction instructions
guide guides
question questions
answer answers
code codes
number numbers
address addresses
group groups
role roles
card cards
calendar calendars
meeting meetings
online offline
install installed installing installation
restart restarted reboot rebooting
reset resetting
change changed changes
check checking checked
enter entered
save saved saving
delete deleted deleting
lock locked locking unlock unlocked
show shows showing shown
sync syncing synchronize
configure configured configuration
contact contacted
grant granted
approve approved approval
fill filled
search searching
find found
create created
add added
remove removed
close closed
open opens opened opening
fail fails failed failing failure
work works working
slow slowly
wrong incorrect invalid
available unavailable
active inactive
required
electronic
remote remotely
secure security
internal external
mobile
wireless
automatically
again
still
unable
timeout
freeze freezes frozen
crash crashes crashed
stuck
blank
missing
duplicate duplicates
quota exceeded
encrypt encrypted encryption
proxy
firewall firewalls
domain domains
directory
driver drivers
deadline deadlines
priority
status
warning warnings
notification notifications
day days
hour hours
minute minutes
morning
week weeks
time
speed
"""
EN_FUNCTION = (
    "the a an to of and is in for on with not it this that be are was from by at or as can "
    "after when if you your we our has have been please"
)

# Article types and what they look like (fields that carry text).
ARTICLE_TYPES = (
    ("solution", 0.30),
    ("workaround", 0.10),
    ("known_error", 0.12),
    ("instruction", 0.18),
    ("faq", 0.18),
    ("process", 0.04),
    ("change_notice", 0.04),
    ("interruption_report", 0.04),
)
AUDIENCES = (("public", 0.40), ("internal", 0.45), ("experts", 0.10), ("partners", 0.05))


def fold(text: str) -> str:
    """Diacritics off (what someone types on a keyboard without the Latvian layout)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass
class Vocabulary:
    """Surface forms of one language with Zipf weights (cumulative, for ``rng.choices``)."""

    forms: list[str]
    cum: list[float]
    content: list[str]  # content forms, commonest first
    content_cum: list[float]
    rank: dict[str, int] = field(default_factory=dict)  # content form → rank (0 = commonest)

    def words(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.forms, cum_weights=self.cum, k=n)

    def content_words(self, rng: random.Random, n: int) -> list[str]:
        return rng.choices(self.content, cum_weights=self.content_cum, k=n)


def _zipf_forms(lemmas: list[list[str]], offset: int) -> list[tuple[str, float]]:
    """Lemma i weighs 1/(i+offset); its forms share that weight, the first forms most."""
    weighted: list[tuple[str, float]] = []
    for i, forms in enumerate(lemmas):
        lemma_weight = 1.0 / (i + offset)
        shares = [1.0 / (j + 1) for j in range(len(forms))]
        total = sum(shares)
        weighted += [
            (form, lemma_weight * s / total) for form, s in zip(forms, shares, strict=True)
        ]
    return weighted


def _vocabulary(
    rng: random.Random,
    content: str,
    function: str,
    extras: list[tuple[list[list[str]], float]],
) -> Vocabulary:
    lemmas = [line.split() for line in content.strip().splitlines()]
    rng.shuffle(lemmas)  # which words are common is arbitrary but fixed by the seed
    # Names (products, places, people) go below the first ``start`` share of the ranks.
    for group, start in extras:
        for forms in group:
            lemmas.insert(rng.randint(int(len(lemmas) * start), len(lemmas)), forms)
    content_weights = _zipf_forms(lemmas, offset=3)
    # Function words take the top ranks: roughly a third of running text, as in real prose.
    function_words = function.split()
    function_weights = [(w, 0.9 / (i + 1)) for i, w in enumerate(function_words)]
    scale = sum(w for _, w in content_weights) / sum(w for _, w in function_weights) * 0.55
    both = [(w, x * scale) for w, x in function_weights] + content_weights
    content_sorted = sorted(content_weights, key=lambda p: -p[1])
    return Vocabulary(
        forms=[w for w, _ in both],
        cum=list(itertools.accumulate(x for _, x in both)),
        content=[w for w, _ in content_sorted],
        content_cum=list(itertools.accumulate(x for _, x in content_sorted)),
        rank={w: i for i, (w, _) in enumerate(content_sorted)},
    )


@dataclass
class Tail:
    """A long tail of identifiers: each kind Zipf-distributed over a large space."""

    kinds: list[tuple[str, list[str], list[float]]]

    def pick(self, rng: random.Random) -> str:
        _, values, cum = rng.choice(self.kinds)
        return rng.choices(values, cum_weights=cum, k=1)[0]

    def rare(self, rng: random.Random) -> str:
        """An identifier from deep in the tail (present in a handful of documents)."""
        _, values, _ = rng.choice(self.kinds)
        return values[rng.randrange(len(values) // 20, len(values) // 4)]


def _tail(rng: random.Random, scale: int) -> Tail:
    def zipf(values: list[str]) -> tuple[list[str], list[float]]:
        return values, list(itertools.accumulate(1.0 / (i + 2) for i in range(len(values))))

    n = max(2000, scale // 20)
    hexes = rng.sample(range(0x10000), min(n, 0x10000))
    apps = [
        "db",
        "web",
        "app",
        "mail",
        "file",
        "print",
        "dc",
        "vpn",
        "proxy",
        "sql",
        "erp",
        "dms",
        "crm",
        "gis",
        "hr",
    ]
    kinds = [
        ("hex", *zipf([f"0x8007{h:04X}" for h in hexes])),
        ("err", *zipf([f"ERR-{rng.randrange(10_000, 99_999)}" for _ in range(n)])),
        ("host", *zipf([f"srv-{rng.choice(apps)}-{i:03d}" for i in range(n // 4)])),
        ("inc", *zipf([f"INC{rng.randrange(100_000, 999_999)}" for _ in range(n * 4)])),
        (
            "ver",
            *zipf(
                [
                    f"v{rng.randrange(1, 13)}.{rng.randrange(10)}.{rng.randrange(30)}"
                    for _ in range(n // 10)
                ]
            ),
        ),
    ]
    return Tail(kinds)


@dataclass
class Doc:
    language: str
    title: str
    symptoms: str = ""
    environment: str = ""
    cause: str = ""
    resolution: str = ""
    body: str = ""
    keywords: str = ""


class Corpus:
    """Titles (~6 words) and bodies (~60–120 words over the article's fields)."""

    def __init__(self, seed: int = 42, scale: int = 100_000) -> None:
        rng = random.Random(seed)
        places = [line.split() for line in LV_PLACES.strip().splitlines()]
        names = [[w] for w in SURNAMES.split()]
        products = [[w] for w in PRODUCTS.split()]
        self.vocab = {
            "lv": _vocabulary(
                rng,
                LV_CONTENT,
                LV_FUNCTION,
                [(products, 0.05), (places, 0.3), (names, 0.5)],
            ),
            "en": _vocabulary(rng, EN_CONTENT, EN_FUNCTION, [(products, 0.05), (names[:12], 0.5)]),
        }
        self.tail = _tail(rng, scale)

    def _sentences(self, rng: random.Random, language: str, n: int) -> str:
        vocab = self.vocab[language]
        words = vocab.words(rng, n)
        if rng.random() < 0.35:  # identifiers: error codes, hosts, ticket numbers, versions
            for _ in range(rng.randint(1, 2)):
                words[rng.randrange(n)] = self.tail.pick(rng)
        out: list[str] = []
        i = 0
        while i < n:
            length = rng.randint(6, 14)
            sentence = words[i : i + length]
            sentence[0] = sentence[0][:1].upper() + sentence[0][1:]
            if len(sentence) > 7 and rng.random() < 0.4:
                sentence[len(sentence) // 2] += ","
            out.append(" ".join(sentence) + ".")
            i += length
        return " ".join(out)

    def title(self, rng: random.Random, language: str) -> str:
        vocab = self.vocab[language]
        words = vocab.content_words(rng, rng.randint(4, 8))
        if rng.random() < 0.3:  # "Printeris nedrukā no Outlook" — a function word inside
            words.insert(rng.randrange(1, len(words)), vocab.words(rng, 1)[0])
        if rng.random() < 0.12:
            words.append(self.tail.pick(rng))
        words[0] = words[0][:1].upper() + words[0][1:]
        return " ".join(words)

    def article(self, rng: random.Random, language: str, type_: str) -> Doc:
        total = rng.randint(60, 120)
        vocab = self.vocab[language]
        doc = Doc(language=language, title=self.title(rng, language))
        doc.keywords = ", ".join(dict.fromkeys(vocab.content_words(rng, rng.randint(2, 5))))
        if type_ in ("solution", "workaround", "known_error", "interruption_report"):
            parts = {"symptoms": 0.25, "cause": 0.15, "resolution": 0.35, "body": 0.25}
            if type_ != "interruption_report":
                doc.environment = " ".join(vocab.content_words(rng, rng.randint(2, 5)))
        elif type_ == "faq":
            parts = {"resolution": 0.3, "body": 0.7}
        elif type_ == "change_notice":
            parts = {"symptoms": 0.4, "body": 0.6}
        else:
            parts = {"body": 1.0}
            doc.environment = " ".join(vocab.content_words(rng, rng.randint(1, 4)))
        for name, share in parts.items():
            setattr(doc, name, self._sentences(rng, language, max(4, round(total * share))))
        return doc

    def ticket(self, rng: random.Random, language: str) -> Doc:
        """A ticket's subject and description, with what was done to resolve it."""
        total = rng.randint(60, 120)
        doc = Doc(language=language, title=self.title(rng, language))
        doc.symptoms = self._sentences(rng, language, round(total * 0.7))
        doc.resolution = self._sentences(rng, language, round(total * 0.3))
        return doc


# -- queries -----------------------------------------------------------------------------------

# Kind of query → share of the mix. "page" queries go to the search page (facets, 20 a page,
# logged); "prefix" ones to the suggestions box (5 articles, as one types, no total counted —
# as ``queries.suggestions`` calls it).
QUERY_MIX = {
    "short_common": 0.18,
    "short_rare": 0.10,
    "long": 0.12,
    "prefix": 0.22,
    "diacritic_free": 0.10,
    "filtered": 0.12,
    "phrase": 0.06,
    "identifier": 0.05,
    "typo": 0.05,
}
FILTERS = (
    {"filters": {"type": ["known_error", "solution"]}},
    {"filters": {"type": ["instruction", "faq"]}},
    {"filters": {"audience": ["public"]}},
    {"kinds": ["article"]},
    {"kinds": ["service"]},
    {"filters": {"institution": [1]}},
)


@dataclass
class BenchQuery:
    category: str
    text: str
    kwargs: dict


def _with_diacritics(words: list[str]) -> list[str]:
    return [w for w in words if fold(w) != w]


def make_queries(
    corpus: Corpus, rng: random.Random, titles: list[tuple[str, str]], n: int
) -> list[BenchQuery]:
    """``n`` queries in the proportions of :data:`QUERY_MIX`, shuffled; ``titles`` are
    (language, title) of generated documents (people paste a ticket subject)."""
    out: list[BenchQuery] = []
    categories = list(QUERY_MIX)
    weights = list(QUERY_MIX.values())
    for _ in range(n):
        category = rng.choices(categories, weights=weights)[0]
        language = "lv" if rng.random() < 0.75 else "en"
        vocab = corpus.vocab[language]
        common = vocab.content[:60]
        rare = vocab.content[len(vocab.content) * 2 // 3 :]
        page = {"facets": True, "per_page": 20, "surface": "page"}
        if category == "short_common":
            text = " ".join(rng.sample(common, rng.randint(1, 2)))
        elif category == "short_rare":
            text = " ".join(rng.sample(rare, rng.randint(1, 2)))
        elif category == "long":
            lang, title = rng.choice(titles)
            words = title.split()
            if rng.random() < 0.5:
                words += corpus.vocab[lang].content_words(rng, rng.randint(2, 4))
            text = " ".join(words)
        elif category == "prefix":
            words = vocab.content_words(rng, rng.randint(1, 3))
            last = words[-1]
            cut = rng.randint(2, max(2, min(len(last) - 1, 6)))
            text = " ".join([*words[:-1], last[:cut]])
            suggest = {"kinds": ["article"], "per_page": 5, "as_you_type": True, "count": False}
            out.append(BenchQuery(category, text, suggest))
            continue
        elif category == "diacritic_free":
            words = _with_diacritics(corpus.vocab["lv"].content_words(rng, 12))[:3] or ["parole"]
            text = fold(" ".join(words[: rng.randint(1, 3)]))
        elif category == "filtered":
            text = " ".join(vocab.content_words(rng, rng.randint(1, 2)))
            out.append(BenchQuery(category, text, {**page, **rng.choice(FILTERS)}))
            continue
        elif category == "phrase":
            _, title = rng.choice(titles)
            words = title.split()
            i = rng.randrange(max(1, len(words) - 1))
            text = '"' + " ".join(words[i : i + 2]) + '"'
        elif category == "identifier":
            text = corpus.tail.rare(rng) if rng.random() < 0.5 else corpus.tail.pick(rng)
        else:  # typo: a dropped or swapped letter in a longer word
            word = next((w for w in vocab.content_words(rng, 20) if len(w) >= 7), "pieteikums")
            i = rng.randrange(1, len(word) - 2)
            if rng.random() < 0.5:
                word = word[:i] + word[i + 1 :]
            else:
                word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            text = word
        out.append(BenchQuery(category, text, dict(page)))
    return out

"""Name pools for the demo data: Greek (with accents, in Greek script) and international.

Greek names stay in Greek script so that accent- and case-insensitive search can be shown on the demo
("παπαδοπουλος" finds "Παπαδόπουλος Α.Ε."); a Latin transliteration gives usernames, e-mail addresses
and web domains.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from functools import cache

# --- Greek ----------------------------------------------------------------------------------------

GREEK_MALE_FIRST_NAMES = (
    "Γιώργος", "Δημήτρης", "Νίκος", "Κώστας", "Γιάννης", "Παναγιώτης", "Βασίλης", "Χρήστος",
    "Αθανάσιος", "Μιχάλης", "Ευάγγελος", "Σπύρος", "Αντώνης", "Ηλίας", "Στέλιος", "Θοδωρής",
    "Άγγελος", "Αλέξανδρος", "Πέτρος", "Στάθης", "Λευτέρης", "Μανώλης", "Άρης", "Φώτης",
)  # fmt: skip

GREEK_FEMALE_FIRST_NAMES = (
    "Μαρία", "Ελένη", "Αικατερίνη", "Βασιλική", "Σοφία", "Αγγελική", "Γεωργία", "Δήμητρα",
    "Κωνσταντίνα", "Παρασκευή", "Ευαγγελία", "Χριστίνα", "Ιωάννα", "Αναστασία", "Ειρήνη",
    "Δέσποινα", "Φωτεινή", "Ζωή", "Νεφέλη", "Ελπίδα", "Αθηνά", "Μυρτώ", "Ξανθή", "Ευδοκία",
)  # fmt: skip

# Masculine forms; the feminine form is derived by `greek_feminine_surname`.
GREEK_SURNAMES = (
    "Παπαδόπουλος", "Παπαγεωργίου", "Οικονόμου", "Γεωργίου", "Νικολάου", "Βασιλείου", "Ιωάννου",
    "Κωνσταντίνου", "Δημητρίου", "Αθανασίου", "Καραγιάννης", "Παπαδάκης", "Μαυρίδης", "Αλεξίου",
    "Χατζηδάκης", "Πετρόπουλος", "Σταματόπουλος", "Κωνσταντινίδης", "Λαμπρόπουλος", "Μιχαηλίδης",
    "Ζαφειρίου", "Αντωνίου", "Σπυρόπουλος", "Θεοδωρίδης", "Μαρκόπουλος", "Τσακίρης", "Ραφαηλίδης",
    "Κυριακίδης", "Μπαλτάς", "Ξυδάκης", "Φραγκιαδάκης", "Δασκαλάκης", "Βλάχος", "Αναγνώστου",
    "Χριστοδούλου", "Μελετίου", "Σαββίδης", "Κουτσογιάννης", "Πανταζής", "Ευαγγέλου",
)  # fmt: skip

GREEK_CITIES = (
    "Αθήνα", "Θεσσαλονίκη", "Πάτρα", "Ηράκλειο", "Λάρισα", "Βόλος", "Ιωάννινα", "Χανιά",
    "Καλαμάτα", "Ρόδος", "Κομοτηνή", "Σέρρες",
)  # fmt: skip

GREEK_STREETS = (
    "Λεωφ. Κηφισίας", "Εγνατίας", "Ερμού", "Λεωφ. Συγγρού", "Πανεπιστημίου", "Τσιμισκή",
    "Αγίου Νικολάου", "Λεωφ. Βουλιαγμένης", "Μαιζώνος", "Ελευθερίου Βενιζέλου",
)  # fmt: skip

GREEK_REGIONS = (
    "Αττικής", "Μακεδονίας", "Κρήτης", "Θεσσαλίας", "Ηπείρου", "Πελοποννήσου", "Αιγαίου",
    "Βορείου Ελλάδος", "Ιονίου", "Θράκης",
)  # fmt: skip

GREEK_LEGAL_FORMS = ("Α.Ε.", "Ο.Ε.", "Ε.Π.Ε.", "Ι.Κ.Ε.", "Μ.Ι.Κ.Ε.", "& ΣΙΑ Ε.Ε.")

# (Greek sector word, industry as shown in filters)
GREEK_SECTORS = (
    ("Τεχνική", "Construction"), ("Εμπορική", "Retail"), ("Κατασκευαστική", "Construction"),
    ("Πληροφορική", "Software"), ("Ξενοδοχειακή", "Hospitality"), ("Ναυτιλιακή", "Shipping"),
    ("Φαρμακευτική", "Pharma"), ("Τροφίμων", "Food & Beverage"), ("Ενεργειακή", "Energy"),
    ("Λογιστική", "Professional services"), ("Μεταφορική", "Logistics"), ("Ιατρική", "Healthcare"),
    ("Βιομηχανική", "Manufacturing"), ("Συμβουλευτική", "Professional services"),
)  # fmt: skip

GREEK_JOB_TITLES = (
    # By the contact's place in the organization: the boss, the money, the day-to-day user.
    ("Γενικός Διευθυντής", "Διευθύνων Σύμβουλος", "Ιδιοκτήτης", "Πρόεδρος Δ.Σ."),
    ("Οικονομικός Διευθυντής", "Υπεύθυνη Προμηθειών", "Προϊστάμενος Λογιστηρίου"),
    ("Υπεύθυνος Πληροφορικής", "Διευθύντρια Λειτουργιών", "Γραμματεία Διοίκησης", "Υπεύθυνος Αποθήκης"),
)

_GREEK_TO_LATIN = str.maketrans({
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th", "ι": "i",
    "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s",
    "ς": "s", "τ": "t", "υ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o",
})  # fmt: skip
_GREEK_DIGRAPHS = (("ου", "ou"), ("αυ", "av"), ("ευ", "ev"), ("γγ", "ng"), ("γκ", "gk"), ("μπ", "b"))


def greek_feminine_surname(surname: str) -> str:
    """The feminine (genitive) form Greek women carry: Παπαδόπουλος → Παπαδοπούλου."""
    if surname.endswith("όπουλος"):
        return surname[: -len("όπουλος")] + "οπούλου"
    if surname.endswith("ίδης"):
        return surname[: -len("ίδης")] + "ίδου"
    if surname.endswith(("ης", "ής", "ας", "άς")):
        return surname[:-1]
    if surname.endswith("ος"):
        return surname[:-2] + "ου"
    return surname


@cache  # the same few hundred names come back a hundred thousand times
def latin_slug(text: str, *, separator: str = ".") -> str:
    """ASCII, lower-case form of a Greek or Latin name, for usernames, e-mail addresses and domains."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    for greek, latin in _GREEK_DIGRAPHS:
        plain = plain.replace(greek, latin)
    plain = plain.translate(_GREEK_TO_LATIN).replace("ß", "ss")
    words = "".join(ch if ch.isascii() and ch.isalnum() else " " for ch in plain).split()
    return separator.join(words)


# --- International --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Locale:
    """How people and companies are named in one market."""

    code: str  # ISO 3166 alpha-2, as stored in Organization.country
    first_names: tuple[str, ...]
    surnames: tuple[str, ...]
    cities: tuple[str, ...]
    streets: tuple[str, ...]
    sectors: tuple[tuple[str, str], ...]  # (sector word in the local language, industry)
    legal_forms: tuple[str, ...]
    top_level_domain: str
    phone_format: str  # str.format with one integer argument `n` (0-9999)
    job_titles: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]


_ENGLISH_JOB_TITLES = (
    ("CEO", "Managing Director", "Owner", "General Manager", "Founder"),
    ("CFO", "Head of Procurement", "Finance Director", "Purchasing Manager"),
    ("IT Manager", "Operations Manager", "Office Manager", "Executive Assistant", "Project Lead"),
)
_ENGLISH_SECTORS = (
    ("Logistics", "Logistics"), ("Software", "Software"), ("Engineering", "Manufacturing"),
    ("Foods", "Food & Beverage"), ("Energy", "Energy"), ("Analytics", "Software"),
    ("Hospitality", "Hospitality"), ("Pharma", "Pharma"), ("Retail", "Retail"),
    ("Consulting", "Professional services"), ("Shipping", "Shipping"), ("Health", "Healthcare"),
    ("Construction", "Construction"), ("Media", "Media"),
)  # fmt: skip

BRAND_WORDS = (
    "Northwind", "Bluewave", "Summit", "Crescent", "Harbor", "Pinnacle", "Evergreen", "Silverline",
    "Ironbridge", "Brightpath", "Redwood", "Keystone", "Lighthouse", "Oakridge", "Riverside",
    "Starling", "Aurora", "Meridian", "Cobalt", "Granite", "Helios", "Kestrel", "Orion", "Vantage",
)  # fmt: skip

LOCALES: dict[str, Locale] = {
    "GB": Locale(
        code="GB",
        first_names=("Oliver", "Amelia", "Harry", "Isla", "George", "Emily", "Jack", "Sophie",
                     "Thomas", "Charlotte", "James", "Olivia", "Aisha", "Rhys", "Niamh", "Callum"),
        surnames=("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Davies", "Patel",
                  "Wright", "Walker", "Robinson", "Thompson", "Evans", "Hughes", "O'Connor", "Khan"),
        cities=("London", "Manchester", "Leeds", "Bristol", "Edinburgh", "Birmingham"),
        streets=("High Street", "Station Road", "King's Road", "Church Lane", "Victoria Street"),
        sectors=_ENGLISH_SECTORS,
        legal_forms=("Ltd", "plc", "LLP"),
        top_level_domain="uk",
        # Ofcom keeps 020 7946 0xxx for drama: these numbers ring nobody.
        phone_format="+44 20 7946 {n:04d}",
        job_titles=_ENGLISH_JOB_TITLES,
    ),
    "DE": Locale(
        code="DE",
        first_names=("Lukas", "Anna", "Jonas", "Lena", "Felix", "Sophie", "Maximilian", "Marie",
                     "Jürgen", "Hannah", "Björn", "Käthe", "Matthias", "Ülkü", "Sören", "Greta"),
        surnames=("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
                  "Schulz", "Hoffmann", "Schäfer", "Köhler", "Groß", "Öztürk", "Krüger", "Böhm"),
        cities=("Berlin", "München", "Hamburg", "Köln", "Frankfurt am Main", "Düsseldorf"),
        streets=("Hauptstraße", "Bahnhofstraße", "Schillerstraße", "Goethestraße", "Lindenallee"),
        sectors=(("Logistik", "Logistics"), ("Software", "Software"), ("Maschinenbau", "Manufacturing"),
                 ("Lebensmittel", "Food & Beverage"), ("Energie", "Energy"), ("Bau", "Construction"),
                 ("Medizintechnik", "Healthcare"), ("Handel", "Retail"),
                 ("Beratung", "Professional services")),
        legal_forms=("GmbH", "AG", "GmbH & Co. KG", "KG"),
        top_level_domain="de",
        phone_format="+49 30 5550 {n:04d}",
        job_titles=(
            ("Geschäftsführer", "Geschäftsführerin", "Inhaber", "Vorstand"),
            ("Leiterin Einkauf", "Kaufmännischer Leiter", "CFO"),
            ("IT-Leiter", "Teamleiterin Betrieb", "Assistenz der Geschäftsführung"),
        ),
    ),
    "US": Locale(
        code="US",
        first_names=("Michael", "Jennifer", "David", "Jessica", "Christopher", "Ashley", "Daniel", "Sarah",
                     "Matthew", "Emily", "Andrew", "Megan", "Carlos", "Latoya", "Kevin", "Priya"),
        surnames=("Johnson", "Miller", "Davis", "Garcia", "Rodriguez", "Martinez", "Anderson", "Thomas",
                  "Jackson", "White", "Harris", "Clark", "Lewis", "Young", "Nguyen", "Kim"),
        cities=("New York", "Boston", "Chicago", "Austin", "Denver", "Atlanta"),
        streets=("Main Street", "Broadway", "Market Street", "Madison Avenue", "Elm Street"),
        sectors=_ENGLISH_SECTORS,
        legal_forms=("Inc.", "LLC", "Corp."),
        top_level_domain="us",
        # 555-0100 to 555-0199 are reserved for fiction in the North American numbering plan.
        phone_format="+1 212 555 01{n:02d}",
        job_titles=_ENGLISH_JOB_TITLES,
    ),
    "SG": Locale(
        code="SG",
        first_names=("Wei Ling", "Jun Jie", "Siti", "Arjun", "Hui Min", "Muhammad", "Priya", "Kai Xiang",
                     "Nurul", "Rajesh", "Mei Ling", "Darren", "Farah", "Ravi", "Shu Fen", "Hafiz"),
        surnames=("Tan", "Lim", "Lee", "Ng", "Wong", "Goh", "Chua", "Chan", "Koh", "Teo", "Rahman",
                  "Kumar", "Nair", "Ong", "Yeo", "Ismail"),
        cities=("Singapore",),
        streets=("Orchard Road", "Raffles Place", "Cecil Street", "Robinson Road", "Tanjong Pagar Road"),
        sectors=_ENGLISH_SECTORS,
        legal_forms=("Pte. Ltd.",),
        top_level_domain="sg",
        phone_format="+65 6555 {n:04d}",
        job_titles=_ENGLISH_JOB_TITLES,
    ),
    "FR": Locale(
        code="FR",
        first_names=("Élodie", "François", "Chloé", "Hélène", "Jérôme", "Camille", "Léa", "Gaëlle",
                     "Benoît", "Zoé", "Noël", "Amélie", "Théo", "Inès", "Raphaël", "Maëlys"),
        surnames=("Lefèvre", "Dubois", "Moreau", "Girard", "Lambert", "Fontaine", "Rousseau", "Béranger",
                  "Mercier", "Lefebvre", "Faure", "Chevalier", "Gauthier", "Perrin", "Lemaître", "Brûlé"),
        cities=("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille"),
        streets=("Rue de la République", "Avenue Victor Hugo", "Rue du Général Leclerc",
                 "Boulevard Voltaire"),
        sectors=(("Logistique", "Logistics"), ("Informatique", "Software"), ("Énergie", "Energy"),
                 ("Bâtiment", "Construction"), ("Hôtellerie", "Hospitality"), ("Santé", "Healthcare"),
                 ("Conseil", "Professional services"), ("Alimentaire", "Food & Beverage")),
        legal_forms=("SARL", "SAS", "SA"),
        top_level_domain="fr",
        phone_format="+33 1 99 00 {n:04d}",
        job_titles=(
            ("Directeur général", "Présidente", "Gérant"),
            ("Directrice financière", "Responsable des achats"),
            ("Responsable informatique", "Chef de projet", "Assistante de direction"),
        ),
    ),
    "ES": Locale(
        code="ES",
        first_names=("José", "María", "Iñigo", "Begoña", "Álvaro", "Lucía", "Sergio", "Nuria",
                     "Raúl", "Inés", "Andrés", "Mónica", "Jesús", "Águeda", "Óscar", "Marta"),
        surnames=("Muñoz", "García", "Pérez", "Núñez", "Fernández", "López", "Martínez", "Sánchez",
                  "Gómez", "Jiménez", "Ruiz", "Díaz", "Álvarez", "Romero", "Ibáñez", "Peña"),
        cities=("Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao", "Málaga"),
        streets=("Calle Mayor", "Gran Vía", "Paseo de la Castellana", "Calle de Alcalá", "Avenida Diagonal"),
        sectors=(("Logística", "Logistics"), ("Informática", "Software"), ("Energía", "Energy"),
                 ("Construcción", "Construction"), ("Hostelería", "Hospitality"),
                 ("Alimentación", "Food & Beverage"), ("Consultoría", "Professional services")),
        legal_forms=("S.L.", "S.A."),
        top_level_domain="es",
        phone_format="+34 91 555 {n:04d}",
        job_titles=(
            ("Director general", "Consejera delegada", "Gerente"),
            ("Directora financiera", "Responsable de compras"),
            ("Responsable de sistemas", "Jefa de operaciones", "Asistente de dirección"),
        ),
    ),
    "GR": Locale(
        code="GR",
        first_names=GREEK_FEMALE_FIRST_NAMES + GREEK_MALE_FIRST_NAMES,
        surnames=GREEK_SURNAMES,
        cities=GREEK_CITIES,
        streets=GREEK_STREETS,
        sectors=GREEK_SECTORS,
        legal_forms=GREEK_LEGAL_FORMS,
        top_level_domain="gr",
        phone_format="+30 210 555 {n:04d}",
        job_titles=GREEK_JOB_TITLES,
    ),
}  # fmt: skip


def person_name(locale: Locale, rng: random.Random) -> tuple[str, str]:
    """(first name, last name); Greek surnames agree with the first name's gender."""
    if locale.code != "GR":
        return rng.choice(locale.first_names), rng.choice(locale.surnames)
    surname = rng.choice(GREEK_SURNAMES)
    if rng.random() < 0.5:
        return rng.choice(GREEK_FEMALE_FIRST_NAMES), greek_feminine_surname(surname)
    return rng.choice(GREEK_MALE_FIRST_NAMES), surname


def organization_name(locale: Locale, rng: random.Random) -> tuple[str, str, str]:
    """(company name, industry, web domain stem) in the way companies of that market are named."""
    sector, industry = rng.choice(locale.sectors)
    surname = rng.choice(locale.surnames)
    legal_form = rng.choice(locale.legal_forms)
    pattern = rng.randrange(4)
    if locale.code == "GR":
        if pattern == 0:
            core = surname
        elif pattern == 1:
            core = f"{rng.choice(GREEK_MALE_FIRST_NAMES)[0]}. {surname} & ΣΙΑ"
            legal_form = "Ο.Ε."
        elif pattern == 2:
            core = f"{sector} {rng.choice(GREEK_REGIONS)}"
        else:
            core = f"{surname} {sector}"
    elif pattern == 0:
        core = f"{surname} & {rng.choice(locale.surnames)}"
    elif pattern == 1:
        core = f"{rng.choice(BRAND_WORDS)} {sector}"
    else:
        core = f"{surname} {sector}"
    return f"{core} {legal_form}", industry, latin_slug(core, separator="-")


# --- Sales team -----------------------------------------------------------------------------------

# (home city of a team, its IANA time zone, locale of the people hired there)
SALES_OFFICES = (
    ("Athens", "Europe/Athens", "GR"),
    ("Berlin", "Europe/Berlin", "DE"),
    ("London", "Europe/London", "GB"),
    ("New York", "America/New_York", "US"),
    ("Singapore", "Asia/Singapore", "SG"),
    ("Thessaloniki", "Europe/Athens", "GR"),
)
TEAM_SEGMENTS = ("Enterprise", "Mid-Market", "SMB", "Partners", "Inbound")

# --- Deals and activities -------------------------------------------------------------------------

PRODUCTS = (
    "CRM rollout", "Annual support renewal", "Fleet tracking, 40 vans", "Cloud backup", "Network upgrade",
    "Sales training programme", "ERP integration", "Website redesign", "Solar rooftop installation",
    "POS terminals", "Security audit", "Warehouse scanners", "Ετήσια συντήρηση", "Αναβάθμιση δικτύου",
    "Εκπαίδευση προσωπικού", "Λογισμικό τιμολόγησης", "Φωτοβολταϊκό σύστημα", "Data platform pilot",
    "Office relocation IT", "Video conferencing rooms", "Payroll outsourcing", "E-shop build",
)  # fmt: skip

LOST_REASONS = (
    # (reason, relative weight): price and silence lose most deals, a missing feature few.
    ("Price too high", 26),
    ("Chose a competitor", 22),
    ("No budget", 16),
    ("Went silent", 18),
    ("Bad timing", 11),
    ("Missing feature", 7),
)

BUDGET_EVIDENCE = (
    "Bought a similar system two years ago for about the same amount.",
    "The CFO mentioned this line in this year's budget.",
    "Spent a comparable amount with a competitor last year.",
    "Budget approved at the last board meeting (minutes shared).",
    "Asked for a quote within this range themselves.",
    "Ο οικονομικός διευθυντής επιβεβαίωσε το ποσό στο προϋπολογισμό.",
    "Παρόμοια αγορά πέρσι, περίπου στο ίδιο ποσό.",
)

AUTHORITY_NOTES = (
    "Signs off purchases of this size alone.",
    "Owner of the company; final say.",
    "Confirmed in the meeting that the board follows her recommendation.",
    "Εγκρίνει μόνος του αγορές έως 50.000 €.",
    "Budget holder for the department.",
)

# Why a rep withdrew a decision maker's confirmed authority (the subject of the note they left).
AUTHORITY_WITHDRAWN = (
    "Not the decision maker after all: the board signs",
    "Decision maker left the company",
    "Signs only up to 10,000; this one needs the CFO",
    "Δεν αποφασίζει τελικά: υπογράφει ο γενικός διευθυντής",
)

# A trial's name says how long it runs: (subject, days).
TRIALS = (
    ("14-day free trial", 14), ("30-day pilot", 30), ("Δωρεάν δοκιμή 14 ημερών", 14), ("21-day pilot", 21),
)  # fmt: skip

ACTIVITY_SUBJECTS: dict[str, tuple[str, ...]] = {
    "call": ("Intro call", "Discovery call", "Follow-up call", "Qualification call",
             "Call about the proposal", "Τηλεφωνική επικοινωνία", "Check-in call", "Pricing questions call"),
    "email": ("Intro e-mail", "Sent case study", "Follow-up e-mail", "Sent proposal", "Αποστολή προσφοράς",
              "Sent meeting summary", "Answered questions about terms"),
    "meeting": ("First appointment", "Needs analysis meeting", "Meeting with the decision maker",
                "Ραντεβού γνωριμίας", "Proposal walkthrough", "Negotiation meeting"),
    "demo": ("Product demo", "Online demo", "Παρουσίαση προϊόντος", "Technical deep dive"),
    "trial": tuple(subject for subject, _ in TRIALS),
    "gift": ("Welcome pack", "Branded notebook and coffee", "Thank-you gift", "Δώρο καλωσορίσματος"),
    "task": ("Prepare proposal", "Send contract for signature", "Kick-off handover to onboarding",
             "Update the quote", "Check references"),
    "note": ("Notes from the call", "Org chart notes", "Competitor mentioned", "Σημειώσεις συνάντησης"),
    "info_request": ("Asked for a price list", "Asked about integrations", "Asked for references",
                     "Ζήτησε τεχνικές προδιαγραφές", "Asked for delivery times"),
}  # fmt: skip

# What a rep plans right after a held appointment, by kind.
FOLLOW_UP_SUBJECTS: dict[str, tuple[str, ...]] = {
    "call": ("Call to agree the next step", "Follow-up call", "Τηλέφωνο για τα επόμενα βήματα"),
    "email": ("Meeting summary and next steps", "The agreed next steps in writing", "Σύνοψη συνάντησης"),
}

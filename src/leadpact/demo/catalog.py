"""The demo world's vocabulary: industries, countries, job titles, names, and how often each occurs.

Weights are relative frequencies in the lead database of a company selling factory and warehouse automation,
whose marketing aims at its target industries.
Each industry and title also carries a hidden value the world uses and the agreement never sees: how well
an industry matches the ideal customer, and how much buying power a title has. The agreement's fit rules
approximate both, imperfectly (a CTO or a company owner is senior, but the example rules miss them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Industry:
    name: str
    weight: float
    affinity: float  # how well the industry matches the ideal customer, 0..1
    nouns: tuple[str, ...]  # what companies of the industry call themselves


@dataclass(frozen=True)
class Country:
    code: str
    weight: float
    tld: str
    legal_form: str
    utc_offset: int  # standard time, hours; close enough to place events in the local day
    free_mail: tuple[str, ...]


@dataclass(frozen=True)
class Title:
    name: str
    weight: float
    power: float  # buying power, 0..1: who signs, who influences, who only uses, who never buys


INDUSTRIES = (
    Industry("manufacturing", 20, 1.0, ("Industries", "Manufacturing", "Components", "Precision", "Fabrication")),
    Industry("logistics", 12, 0.95, ("Logistics", "Freight", "Transport", "Distribution")),
    Industry("automotive", 9, 0.9, ("Automotive", "Motors", "Auto Parts", "Drivetrain")),
    Industry("retail", 8, 0.45, ("Retail", "Stores", "Outfitters")),
    Industry("healthcare", 8, 0.3, ("Health", "Medical", "Clinics")),
    Industry("energy", 5, 0.4, ("Energy", "Power", "Utilities")),
    Industry("software", 12, 0.1, ("Software", "Labs", "Systems")),
    Industry("financial services", 7, 0.05, ("Capital", "Financial", "Insurance")),
    Industry("education", 5, 0.05, ("Academy", "Institute", "College")),
    Industry("government", 3, 0.1, ("Agency", "Authority")),
    Industry("construction", 6, 0.3, ("Construction", "Builders", "Engineering")),
    Industry("telecommunications", 4, 0.1, ("Telecom", "Networks")),
    Industry("professional services", 6, 0.1, ("Partners", "Consulting", "Group")),
    Industry("media", 3, 0.05, ("Media", "Publishing")),
)

COUNTRIES = (
    Country("US", 44, "com", "Inc.", -6, ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com")),
    Country("CA", 5, "ca", "Ltd.", -5, ("gmail.com", "outlook.com", "yahoo.com")),
    Country("MX", 2, "com.mx", "S.A. de C.V.", -6, ("gmail.com", "hotmail.com", "outlook.com")),
    Country("BR", 2, "com.br", "Ltda.", -3, ("gmail.com", "hotmail.com")),
    Country("DE", 9, "de", "GmbH", 1, ("gmx.de", "web.de", "gmail.com", "t-online.de")),
    Country("GB", 8, "co.uk", "Ltd", 0, ("gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk")),
    Country("FR", 5, "fr", "SAS", 1, ("gmail.com", "orange.fr", "free.fr", "laposte.net")),
    Country("NL", 3, "nl", "B.V.", 1, ("gmail.com", "outlook.com")),
    Country("ES", 3, "es", "S.L.", 1, ("gmail.com", "hotmail.com")),
    Country("IT", 3, "it", "S.p.A.", 1, ("gmail.com", "libero.it")),
    Country("SE", 2, "se", "AB", 1, ("gmail.com", "outlook.com")),
    Country("PL", 2, "pl", "Sp. z o.o.", 1, ("gmail.com",)),
    Country("CH", 2, "ch", "AG", 1, ("gmail.com", "gmx.com")),
    Country("IN", 4, "in", "Pvt. Ltd.", 5, ("gmail.com", "rediffmail.com", "yahoo.com")),
    Country("AU", 3, "com.au", "Pty Ltd", 10, ("gmail.com", "outlook.com")),
    Country("JP", 2, "co.jp", "K.K.", 9, ("gmail.com", "yahoo.com")),
)

TITLES = (
    # senior: the people who sign
    Title("VP Operations", 3, 1.0),
    Title("Vice President, Supply Chain", 2, 1.0),
    Title("Director of Manufacturing", 3, 0.95),
    Title("Director, Logistics", 2, 0.95),
    Title("Plant Director", 2, 0.95),
    Title("Head of Production", 2, 0.9),
    Title("Head of Procurement", 2, 0.9),
    Title("Chief Operating Officer", 1, 1.0),
    Title("CEO", 1.5, 1.0),
    Title("CIO", 1, 0.85),
    Title("CTO", 1, 0.9),
    Title("President", 1, 1.0),
    Title("Owner", 1.5, 1.0),
    # managers: they influence and often run the evaluation
    Title("Operations Manager", 5, 0.65),
    Title("Plant Manager", 4, 0.7),
    Title("Logistics Manager", 3, 0.6),
    Title("Procurement Manager", 3, 0.6),
    Title("Supply Chain Manager", 3, 0.6),
    Title("Engineering Manager", 3, 0.55),
    Title("Warehouse Manager", 3, 0.55),
    Title("IT Manager", 3, 0.4),
    Title("Product Manager", 2, 0.25),
    Title("Marketing Manager", 2, 0.1),
    # staff: they use the product and download everything
    Title("Process Engineer", 5, 0.3),
    Title("Manufacturing Engineer", 5, 0.3),
    Title("Automation Engineer", 4, 0.35),
    Title("Project Engineer", 3, 0.25),
    Title("Buyer", 3, 0.3),
    Title("Supply Chain Analyst", 3, 0.2),
    Title("Logistics Coordinator", 3, 0.15),
    Title("Maintenance Technician", 3, 0.1),
    Title("Software Developer", 3, 0.05),
    Title("Data Analyst", 2, 0.1),
    Title("Sales Representative", 2, 0.02),
    # noise: they will not buy
    Title("Student", 4, 0.0),
    Title("Graduate Student", 2, 0.0),
    Title("Intern", 2, 0.0),
    Title("Engineering Intern", 1.5, 0.0),
    Title("Consultant", 3, 0.1),
    Title("Independent Consultant", 2, 0.05),
    Title("Research Assistant", 1.5, 0.0),
    Title("Professor", 1, 0.0),
    Title("Journalist", 0.5, 0.0),
)

FIRST_NAMES = (
    "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "William", "Elizabeth",
    "Carlos", "Maria", "Jose", "Ana", "Luis", "Sofia", "Thomas", "Sarah", "Daniel", "Karen", "Matthew", "Nancy",
    "Anthony", "Lisa", "Mark", "Emily", "Steven", "Michelle", "Andrew", "Laura", "Kevin", "Rachel", "Brian",
    "Amanda", "Jason", "Melissa", "Priya", "Rahul", "Ananya", "Arjun", "Wei", "Mei", "Hiroshi", "Yuki", "Lukas",
    "Anna", "Jonas", "Lea", "Felix", "Julia", "Maximilian", "Sophie", "Paul", "Hannah", "Pierre", "Camille",
    "Louis", "Chloe", "Hugo", "Manon", "Oliver", "Amelia", "Harry", "Isla", "George", "Grace", "Daan", "Emma",
    "Sem", "Tess", "Javier", "Lucia", "Pablo", "Elena", "Marco", "Giulia", "Luca", "Francesca", "Erik", "Astrid",
    "Lars", "Ingrid", "Piotr", "Katarzyna", "Noah", "Olivia", "Liam", "Ava", "Ethan", "Mia", "Mateus", "Beatriz",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
    "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Martin", "Lee",
    "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Patel", "Sharma",
    "Gupta", "Singh", "Chen", "Wang", "Tanaka", "Suzuki", "Muller", "Schmidt", "Schneider", "Fischer", "Weber",
    "Meyer", "Wagner", "Becker", "Hoffmann", "Schulz", "Dubois", "Durand", "Lefebvre", "Moreau", "Laurent",
    "Bernard", "Petit", "Evans", "Hughes", "Edwards", "Wood", "Murphy", "de Jong", "Jansen", "de Vries",
    "Bakker", "Visser", "Fernandez", "Ruiz", "Navarro", "Romano", "Colombo", "Ricci", "Bruno", "Johansson",
    "Lindqvist", "Nilsson", "Eriksson", "Kowalski", "Nowak", "Wisniewski", "Silva", "Santos", "Costa", "Kim",
    "Park", "Nguyen", "Cohen", "O'Brien", "Kelly", "Ward",
)  # fmt: skip

# Invented brand names are built from these: two, three or four parts, so each account's name is unique.
BRAND_HEADS = (
    "Nor", "Ast", "Bel", "Cor", "Dal", "Ever", "Fal", "Gal", "Har", "Ion", "Jun", "Kel", "Lum", "Mar", "Nex",
    "Or", "Pra", "Quin", "Ros", "Sol", "Tor", "Ul", "Val", "Wes", "Xan", "Yor", "Zen", "Alt", "Bri", "Cal",
    "Dun", "Ems", "Fen", "Gran", "Hal", "Ivo", "Kor", "Lin", "Mer", "Ostr",
)  # fmt: skip
BRAND_MIDDLES = ("a", "e", "i", "o", "an", "el", "or", "ar", "is", "um", "en", "ul", "ax", "ir", "ov", "et")
BRAND_TAILS = (
    "tek", "ford", "vale", "tron", "line", "ex", "ica", "wick", "mont", "gard", "stad", "haven", "ridge", "co",
    "dyn", "flow", "grip", "core", "max", "path", "port", "stone", "field", "works", "forge", "mark", "wave",
    "lux", "tec", "gate", "bridge", "view", "spire", "crest", "dale", "more", "wood", "brook", "hurst", "ton",
)  # fmt: skip

TRADE_SHOWS = (
    # (name, in EMEA)
    ("Midwest Automation Expo", False),
    ("Intralogistics Fair Stuttgart", True),
    ("Supply Chain World Atlanta", False),
    ("Factory Floor Summit Detroit", False),
    ("Warehouse and Fleet Show Birmingham", True),
    ("Industrial Automation Days Lyon", True),
    ("Smart Plant Forum Houston", False),
    ("Nordic Manufacturing Week Gothenburg", True),
)

WEBINAR_TOPICS = (
    "Cutting changeover time with robotic cells",
    "Warehouse picking: the business case for autonomous carts",
    "Predictive maintenance without a data science team",
    "What a lights-out shift really costs",
    "Palletizing at peak season",
    "From pilot to plant-wide rollout",
    "Safety rules for mixed human and robot floors",
    "Benchmarking OEE across plants",
    "Automating inbound logistics at the dock",
    "Robot fleets and your WMS",
    "Funding automation: leasing, capex and robots as a service",
    "Year in review: automation in practice",
)

SYNDICATION_OUTLETS = ("Plant Operations Digest", "Freight Tech Weekly", "Automation Insider", "Supply Chain Brief")
LIST_VENDORS = ("Manufacturing executives", "Logistics decision makers", "Trade registry extract", "Event attendees")
PARTNERS = ("Systems integrators North America", "Resellers EMEA", "Systems integrators EMEA", "Distributors LATAM")
SEARCH_GROUPS = ("brand", "robotic palletizing", "warehouse automation", "competitor terms")

# Engagement volume is set mostly by these: the world writes about ten events per lead on average.
NEWSLETTER_EVERY_DAYS = 7
WELCOME_SERIES_DAYS = (1, 4, 9, 16)

"""A deterministic, realistic generator of postings and alerts for the benchmarks (run by hand, not in CI).

Postings look like those of real company boards: role titles with seniority and specialty, descriptions of
a few KB built from a few hundred template sentences and a skills vocabulary, ~800 companies of very
different sizes, ~70 cities in a dozen countries, remote and hybrid work, departments, employment types,
salaries and posting dates. Alerts follow the mixes users write: skills plus a city, role titles plus
"remote", a few favourite companies, a department in a city, with exclusions, freshness and salary floors
now and then. The same seed always gives the same data.

    from benchmarks.generator import Generator
    gen = Generator(seed=1)
    postings = gen.postings(10_000)          # list[Posting], ids "j0", "j1", ...
    alerts = gen.alerts(10_000)              # list[(id, filters dict)], ids "a0", "a1", ...
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from jobwatch.core.postings import Location, Posting, Salary

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)

SENIORITY = ["", "", "", "Senior", "Senior", "Staff", "Lead", "Principal", "Junior", "Head of", "Associate"]
SPECIALTIES = {
    "Engineering": [
        ("Backend", "Engineer"),
        ("Frontend", "Engineer"),
        ("Full Stack", "Engineer"),
        ("Software", "Engineer"),
        ("Platform", "Engineer"),
        ("Site Reliability", "Engineer"),
        ("DevOps", "Engineer"),
        ("Data", "Engineer"),
        ("Machine Learning", "Engineer"),
        ("iOS", "Developer"),
        ("Android", "Developer"),
        ("Security", "Engineer"),
        ("QA", "Engineer"),
        ("Embedded", "Engineer"),
        ("Mobile", "Developer"),
        ("Python", "Developer"),
        ("Java", "Developer"),
        ("Go", "Engineer"),
        ("Rust", "Engineer"),
        ("C++", "Engineer"),
        (".NET", "Developer"),
        ("Engineering", "Manager"),
        ("Cloud", "Architect"),
        ("Solutions", "Architect"),
    ],
    "Data": [("Data", "Scientist"), ("Data", "Analyst"), ("Analytics", "Engineer"), ("Research", "Scientist")],
    "Product": [
        ("Product", "Manager"),
        ("Product", "Designer"),
        ("UX", "Researcher"),
        ("Technical Product", "Manager"),
    ],
    "Sales": [
        ("Account", "Executive"),
        ("Sales Development", "Representative"),
        ("Sales", "Engineer"),
        ("Customer Success", "Manager"),
        ("Partnerships", "Manager"),
    ],
    "Marketing": [
        ("Product Marketing", "Manager"),
        ("Content", "Marketer"),
        ("Growth", "Marketer"),
        ("Brand", "Designer"),
    ],
    "Operations": [
        ("People", "Partner"),
        ("Recruiter", ""),
        ("Office", "Manager"),
        ("Finance", "Analyst"),
        ("Legal", "Counsel"),
        ("Support", "Specialist"),
        ("Business Operations", "Analyst"),
    ],
}
DEPARTMENT_WEIGHTS = {"Engineering": 45, "Data": 8, "Product": 10, "Sales": 15, "Marketing": 7, "Operations": 15}
TEAMS = [
    "Payments",
    "Core",
    "Growth",
    "Infrastructure",
    "Identity",
    "Search",
    "Checkout",
    "Mobile",
    "Platform",
    "Risk",
    "Billing",
    "Onboarding",
    "Enterprise",
    "SMB",
    "EMEA",
    "APAC",
]
SKILLS = {
    "Engineering": [
        "Python",
        "Django",
        "Flask",
        "FastAPI",
        "Go",
        "Golang",
        "Rust",
        "Java",
        "Kotlin",
        "Scala",
        "TypeScript",
        "JavaScript",
        "React",
        "Vue",
        "Angular",
        "Node.js",
        "C++",
        "C#",
        ".NET",
        "Ruby",
        "Rails",
        "PHP",
        "Swift",
        "PostgreSQL",
        "MySQL",
        "Redis",
        "Kafka",
        "Kubernetes",
        "Docker",
        "Terraform",
        "AWS",
        "GCP",
        "Azure",
        "GraphQL",
        "gRPC",
        "Elasticsearch",
        "Linux",
        "CI/CD",
        "microservices",
        "distributed systems",
        "Spark",
        "Airflow",
        "PyTorch",
        "TensorFlow",
        "LLMs",
    ],
    "Data": [
        "SQL",
        "Python",
        "dbt",
        "Snowflake",
        "BigQuery",
        "Looker",
        "Tableau",
        "statistics",
        "A/B testing",
        "machine learning",
        "Spark",
        "Airflow",
        "R",
        "pandas",
        "experimentation",
    ],
    "Product": [
        "roadmaps",
        "user research",
        "Figma",
        "discovery",
        "analytics",
        "B2B SaaS",
        "APIs",
        "pricing",
        "prototyping",
        "design systems",
    ],
    "Sales": [
        "Salesforce",
        "HubSpot",
        "pipeline",
        "enterprise sales",
        "quota",
        "SaaS",
        "negotiation",
        "MEDDIC",
        "outbound",
        "renewals",
    ],
    "Marketing": [
        "SEO",
        "content strategy",
        "campaigns",
        "HubSpot",
        "positioning",
        "brand",
        "paid acquisition",
        "lifecycle",
        "copywriting",
    ],
    "Operations": [
        "Workday",
        "Excel",
        "payroll",
        "compliance",
        "GDPR",
        "contracts",
        "Zendesk",
        "onboarding",
        "forecasting",
        "recruiting",
    ],
}
CITIES = [
    ("Berlin", "Berlin", "DE"),
    ("Munich", "Bavaria", "DE"),
    ("Hamburg", "Hamburg", "DE"),
    ("Zürich", "ZH", "CH"),
    ("Geneva", "GE", "CH"),
    ("Vienna", "Vienna", "AT"),
    ("Amsterdam", "North Holland", "NL"),
    ("Rotterdam", "South Holland", "NL"),
    ("Paris", "Île-de-France", "FR"),
    ("Lyon", "Auvergne-Rhône-Alpes", "FR"),
    ("London", "England", "GB"),
    ("Manchester", "England", "GB"),
    ("Edinburgh", "Scotland", "GB"),
    ("Dublin", "Leinster", "IE"),
    ("Madrid", "Madrid", "ES"),
    ("Barcelona", "Catalonia", "ES"),
    ("Lisbon", "Lisbon", "PT"),
    ("Milan", "Lombardy", "IT"),
    ("Stockholm", "Stockholm", "SE"),
    ("Copenhagen", "Capital Region", "DK"),
    ("Oslo", "Oslo", "NO"),
    ("Helsinki", "Uusimaa", "FI"),
    ("Warsaw", "Masovia", "PL"),
    ("Kraków", "Lesser Poland", "PL"),
    ("Prague", "Prague", "CZ"),
    ("New York", "NY", "US"),
    ("San Francisco", "CA", "US"),
    ("Los Angeles", "CA", "US"),
    ("Seattle", "WA", "US"),
    ("Austin", "TX", "US"),
    ("Boston", "MA", "US"),
    ("Chicago", "IL", "US"),
    ("Denver", "CO", "US"),
    ("Atlanta", "GA", "US"),
    ("Miami", "FL", "US"),
    ("Washington", "DC", "US"),
    ("Portland", "OR", "US"),
    ("Toronto", "ON", "CA"),
    ("Vancouver", "BC", "CA"),
    ("Montreal", "QC", "CA"),
    ("Sydney", "NSW", "AU"),
    ("Melbourne", "VIC", "AU"),
    ("Singapore", None, "SG"),
    ("Tokyo", "Tokyo", "JP"),
    ("Bangalore", "Karnataka", "IN"),
    ("Tel Aviv", None, "IL"),
    ("São Paulo", "SP", "BR"),
    ("Mexico City", "CDMX", "MX"),
    ("Cape Town", "WC", "ZA"),
]
COUNTRY_NAMES = {
    "DE": "Germany",
    "CH": "Switzerland",
    "AT": "Austria",
    "NL": "Netherlands",
    "FR": "France",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "ES": "Spain",
    "PT": "Portugal",
    "IT": "Italy",
    "SE": "Sweden",
    "DK": "Denmark",
    "NO": "Norway",
    "FI": "Finland",
    "PL": "Poland",
    "CZ": "Czechia",
    "US": "United States",
    "CA": "Canada",
    "AU": "Australia",
    "SG": "Singapore",
    "JP": "Japan",
    "IN": "India",
    "IL": "Israel",
    "BR": "Brazil",
    "MX": "Mexico",
    "ZA": "South Africa",
}
SENTENCES = [
    "We are looking for a {role} to join our {team} team and help us build {product}.",
    "You will work closely with product managers, designers and other engineers to ship features used by "
    "millions of customers.",
    "Our stack includes {s1}, {s2} and {s3}, and we are always open to new tools when they make sense.",
    "Experience with {s1} or {s2} is a strong plus; curiosity and ownership matter more than any one tool.",
    "You have {years}+ years of professional experience and a track record of delivering results.",
    "As part of the {team} team you will own critical systems end to end, from design to operations.",
    "We value clear written communication, thoughtful code review, and continuous learning.",
    "{company} is an equal opportunity employer and welcomes applicants from all backgrounds.",
    "Benefits include a learning budget, flexible hours, generous parental leave, and a home-office allowance.",
    "Our team is distributed across several time zones, so asynchronous collaboration is part of daily life.",
    "You will mentor colleagues, contribute to hiring, and help shape our engineering culture.",
    "The role reports to the {dept} lead and works with stakeholders across the company.",
    "Nice to have: familiarity with {s3}, open-source contributions, or experience in a fast-growing startup.",
    "We offer competitive compensation, equity, and the chance to work on problems that matter.",
    "Day to day you will analyse requirements, write tests, review designs and improve reliability.",
    "Join us in {city} or work remotely within the region; we meet in person a few times a year.",
    "Our customers range from small businesses to global enterprises in finance, retail and healthcare.",
    "You care about quality, performance, accessibility and security, and you measure what you ship.",
    "The hiring process has four steps: an intro call, a take-home or pairing exercise, a team interview, "
    "and a conversation with the hiring manager.",
    "Internships and working-student positions are listed separately on our careers page.",
    "Please include links to work you are proud of; we read every application.",
]
PRODUCTS = [
    "the future of payments",
    "developer tools",
    "a modern data platform",
    "logistics software",
    "healthcare infrastructure",
    "climate analytics",
    "a marketplace for small businesses",
    "collaboration tools",
    "financial planning software",
    "the next generation of e-commerce",
]
COMPANY_PARTS = (
    [
        "Acme",
        "Nova",
        "Blue",
        "Bright",
        "North",
        "Quantum",
        "Pixel",
        "Cloud",
        "Hyper",
        "Green",
        "Iron",
        "Silver",
        "Swift",
        "Peak",
        "Lumen",
        "Orbit",
        "Atlas",
        "Vertex",
        "Echo",
        "Cedar",
        "Harbor",
        "Delta",
        "Summit",
        "Polar",
        "Zen",
        "Kite",
        "Forge",
        "Maple",
        "Coral",
        "Signal",
    ],
    [
        "Labs",
        "Systems",
        "AI",
        "Pay",
        "Health",
        "Data",
        "Works",
        "Cloud",
        "Logic",
        "Bank",
        "Energy",
        "Robotics",
        "Security",
        "Networks",
        "Studio",
        "Mobility",
        "Foods",
        "Learning",
        "Games",
        "Bio",
    ],
)
EMPLOYMENT = ["full_time"] * 85 + ["part_time"] * 4 + ["contract"] * 6 + ["internship"] * 4 + ["temporary"]
EXCLUSIONS = [
    "senior",
    "lead",
    "principal",
    "intern",
    "manager",
    "staff",
    "junior",
    "contract",
    "director",
    "sales",
    "php",
    "java",
]


class Generator:
    """Postings and alerts from one seed (see the module docstring)."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        rng = random.Random(seed + 1000)
        names = sorted({f"{a} {b}" for a in COMPANY_PARTS[0] for b in COMPANY_PARTS[1]})
        rng.shuffle(names)
        self.companies = names[:800]
        # Company sizes follow a long tail: a few companies post most of the jobs, as on real boards.
        self.company_weights = [1.0 / (rank + 5) for rank in range(len(self.companies))]
        self.company_cities = {name: rng.sample(CITIES, k=rng.choice([1, 1, 2, 3, 5])) for name in self.companies}

    def _title(self, dept: str) -> str:
        rng = self.rng
        specialty, noun = rng.choice(SPECIALTIES[dept])
        level = rng.choice(SENIORITY)
        title = " ".join(part for part in (level, specialty, noun) if part)
        if rng.random() < 0.15:
            title += f" ({rng.choice(TEAMS)})"
        if rng.random() < 0.05:
            title += " - Remote"
        return title

    def _description(self, role: str, dept: str, company: str, team: str, city: str) -> str:
        rng = self.rng
        # A posting names the few tools of its team's stack, as real descriptions do, not the whole field.
        skills = rng.sample(SKILLS[dept], k=min(len(SKILLS[dept]), rng.randint(4, 7)))
        paragraphs = []
        for _ in range(rng.randint(6, 10)):
            sentences = []
            for template in rng.sample(SENTENCES, k=rng.randint(3, 5)):
                s1, s2, s3 = rng.sample(skills, k=3)
                sentences.append(
                    template.format(
                        role=role,
                        team=team,
                        product=rng.choice(PRODUCTS),
                        s1=s1,
                        s2=s2,
                        s3=s3,
                        years=rng.randint(2, 8),
                        company=company,
                        dept=dept,
                        city=city,
                    )
                )
            paragraphs.append(" ".join(sentences))
        requirements = ", ".join(rng.sample(skills, k=min(len(skills), rng.randint(3, 5))))
        paragraphs.append(f"Requirements: {requirements}.")
        return "\n\n".join(paragraphs)

    def posting(self, number: int) -> Posting:
        """One posting with id `j<number>`."""
        rng = self.rng
        company = rng.choices(self.companies, weights=self.company_weights)[0]
        dept = rng.choices(list(DEPARTMENT_WEIGHTS), weights=list(DEPARTMENT_WEIGHTS.values()))[0]
        title = self._title(dept)
        team = rng.choice(TEAMS)
        places = rng.sample(
            self.company_cities[company], k=1 if rng.random() < 0.8 else min(2, len(self.company_cities[company]))
        )
        workplace = rng.choices(["onsite", "hybrid", "remote", None], weights=[35, 30, 20, 15])[0]
        locations = [
            Location(
                raw=f"{city}, {region or COUNTRY_NAMES[country]}"
                if rng.random() < 0.6
                else f"{city}, {COUNTRY_NAMES[country]}",
                city=city,
                region=region,
                country=country,
            )
            for city, region, country in places
        ]
        if workplace == "remote" and rng.random() < 0.5:
            locations.append(Location(raw=f"Remote - {COUNTRY_NAMES[places[0][2]]}", country=places[0][2]))
        salary = None
        if rng.random() < 0.35:
            low = rng.randrange(40_000, 180_000, 5_000)
            salary = Salary(
                min=low,
                max=low + rng.randrange(10_000, 60_000, 5_000),
                currency="USD" if places[0][2] == "US" else "EUR",
                period="year",
            )
        slug = company.lower().replace(" ", "")
        external = f"{number}"
        return Posting(
            source=rng.choice(["greenhouse", "lever", "ashby", "workday"]),
            board=slug,
            external_id=external,
            title=title,
            company=company,
            url=f"https://jobs.example.com/{slug}/{external}",
            description_text=self._description(title, dept, company, team, places[0][0]),
            locations=locations,
            workplace=workplace,
            department=dept,
            team=team,
            employment_type=rng.choice(EMPLOYMENT),
            salary=salary,
            posted_at=NOW - timedelta(hours=rng.randint(0, 60 * 24)),
            id=f"j{number}",
        )

    def postings(self, count: int) -> list[Posting]:
        """`count` postings, ids `j0` ... ."""
        return [self.posting(number) for number in range(count)]

    def _city(self) -> str:
        rng = self.rng
        city, _region, country = rng.choice(CITIES)
        # Most people name their city; some their country, a few its code.
        return rng.choices([city, COUNTRY_NAMES[country], country], weights=[80, 15, 5])[0]

    def filters(self) -> dict[str, Any]:
        """One alert's filters, drawn from a mix like real users' alerts (a role or skills, and a place)."""
        rng = self.rng
        kind = rng.random()
        filters: dict[str, Any] = {}
        dept = rng.choices(list(DEPARTMENT_WEIGHTS), weights=list(DEPARTMENT_WEIGHTS.values()))[0]
        if kind < 0.35:  # skills in a city, sometimes or remote
            filters["keywords"] = rng.sample(SKILLS[dept], k=rng.randint(1, 2))
            filters["locations"] = [self._city()]
            if rng.random() < 0.15:
                filters["locations"].append("Remote")
        elif kind < 0.62:  # role titles in a city, or remote in a country
            roles = rng.sample(SPECIALTIES[dept], k=rng.randint(1, 2))
            filters["title_keywords"] = [" ".join(p for p in role if p) for role in roles]
            if rng.random() < 0.4:
                filters["is_remote"] = True
                filters["locations"] = [COUNTRY_NAMES[rng.choice(CITIES)[2]]]
            else:
                filters["locations"] = [self._city()]
        elif kind < 0.77:  # favourite companies, large and small
            filters["companies"] = rng.sample(self.companies, k=rng.randint(1, 3))
            if rng.random() < 0.5:
                filters["title_keywords"] = [rng.choice(["engineer", "manager", "designer", "analyst", "developer"])]
        elif kind < 0.90:  # skills, excluding what they do not want
            filters["keywords"] = rng.sample(SKILLS[dept], k=rng.randint(1, 2))
            filters["exclude_keywords"] = rng.sample(EXCLUSIONS, k=rng.randint(1, 3))
            filters["locations"] = [self._city()]
            if rng.random() < 0.3:
                filters["employment_types"] = ["full_time"]
        elif kind < 0.97:  # a department in a city
            filters["departments"] = [dept]
            filters["locations"] = [rng.choice(CITIES)[0]]
        else:  # broad: a role word anywhere in the title, in one country
            filters["title_keywords"] = [rng.choice(["engineer", "developer", "manager", "scientist", "designer"])]
            filters["locations"] = [COUNTRY_NAMES[rng.choice(CITIES)[2]]]
        if rng.random() < 0.25:
            filters["min_posted_days_ago"] = rng.choice([1, 3, 7, 14, 30])
        if rng.random() < 0.1:
            filters["salary_min"] = rng.randrange(50_000, 150_000, 10_000)
        return filters

    def alerts(self, count: int) -> list[tuple[str, dict[str, Any]]]:
        """`count` alerts as `(id, filters)`, ids `a0` ... ."""
        return [(f"a{number}", self.filters()) for number in range(count)]

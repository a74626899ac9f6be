"""The starter catalog: well-known companies' public job boards that users can pick instead of typing a token.

Board tokens only (CONTRACT section 4), with the company's display name; nothing here touches the network.
Each token is the company's public board on that ATS as recorded in `../shared/fixtures/ats/SOURCES.md` or as
the company links it from its careers page. Companies move between ATSs: a token that starts answering 404
shows up as a `missing` board (`jobwatch boards list`), and is then replaced here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One board to offer: `key` as `jobwatch boards add` takes it (`greenhouse:stripe`) and the company's name."""

    key: str
    name: str

    @property
    def source(self) -> str:
        """The board's source, the part of `key` before the first colon (`greenhouse`)."""
        return self.key.split(":", 1)[0]


CATALOG: tuple[CatalogEntry, ...] = (
    # Greenhouse
    CatalogEntry("greenhouse:stripe", "Stripe"),
    CatalogEntry("greenhouse:anthropic", "Anthropic"),
    CatalogEntry("greenhouse:databricks", "Databricks"),
    CatalogEntry("greenhouse:vercel", "Vercel"),
    CatalogEntry("greenhouse:amplitude", "Amplitude"),
    CatalogEntry("greenhouse:honeycomb", "Honeycomb"),
    CatalogEntry("greenhouse:airbnb", "Airbnb"),
    CatalogEntry("greenhouse:discord", "Discord"),
    CatalogEntry("greenhouse:figma", "Figma"),
    CatalogEntry("greenhouse:cloudflare", "Cloudflare"),
    CatalogEntry("greenhouse:gitlab", "GitLab"),
    # Lever
    CatalogEntry("lever:spotify", "Spotify"),
    CatalogEntry("lever:palantir", "Palantir"),
    CatalogEntry("lever:outreach", "Outreach"),
    CatalogEntry("lever:pipedrive", "Pipedrive"),
    CatalogEntry("lever:matchgroup", "Match Group"),
    CatalogEntry("lever:veeva", "Veeva Systems"),
    CatalogEntry("lever:plaid", "Plaid"),
    # Ashby
    CatalogEntry("ashby:ramp", "Ramp"),
    CatalogEntry("ashby:cursor", "Cursor"),
    CatalogEntry("ashby:vanta", "Vanta"),
    CatalogEntry("ashby:render", "Render"),
    CatalogEntry("ashby:linear", "Linear"),
    CatalogEntry("ashby:openai", "OpenAI"),
    # Workday
    CatalogEntry("workday:nvidia.wd5/NVIDIAExternalCareerSite", "NVIDIA"),
    CatalogEntry("workday:salesforce.wd12/External_Career_Site", "Salesforce"),
    CatalogEntry("workday:analogdevices.wd1/External", "Analog Devices"),
    CatalogEntry("workday:gdit.wd5/External_Career_Site", "General Dynamics IT"),
    # SmartRecruiters
    CatalogEntry("smartrecruiters:WesternDigital", "Western Digital"),
    CatalogEntry("smartrecruiters:Visa", "Visa"),
    CatalogEntry("smartrecruiters:BoschGroup", "Bosch"),
    # Workable
    CatalogEntry("workable:huggingface", "Hugging Face"),
    CatalogEntry("workable:netguru", "Netguru"),
    # Recruitee
    CatalogEntry("recruitee:aikidosecurity", "Aikido Security"),
    CatalogEntry("recruitee:espeo", "Espeo Software"),
)

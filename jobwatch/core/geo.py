"""Country names and codes for location filters (CONTRACT section 3, "Locations").

A location filter such as "Germany", "DEU", "USA" or "Great Britain" matches a posting whose location has
that country's ISO 3166-1 alpha-2 code. The names come from `pycountry` (ISO name, common name, official
name, alpha-3 and alpha-2 codes) plus the aliases CONTRACT lists; all are compared folded
(:func:`jobwatch.core.text.fold_key`). The tables are built once, on first use.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

from jobwatch.core.text import fold_key

__all__ = ["COUNTRY_ALIASES", "country_code", "country_names"]

#: Names CONTRACT section 3 adds to pycountry's, by alpha-2 code.
COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("USA", "US", "America"),
    "GB": ("UK", "Great Britain", "Britain"),
}


@lru_cache(maxsize=1)
def _names_by_code() -> dict[str, frozenset[str]]:
    table: dict[str, frozenset[str]] = {}
    for country in pycountry.countries:
        names = [country.alpha_2, country.alpha_3, country.name]
        # `common_name` and `official_name` exist only for some countries.
        for attribute in ("common_name", "official_name"):
            value = getattr(country, attribute, None)
            if value:
                names.append(value)
        names.extend(COUNTRY_ALIASES.get(country.alpha_2, ()))
        table[country.alpha_2] = frozenset(fold_key(name) for name in names)
    return table


@lru_cache(maxsize=1)
def _code_by_name() -> dict[str, str]:
    table: dict[str, str] = {}
    # Codes first, then names: a string that is one country's code and another's name resolves to the code.
    by_code = _names_by_code()
    for code in by_code:
        table.setdefault(fold_key(code), code)
        country = pycountry.countries.get(alpha_2=code)
        if country is not None:
            table.setdefault(fold_key(country.alpha_3), code)
    for code, names in by_code.items():
        for name in sorted(names):
            table.setdefault(name, code)
    return table


def country_names(alpha2: str) -> frozenset[str]:
    """Every folded name of the country with ISO 3166-1 alpha-2 code `alpha2` (any case).

    Holds the ISO name, common name, official name, alpha-3 and alpha-2 codes, and CONTRACT's aliases (`usa`,
    `us`, `america` for US; `uk`, `great britain`, `britain` for GB), each as `fold_key` gives it. An unknown
    code gives an empty set; nothing is raised.
    """
    return _names_by_code().get(alpha2.strip().upper(), frozenset())


def country_code(name: str) -> str | None:
    """The ISO 3166-1 alpha-2 code (upper case) of the country that `name` names, or None.

    `name` is compared folded ("deutschland" is not known, but "germany", "DEU", "de", "Great Britain",
    "usa" and "Türkiye"/"turkiye" are). Nothing is raised.
    """
    return _code_by_name().get(fold_key(name))

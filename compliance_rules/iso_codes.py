"""ISO 3166 codes as rule packs write them: host countries (alpha-2) and jurisdictions.

A pack is data a reviewer reads; a misspelt country would silently never match,
so every code is checked against pycountry when the pack loads.
"""

from __future__ import annotations

import pycountry

from compliance_rules.proposal import INTERNATIONAL


def iso_country(code: str) -> str:
    """`code` when it is an ISO 3166-1 alpha-2 country code in capitals; ValueError otherwise."""
    if (
        len(code) != 2
        or not code.isascii()
        or not code.isupper()
        or pycountry.countries.get(alpha_2=code) is None
    ):
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


def iso_jurisdiction(code: str) -> str:
    """A registry jurisdiction: a country (CN), a subdivision (CN-GD) or XX for international registries."""
    if code == INTERNATIONAL:
        return code
    if "-" in code:
        if not code.isascii() or code != code.upper() or pycountry.subdivisions.get(code=code) is None:
            raise ValueError(f"{code!r} is not an ISO 3166-2 subdivision code")
        return code
    try:
        return iso_country(code)
    except ValueError:
        raise ValueError(f"{code!r} is not an ISO 3166 country or subdivision code, nor XX") from None

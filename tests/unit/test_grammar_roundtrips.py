"""Every grammar round-trips: a serial built from its parts parses to exactly the block built
from the same parts, and that block formats back to exactly that serial; so do split halves."""

from datetime import date, timedelta

import pycountry
from hypothesis import given
from hypothesis import strategies as st

from adapters.grammars.gateway_defined import DEFINED_FORMATS, defined_grammar
from adapters.grammars.gold_standard import GOLD_STANDARD
from adapters.grammars.itmo import ITMO
from adapters.grammars.kyoto import CDM, UNIT_TYPES
from adapters.grammars.verra import VERRA
from domain.serials import SerialBlock

COUNTRIES = sorted(c.alpha_2 for c in pycountry.countries)

countries = st.sampled_from(COUNTRIES)
unit_numbers = st.integers(min_value=0, max_value=10**12)
years = st.integers(min_value=1980, max_value=2100).map(str)
positive = st.integers(min_value=1, max_value=10**9)


def digit_text(low: int, high: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=low, max_size=high)


@st.composite
def ranges(draw) -> tuple[int, int]:
    start = draw(unit_numbers)
    return start, start + draw(st.integers(min_value=0, max_value=10**9))


@st.composite
def verra_cases(draw) -> tuple[str, SerialBlock]:
    issuance, code, project = draw(digit_text(1, 10)), draw(digit_text(3, 4)), draw(digit_text(1, 7))
    registry, country = draw(st.sampled_from(["VER", "MER", "APX"])), draw(countries)
    scope, flag = str(draw(st.integers(1, 16))), draw(st.sampled_from(["0", "1"]))
    first = draw(st.dates(min_value=date(1980, 1, 1), max_value=date(2099, 1, 1)))
    last = first + timedelta(days=draw(st.integers(0, 730)))
    vintage = f"{first:%d%m%Y}-{last:%d%m%Y}"
    start, end = draw(ranges())
    form = draw(st.sampled_from(["12", "13"]))
    marker = "VCS-" if form == "13" else ""
    serial = (
        f"{issuance}-{start}-{end}-{marker}VCU-{code}-{registry}-{country}-{scope}-{project}-{vintage}-{flag}"
    )
    block = SerialBlock(
        programme="VCS",
        serial_space="VCS",
        project_id=project,
        vintage=vintage,
        unit_type="VCU",
        country=country,
        start=start,
        end=end,
        attributes={
            "form": form,
            "issuance_id": issuance,
            "code": code,
            "registry_code": registry,
            "sectoral_scope": scope,
            "flag": flag,
        },
    )
    return serial, block


@st.composite
def gold_standard_cases(draw) -> tuple[str, SerialBlock]:
    country, project, kind = (
        draw(countries),
        f"GS{draw(st.integers(1, 10**8 - 1))}",
        str(draw(st.integers(1, 999))),
    )
    vintage, batch = draw(years), str(draw(positive))
    start, end = draw(ranges())
    serial = f"GS1-1-{country}-{project}-{kind}-{vintage}-{batch}-{start}-{end}"
    block = SerialBlock(
        programme="GS",
        serial_space=f"GS:{batch}",
        project_id=project,
        vintage=vintage,
        unit_type="VER",
        country=country,
        start=start,
        end=end,
        attributes={"project_type": kind, "batch": batch},
    )
    return serial, block


@st.composite
def kyoto_cases(draw) -> tuple[str, SerialBlock]:
    party, code = draw(countries), draw(st.sampled_from(["5", "6", "7"]))
    original, applicable = str(draw(st.integers(0, 3))), str(draw(st.integers(0, 3)))
    lulucf, project = str(draw(st.integers(0, 99))), draw(digit_text(1, 10))
    start, end = draw(ranges())
    tail = f"{original}-{applicable}-{lulucf}-{project}"
    serial = f"{party}-{code}-{start}-{tail} - {party}-{code}-{end}-{tail}"
    block = SerialBlock(
        programme="CDM",
        serial_space=f"KYOTO:{party}:{original}",
        project_id=project,
        vintage=f"CP{original}",
        unit_type=UNIT_TYPES[code],
        country=party,
        start=start,
        end=end,
        attributes={
            "unit_type_code": code,
            "original_commitment_period": original,
            "applicable_commitment_period": applicable,
            "lulucf_activity": lulucf,
        },
    )
    return serial, block


@st.composite
def itmo_cases(draw) -> tuple[str, SerialBlock]:
    host, project, vintage = draw(countries), draw(digit_text(1, 10)), draw(years)
    start, end = draw(ranges())
    if draw(st.booleans()):
        scope = str(draw(st.integers(1, 15)))
        serial = f"{host}-ITMO-{scope}-{project}-{vintage}-0-{start}-{end}"
        attributes = {"form": "sectoral", "sectoral_scope": scope, "reserved": "0"}
    else:
        credit = draw(st.from_regex(r"[A-Z]{1,4}[0-9]{1,8}", fullmatch=True))
        first = draw(countries)
        serial = f"{credit}-{host}-{first}-{project}-{start}-{end}-{vintage}"
        attributes = {"form": "credit", "credit_id": credit, "first_transferring_party": first}
    block = SerialBlock(
        programme="ITMO",
        serial_space=f"ITMO:{host}:{project}:{vintage}",
        project_id=project,
        vintage=vintage,
        unit_type="ITMO",
        country=host,
        start=start,
        end=end,
        attributes=attributes,
    )
    return serial, block


@st.composite
def defined_cases(draw) -> tuple[str, str, SerialBlock]:
    spec = draw(st.sampled_from(list(DEFINED_FORMATS.values())))
    country = spec.country or draw(countries)
    project = "0" if spec.allowance else str(draw(positive))
    vintage, batch = draw(years), str(draw(st.integers(0, 10**6)))
    start, end = draw(ranges())
    serial = f"{spec.prefix}-{country}-{project}-{vintage}-{batch}-{start}-{end}"
    block = SerialBlock(
        programme=spec.programme,
        serial_space=f"{spec.programme}:{project}:{vintage}:{batch}",
        project_id=project,
        vintage=vintage,
        unit_type=spec.unit_type,
        country=country,
        start=start,
        end=end,
        attributes={"batch": batch},
    )
    return spec.programme, serial, block


def assert_round_trip(grammar, serial: str, block: SerialBlock, cut: int) -> None:
    assert grammar.parse(serial) == block
    assert grammar.format(block) == serial
    head, tail = block.split(min(cut, block.quantity))
    for part in (head, tail):
        if part is not None:
            assert grammar.parse(grammar.format(part)) == part


cuts = st.integers(min_value=1, max_value=10**10)


@given(verra_cases(), cuts)
def test_verra_round_trip(case, cut):
    assert_round_trip(VERRA, *case, cut)


@given(gold_standard_cases(), cuts)
def test_gold_standard_round_trip(case, cut):
    assert_round_trip(GOLD_STANDARD, *case, cut)


@given(kyoto_cases(), cuts)
def test_kyoto_round_trip(case, cut):
    assert_round_trip(CDM, *case, cut)


@given(itmo_cases(), cuts)
def test_itmo_round_trip(case, cut):
    assert_round_trip(ITMO, *case, cut)


@given(defined_cases(), cuts)
def test_defined_round_trip(case, cut):
    programme, serial, block = case
    assert_round_trip(defined_grammar(programme), serial, block, cut)

"""Serials as they arrive from web pages and spreadsheets are refused, naming the failing segment.

Nothing is stripped or repaired: each case below would parse if the grammar guessed.
"""

import pytest

from adapters.grammars.gateway_defined import defined_grammar
from adapters.grammars.gold_standard import GOLD_STANDARD
from adapters.grammars.itmo import ITMO
from adapters.grammars.kyoto import CDM
from adapters.grammars.verra import VERRA
from domain.errors import MalformedSerial

V = "9660-115597313-115618057-VCS-VCU-261-VER-US-14-1060-01012019-31122019-0"
G = "GS1-1-KE-GS7495-16-2025-30645-608-30350"
K = "CN-5-1000-2-2-0-1234 - CN-5-1999-2-2-0-1234"
CCER = defined_grammar("CCER")
SZA = defined_grammar("SZA")
A64 = defined_grammar("A6.4ER")

CORPUS = [
    # Verra
    (VERRA, " " + V, "issuance id", "whitespace"),
    (VERRA, V + " ", "flag", "whitespace"),
    (VERRA, V + "\n", "flag", "whitespace"),
    (VERRA, V.replace("-1060-", "-1O60-"), "project id", "letter O"),
    (VERRA, V.replace("9660", "966O"), "issuance id", "letter O"),
    (VERRA, V.rsplit("-", 1)[0], "flag", "missing"),
    (VERRA, V.rsplit("-", 3)[0], "vintage start", "missing"),
    (VERRA, V[:-1], "flag", "empty"),
    (VERRA, V + "-1", "flag", "extra"),
    (VERRA, "0001-000001-000100-VCS-VCU-003-VER-US-0003-01012020-31122020-1", "flag", "13 segments"),
    (VERRA, V.replace("115597313-115618057", "115618057-115597313"), "block end", "before"),
    (VERRA, V.replace("-115597313-", "-0115597313-"), "block start", "leading zero"),
    (VERRA, V.replace("-01012019-", "-32012019-"), "vintage start", "DDMMYYYY"),
    (VERRA, V.replace("-01012019-", "-29022019-"), "vintage start", "DDMMYYYY"),
    (VERRA, V.replace("-01012019-", "-2019-01-01-"), "flag", "extra"),
    (VERRA, V.replace("01012019-31122019", "01012020-31122019"), "vintage end", "before"),
    (VERRA, V.replace("-US-", "-ZZ-"), "host country", "not an ISO 3166"),
    (VERRA, V.replace("-US-", "-us-"), "host country", "capitals"),
    (VERRA, V.replace("-US-", "-USA-"), "host country", "alpha-2"),
    (VERRA, V.replace("-VER-", "-XYZ-"), "registry code", "expected"),
    (VERRA, V.replace("-VCS-", "-GS-"), "programme", "expected 'VCS'"),
    (VERRA, V.replace("-VCU-", "-VER-"), "unit type", "expected 'VCU'"),
    (VERRA, V.replace("-14-", "-17-"), "sectoral scope", "1-16"),
    (VERRA, V[:-1] + "2", "flag", "expected"),
    (VERRA, V.replace("-261-", "-26-"), "code", "3-4 digits"),
    (VERRA, "", "block start", "missing"),
    # Gold Standard
    (GOLD_STANDARD, G + " ", "block end", "whitespace"),
    (GOLD_STANDARD, G.replace("-2025-", "-2O25-"), "vintage", "letter O"),
    (GOLD_STANDARD, G.replace("-2025-", "-1899-"), "vintage", "outside"),
    (GOLD_STANDARD, G.rsplit("-", 1)[0], "block end", "missing"),
    (GOLD_STANDARD, G.replace("GS1-1", "GS2-1"), "prefix", "expected"),
    (GOLD_STANDARD, G.replace("-GS7495-", "-7495-"), "project id", "GS and a number"),
    (GOLD_STANDARD, G.replace("-KE-", "-QQ-"), "host country", "not an ISO 3166"),
    (GOLD_STANDARD, G.replace("608-30350", "30350-608"), "block end", "before"),
    # Kyoto
    (CDM, K.replace("-1234", "-1235", 2).replace("-1235", "-1234", 1), "last unit project id", "differs"),
    (CDM, K.replace(" - CN", " - IN"), "last unit host party", "differs"),
    (
        CDM,
        K.replace("-2-2-0-1234", "-2-1-0-1234", 2).replace("-2-1-0", "-2-2-0", 1),
        "last unit applicable commitment period",
        "differs",
    ),
    (CDM, "CN-5-1000-2-2-0-1234", "block end", "joined by ' - '"),
    (CDM, K.replace(" - ", "-"), "block end", "joined by ' - '"),
    (CDM, K.replace(" - ", " -  "), "last unit host party", "whitespace"),
    (CDM, "CN-5-1999-2-2-0-1234 - CN-5-1000-2-2-0-1234", "block end", "before"),
    (CDM, K.rsplit("-", 1)[0], "last unit project id", "missing"),
    (CDM, K.replace("CN-", "ZZ-"), "host party", "not an ISO 3166"),
    (CDM, K.replace("CN-5", "CN-1"), "unit type", "AAU"),
    (CDM, K.replace("-2-2-0-", "-4-2-0-"), "original commitment period", "0-3"),
    (CDM, K.replace("-1000-", "-1OOO-"), "block start", "letter O"),
    # ITMO
    (ITMO, "VU-ITMO-16-356-2022-0-27-35", "sectoral scope", "1-15"),
    (ITMO, "XX-ITMO-11-356-2022-0-27-35", "host country", "not an ISO 3166"),
    (ITMO, "VU-ITMO-11-356-2022-1-27-35", "reserved", "expected '0'"),
    (ITMO, "VU-ITMO-11-356-2022-0-35-27", "block end", "before"),
    (ITMO, "VU-ITMO-11-356-2022-0-27", "block end", "missing"),
    (ITMO, "VU-ITMO-11-356-22-0-27-35", "vintage", "4 digits"),
    (ITMO, "CA0004-VU-ZZ-356-1-3000-2023", "first-transferring party", "not an ISO 3166"),
    (ITMO, "CA0004-VU-CH-356-3000-1-2023", "block end", "before"),
    (ITMO, "CA0004-VU-CH-356-1-3000-2O23", "vintage", "letter O"),
    (ITMO, "ca0004-VU-CH-356-1-3000-2023", "credit id", "CA0004"),
    (ITMO, "CA0004-VU-CH-356-1-3000", "vintage", "missing"),
    # Gateway-defined
    (CCER, "CCER-CN-100231-2024-3-1-50000 ", "block end", "whitespace"),
    (CCER, "CCER-CN-0100231-2024-3-1-50000", "project", "leading zeros"),
    (CCER, "CCER-HK-100231-2024-3-1-50000", "country", "expected 'CN'"),
    (CCER, "CCER-CN-100231-2024-3-1", "block end", "missing"),
    (CCER, "CCER-CN-100231-2024-3-50000-1", "block end", "before"),
    (CCER, "CCER-CN-100231-1899-3-1-5", "vintage", "outside"),
    (CCER, "SZA-CN-0-2024-1-1-10", "prefix", "expected 'CCER'"),
    (SZA, "SZA-CN-12-2024-1-1-10", "project", "expected '0'"),
    (SZA, "SZA-CN-0-2024-O1-1-10", "batch", "letter O"),
    (A64, "A6.4ER-ZZ-12-2026-1-1-10", "country", "not an ISO 3166"),
]


@pytest.mark.parametrize(("grammar", "serial", "segment", "reason"), CORPUS)
def test_malformed_serial_is_refused_naming_the_segment(grammar, serial, segment, reason):
    with pytest.raises(MalformedSerial) as refused:
        grammar.parse(serial)
    assert refused.value.segment == segment
    assert reason in refused.value.reason
    assert refused.value.serial == serial
    assert segment in str(refused.value)


def test_the_unmodified_serials_of_the_corpus_parse():
    # Guards the corpus itself: every refusal above comes from the edit, not from the base serial.
    for grammar, serial in [(VERRA, V), (GOLD_STANDARD, G), (CDM, K)]:
        assert grammar.parse(serial).quantity > 0

"""Every registry the gateway links and every programme's serial grammar, in one place.

The rest of the gateway asks here, by registry id or by programme, instead of
importing registry modules; a registry joins the gateway by joining `_MODULE_PROFILES`.
"""

from __future__ import annotations

from functools import cache

from adapters import (
    a64,
    cdm,
    cn_ccer,
    cn_gd_ets,
    cn_gd_puhui,
    cn_national_ets,
    cn_sz_ets,
    cn_sz_puhui,
    gold_standard,
    hk_core_climate,
    mo_micx,
    national,
    verra,
)
from adapters.base import RegistryProfile
from adapters.grammars import parse_first_fit
from adapters.grammars.gateway_defined import GRAMMARS as DEFINED_GRAMMARS
from adapters.grammars.gold_standard import GOLD_STANDARD
from adapters.grammars.itmo import ITMO
from adapters.grammars.kyoto import CDM
from adapters.grammars.verra import VERRA
from domain.errors import InvalidInput, UnknownRegistry
from domain.serials import SerialBlock, SerialGrammar

_MODULE_PROFILES: tuple[RegistryProfile, ...] = (
    verra.PROFILE,
    gold_standard.PROFILE,
    cn_ccer.PROFILE,
    cn_national_ets.PROFILE,
    cn_sz_ets.PROFILE,
    cn_sz_puhui.PROFILE,
    cn_gd_ets.PROFILE,
    cn_gd_puhui.PROFILE,
    hk_core_climate.PROFILE,
    mo_micx.PROFILE,
    a64.PROFILE,
    cdm.PROFILE,
)

_PROGRAMME_GRAMMARS: dict[str, SerialGrammar] = {
    VERRA.programme: VERRA,
    GOLD_STANDARD.programme: GOLD_STANDARD,
    CDM.programme: CDM,
    ITMO.programme: ITMO,
    **DEFINED_GRAMMARS,
}


@cache
def _profiles() -> tuple[RegistryProfile, ...]:
    """Loaded once: the national registries come from a data file checked at first use."""
    return (*_MODULE_PROFILES, *national.profiles())


def all_profiles() -> list[RegistryProfile]:
    """Every registry, in a stable order: the named registries, then the national ones by id."""
    return list(_profiles())


def profile(registry_id: str) -> RegistryProfile:
    for candidate in _profiles():
        if candidate.registry_id == registry_id:
            return candidate
    known = ", ".join(p.registry_id for p in _profiles())
    raise UnknownRegistry(f"unknown registry {registry_id!r}; known registries: {known}", field="registry_id")


def programmes() -> list[str]:
    """Every programme whose serials the gateway can read."""
    return sorted(_PROGRAMME_GRAMMARS)


def grammar_for_programme(programme: str) -> SerialGrammar:
    """The issuing programme's grammar: mirrored units are always written in it."""
    try:
        return _PROGRAMME_GRAMMARS[programme]
    except KeyError:
        known = ", ".join(programmes())
        raise InvalidInput(
            f"no serial grammar for programme {programme!r}; known programmes: {known}", field="programme"
        ) from None


def grammars_of(registry: RegistryProfile) -> list[SerialGrammar]:
    """The registry's own grammar first, then those of the other programmes it accepts."""
    grammars = [registry.grammar]
    for programme in sorted(registry.accepted_programmes - {registry.grammar.programme}):
        grammar = grammar_for_programme(programme)
        if all(grammar is not seen for seen in grammars):
            grammars.append(grammar)
    return grammars


def parse_serial(registry_id: str, serial: str) -> SerialBlock:
    """A serial as the registry can hold it: in its own grammar or an accepted programme's.

    Raises the MalformedSerial of the grammar the serial looks meant for.
    """
    return parse_first_fit(serial, grammars_of(profile(registry_id)))


def format_serial(block: SerialBlock) -> str:
    """The block's serial in its issuing programme's grammar, whichever registry holds it."""
    return grammar_for_programme(block.programme).format(block)

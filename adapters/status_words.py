"""Status word tables that several registries share.

The Chinese registries use the same vocabulary among themselves, and the Article 6
registries share the agreed electronic format's action words; keeping each table
once stops the registries from drifting apart. The first word listed for a status
is the one the sandbox renders.
"""

from __future__ import annotations

from domain.units import UnitStatus

# Chinese allowance registries (national, Shenzhen, Guangdong ETS).
CN_ALLOWANCE_WORDS: dict[str, UnitStatus] = {
    "持有": UnitStatus.HELD,  # held
    "冻结": UnitStatus.LOCKED,  # frozen
    "转出": UnitStatus.EXPORTED,  # transferred out
    "清缴": UnitStatus.RETIRED,  # surrendered for compliance
    "注销": UnitStatus.CANCELLED,  # cancelled
    "过期": UnitStatus.EXPIRED,  # expired
    "质押": UnitStatus.PLEDGED,  # pledged
}

# Chinese credit registries (CCER, Shenzhen and Guangdong carbon-inclusive platforms).
CN_CREDIT_WORDS: dict[str, UnitStatus] = {
    "持有": UnitStatus.HELD,  # held
    "冻结": UnitStatus.LOCKED,  # frozen
    "转出": UnitStatus.EXPORTED,  # transferred out
    "注销": UnitStatus.RETIRED,  # cancelled for use: an offset or a voluntary claim
    "清缴抵销": UnitStatus.RETIRED,  # surrendered to offset a compliance obligation
    "撤销": UnitStatus.CANCELLED,  # revoked by the administrator
    "失效": UnitStatus.EXPIRED,  # lapsed
    "质押": UnitStatus.PLEDGED,  # pledged
}

# Article 6 registries (the 6.4 mechanism registry, national 6.2 registries), after the AEF actions.
ARTICLE6_WORDS: dict[str, UnitStatus] = {
    "Held": UnitStatus.HELD,
    "Reserved": UnitStatus.LOCKED,
    "Transferred": UnitStatus.EXPORTED,
    "Used": UnitStatus.RETIRED,  # used towards an NDC or other international mitigation purpose
    "Voluntarily cancelled": UnitStatus.RETIRED,
    "Cancelled": UnitStatus.CANCELLED,
    "OMGE cancelled": UnitStatus.CANCELLED,  # overall mitigation in global emissions
    "Expired": UnitStatus.EXPIRED,
    "Pledged": UnitStatus.PLEDGED,
}

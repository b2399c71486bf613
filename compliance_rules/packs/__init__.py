"""The rule packs the gateway ships, one TOML file per jurisdiction or programme (docs/rules.md).

A package only so the packs ship in the wheel beside the code that reads them.
"""

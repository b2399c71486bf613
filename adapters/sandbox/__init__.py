"""Our stand-in registry server, for registries in scope that have no public write API.

It speaks HTTP on loopback so the gateway's real client, timeouts and retries are
exercised, keeps its state in a SQLite file so a restart loses nothing, and can
inject faults (latency, errors, timeouts, lost replies, refusals) per registry.

Start it in-process with `adapters.sandbox.server.start_sandbox`, or as a process
with `python -m adapters.sandbox --state FILE --port N`. Bodies are the models in
`adapters.sandbox.wire`; every refusal is `{"code", "message"}` (`refusals.py`).

Registry calls (faultable), under `/registries/{registry_id}`:
    GET  holdings[?account_id=]          200 HoldingsResponse (retired rows carry their retirement)
    GET  accounts/{account_id}           200 AccountOut (state open, blocked or unknown)
    POST locks {key, account_id, block}  200 OperationResult | 409 UNITS-NOT-HELD,
                                         QUANTITY-EXCEEDS-BLOCK, WRONG-ACCOUNT, LOCK-RELEASED,
                                         ACCOUNT-BLOCKED
    POST locks/{key}/release             200 (no-op for an unknown key) | 409 LOCK-FINALISED
    POST locks/{key}/finalise            200 | 409 LOCK-RELEASED | 404 UNKNOWN-LOCK
    POST credits {key, account_id, block}  200 | 409 ACCOUNT-UNKNOWN, ACCOUNT-BLOCKED,
                                         PROGRAMME-NOT-ACCEPTED, SERIALS-ALREADY-LIVE, CREDIT-REVERSED
    POST credits/{key}/reverse           200 (no-op for an unknown key) | 409 CREDIT-NOT-HELD
    POST retirements {key, account_id, block, beneficiary, reason}
                                         200 OperationResult with retirement {key, beneficiary,
                                         reason}; the units become RETIRED for good, the rest of
                                         their held block stays held | 409 UNITS-NOT-HELD,
                                         QUANTITY-EXCEEDS-BLOCK, WRONG-ACCOUNT, ACCOUNT-BLOCKED
                                         | 422 NO-STATUS-WORD (the registry has no retired word)
  Same key and body again: the stored 200, nothing done; same key, other body: 422 KEY-REUSED.
  Unknown registry: 404 UNKNOWN-REGISTRY; bad body: 422 INVALID-REQUEST; injected faults: 503.

Evidence-based registries (Verra, Gold Standard) also serve their public read API, faultable
(`public_api.py`): POST /verra/uiapi/asset/asset/search, GET /gold-standard/credits and
/gold-standard/projects; and the holder's own actions, never faulted (`holder.py`):
POST /registries/{registry_id}/holder/immobilise | retire | release. See docs/evidence.md.

Accounts exist once opened: by `PUT /admin/accounts` (AccountsRequest: open or block, all or
none), or by seeding units into them. Credits go only to open accounts; a blocked account's
units cannot be locked.

Admin (never faulted): GET /health, GET /registries, POST /admin/seed (SeedRequest, once per
seed_key; opens each holder's account), PUT /admin/accounts, GET /admin/totals,
PUT|GET|DELETE /admin/registries/{registry_id}/faults (FaultPlan).
"""

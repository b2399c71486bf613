"""The gateway's processes: all of it on one machine, or the worker and the gRPC server apart.

`carbon-gateway up` (ProcessKind.ALL) and the end-to-end tests start exactly this, so what the
tests drive is what a user runs. Each shared part can instead be pointed at an external
service through Settings (a Temporal cluster, PostgreSQL, registries, a chain node); then
`carbon-gateway worker` (WORKER: the Temporal worker and the schedules) and
`carbon-gateway serve` (SERVE: the gRPC server and the orphan sweep) run as many
processes as load needs (docs/deploy.md). Nothing they share lives in the data folder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

import grpc
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from web3 import Web3

from adapters import catalogue
from adapters.evidence import EvidenceReader, evidence_reader_for
from adapters.http_client import SandboxRegistryClient
from adapters.outbound_tls import OutboundTls
from adapters.polite_client import Politeness
from adapters.sandbox.process import SandboxProcess
from compliance_rules.rulebook import Rulebook, load_rulebook
from gateway.demo import record_demo_holders, seed_demo_entities, seed_demo_holdings
from gateway.observability import Observability
from gateway.orphan_sweep import sweep_forever
from gateway.process_kind import ProcessKind, SharedPartMissing, external_parts_missing
from gateway.public_site.server import PublicSite, PublicSiteServer
from gateway.reconciliation_checks import GatewayChecks
from gateway.server import start_grpc_server
from gateway.services import printable_url, start_temporal_dev_server
from gateway.settings import Settings
from gateway.transfer_desk import TransferDesk
from gateway.transport import Transport, server_transport
from ledger import Ledger
from ledger_anchor.chain import GatewaySigner
from ledger_anchor.embedded_chain import EmbeddedChain
from ledger_anchor.journal import import_file_journal
from workflows.activities import TransferActivities
from workflows.anchor import ANCHOR_SCHEDULE_ID, ANCHOR_WORKFLOW_ID, AnchorWorkflow
from workflows.anchor_activities import AnchorActivities, AnchorTarget, ChainLink, LedgerAnchorJournal
from workflows.finance_parts import FinanceParts
from workflows.finance_workflows import finance_activities
from workflows.reconciliation import RECONCILIATION_SCHEDULE_ID, ReconciliationWorkflow
from workflows.reconciliation_activities import SCHEDULED_BY, ReconcileInput, ReconciliationParts
from workflows.reconciliation_activities import activities as reconciliation_activities
from workflows.search_attributes import ALL_KEYS
from workflows.worker import gateway_worker, ledger_fingerprint, refuse_foreign_workers

_log = logging.getLogger(__name__)


async def register_search_attributes(client: Client) -> None:
    """Make the transfer search attributes known to a Temporal cluster (the embedded server gets them at start)."""
    wanted = {key.name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for key in ALL_KEYS}
    known = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {name: kind for name, kind in wanted.items() if name not in known.custom_attributes}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing)
        )


def _mine_one(chain: EmbeddedChain, link: ChainLink) -> None:
    with link.lock:
        chain.mine()


@dataclass
class EmbeddedGateway:
    """Every running part of one gateway, started in order and stopped in reverse."""

    settings: Settings
    demo: bool = False
    kind: ProcessKind = ProcessKind.ALL
    grpc_port: int = 0
    temporal_address: str = ""
    temporal_ui: str | None = None
    sandbox_url: str = ""
    chain_url: str = ""
    chain: ChainLink | None = None
    client: Client | None = None
    ledger: Ledger | None = None
    desk: TransferDesk | None = None
    rulebook: Rulebook | None = None
    adapters: dict[str, SandboxRegistryClient] = field(default_factory=dict)
    evidence_readers: dict[str, EvidenceReader] = field(default_factory=dict)
    observability: Observability | None = None
    _env: WorkflowEnvironment | None = None
    _sandbox: SandboxProcess | None = None
    _worker: Worker | None = None
    _worker_task: asyncio.Task[None] | None = None
    _server: grpc.aio.Server | None = None
    _embedded_chain: EmbeddedChain | None = None
    _miner: asyncio.Task[None] | None = None
    _sweeper: asyncio.Task[None] | None = None
    _public: PublicSiteServer | None = None

    async def start(self) -> EmbeddedGateway:
        """Start every part; if one fails, stop those already running and re-raise."""
        try:
            return await self._start_all()
        except BaseException:
            await self.stop()
            raise

    async def _start_all(self) -> EmbeddedGateway:
        s = self.settings
        missing = external_parts_missing(s, self.kind)
        if missing:
            raise SharedPartMissing(
                f"a {self.kind} process shares its services with the others: set {', '.join(missing)} "
                "(`carbon-gateway services` starts development ones; docs/deploy.md)"
            )
        # First, so a malformed rule pack stops start-up before anything runs.
        self.rulebook = load_rulebook(s.rule_packs_dir) if s.rule_packs_dir else load_rulebook()
        # Missing certificates stop start-up here too.
        transport = server_transport(s, demo=self.demo) if self.kind.serves else None
        tls = OutboundTls(verify=s.outbound_tls_verify, ca_file=s.outbound_ca_file)
        tls.check()  # an unusable outbound_ca_file stops start-up too; verification off is a warning
        s.data_dir.mkdir(parents=True, exist_ok=True)
        self.observability = Observability.start(s)  # before the Temporal client, which reports to it
        self.client = await self._start_temporal()
        fingerprint = ledger_fingerprint(s.resolved_ledger_url())
        if self.kind.works:
            await refuse_foreign_workers(
                self.client, s.task_queue, fingerprint
            )  # before anything else starts
        await self._start_sandbox()
        self.ledger = Ledger.open(s.resolved_ledger_url())
        self.ledger.changes.writers_here = self.kind.works  # this worker's commits wake watchers here
        if transport is not None:  # on PostgreSQL, watchers hear every worker's commits
            self.ledger.changes.listen_to_commits(s.resolved_ledger_url())
        self.observability.watch_ledger(self.ledger)
        outgrown = self.ledger.outgrows_sqlite()
        if outgrown is not None:
            _log.warning(
                "the SQLite ledger tracks about %d blocks: past 1 million the double-counting check slows "
                "(bench/double_counting.py); at this scale set ledger_url to a PostgreSQL database",
                outgrown,
            )
        self.adapters = {
            p.registry_id: SandboxRegistryClient(
                p, self.sandbox_url, timeout_s=s.registry_timeout_s, attempts=s.registry_attempts, tls=tls
            )
            for p in catalogue.all_profiles()
        }
        if self.kind is ProcessKind.ALL and self.demo:
            await asyncio.to_thread(seed_demo_entities, self.ledger)
            await asyncio.to_thread(record_demo_holders, self.ledger)
        self.desk = TransferDesk(self.ledger, self.adapters, self.client, s, self.rulebook)
        if self.kind.works:
            await self._start_worker(tls, fingerprint)
        if transport is not None:
            await self._start_serving(transport)
        return self

    async def _start_worker(self, tls: OutboundTls, fingerprint: str) -> None:
        """The Temporal worker with every activity, and the anchoring and reconciliation schedules."""
        s = self.settings
        assert self.ledger is not None and self.client is not None and self.desk is not None
        assert self.rulebook is not None and self.observability is not None
        self.chain = self._start_chain(tls)
        politeness = Politeness(min_interval_s=s.evidence_min_interval_s)
        self.evidence_readers = {
            p.registry_id: evidence_reader_for(p, self.sandbox_url, politeness=politeness, tls=tls)
            for p in catalogue.all_profiles()
            if p.info.evidence_based
        }
        transfers = TransferActivities(self.ledger, self.adapters, self.evidence_readers, self.rulebook)
        anchoring = AnchorActivities(self.ledger, self.chain)
        finance = finance_activities(FinanceParts(self.ledger, self.adapters, self.desk, tls))
        checks = GatewayChecks(self.ledger, s, self.rulebook, self.chain.w3, self.chain.contract_address)
        reconciling = reconciliation_activities(ReconciliationParts(self.ledger, self.adapters, checks))
        self._worker = gateway_worker(
            self.client,
            s.task_queue,
            transfers,
            anchoring,
            fingerprint,
            finance,
            reconciling,
            interceptors=self.observability.worker_interceptors,
        )
        self._worker_task = asyncio.create_task(self._worker.run())
        await self._schedule_anchoring()
        await self._schedule_reconciliation()

    async def _start_serving(self, transport: Transport) -> None:
        """The gRPC server, and the sweep that starts transfers recorded but never started."""
        s = self.settings
        assert self.ledger is not None and self.client is not None and self.desk is not None
        assert self.observability is not None
        self._server, self.grpc_port = await start_grpc_server(
            f"{s.grpc_host}:{s.grpc_port}",
            self.desk,
            self.adapters,
            self.ledger,
            s.watch_poll_s,
            transport=transport,
            audit=self.ledger.append_audit,
            interceptors=self.observability.grpc_interceptors,
        )
        if s.public_port is not None:
            node = s.public_chain_rpc_url or self.chain_url or s.chain_rpc_url or ""
            self._public = PublicSiteServer(PublicSite(self.ledger, node))
            await self._public.start(s.public_host, s.public_port)
        self._sweeper = asyncio.create_task(
            sweep_forever(
                self.ledger,
                self.desk,
                self.client,
                interval_s=s.orphan_sweep_interval_s,
                grace_s=s.orphan_grace_s,
            )
        )

    def _start_chain(self, tls: OutboundTls) -> ChainLink:
        s = self.settings
        assert self.ledger is not None
        journal = LedgerAnchorJournal(self.ledger)
        # Heads signed into an older gateway's anchor-journal.jsonl keep their bytes (idempotent).
        import_file_journal(s.data_dir / "anchor-journal.jsonl", journal)
        if s.chain_rpc_url:
            if not s.anchor_contract:
                raise ValueError(
                    "chain_rpc_url needs anchor_contract (the deployed anchor contract's address)"
                )
            signer = (
                GatewaySigner.from_key_file(s.chain_key_file)
                if s.chain_key_file
                else GatewaySigner.from_env()
            )
            self.chain_url = s.chain_rpc_url
            provider = Web3.HTTPProvider(s.chain_rpc_url, session=tls.requests_session())
            return ChainLink(Web3(provider), signer, s.anchor_contract, journal)
        self._embedded_chain = EmbeddedChain(s.data_dir / "chain")
        self.chain_url = self._embedded_chain.serve("127.0.0.1", s.chain_rpc_port)
        link = ChainLink(
            self._embedded_chain.w3,
            self._embedded_chain.signer,
            self._embedded_chain.contract_address,
            journal,
        )
        self._miner = asyncio.create_task(self._mine(self._embedded_chain, link))
        return link

    async def _mine(self, chain: EmbeddedChain, link: ChainLink) -> None:
        """Blocks keep coming on the embedded chain, as on a real one, so confirmations grow."""
        while True:
            await asyncio.sleep(self.settings.chain_block_interval_s)
            await asyncio.to_thread(_mine_one, chain, link)

    def anchor_target(self) -> AnchorTarget:
        return AnchorTarget(
            batch_size=self.settings.anchor_batch_size, confirmations=self.settings.anchor_confirmations
        )

    async def _schedule_anchoring(self) -> None:
        """Create the anchoring schedule, or bring an existing one in line with the settings."""
        assert self.client is not None
        s = self.settings
        schedule = Schedule(
            action=ScheduleActionStartWorkflow(
                AnchorWorkflow.run,
                self.anchor_target(),
                id=ANCHOR_WORKFLOW_ID,
                task_queue=s.task_queue,
                # Each run is bounded by itself; this backstop keeps SKIP from skipping for ever.
                execution_timeout=timedelta(minutes=30),
            ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(seconds=s.anchor_interval_s))]),
            policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        )
        await self._ensure_schedule(ANCHOR_SCHEDULE_ID, schedule)

    def reconcile_input(
        self, reconciliation_id: str = "", requested_by: str = SCHEDULED_BY
    ) -> ReconcileInput:
        return ReconcileInput(
            reconciliation_id=reconciliation_id,
            requested_by=requested_by,
            run_timeout_s=self.settings.reconciliation_timeout_s,
        )

    async def _schedule_reconciliation(self) -> None:
        """The regulators' routine run: create the schedule, bring it in line, or drop it (interval 0)."""
        assert self.client is not None
        s = self.settings
        handle = self.client.get_schedule_handle(RECONCILIATION_SCHEDULE_ID)
        if s.reconciliation_interval_s == 0:
            with contextlib.suppress(RPCError):  # none to drop
                await handle.delete()
            return
        await self._ensure_schedule(
            RECONCILIATION_SCHEDULE_ID,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    ReconciliationWorkflow.run,
                    self.reconcile_input(),
                    id=RECONCILIATION_SCHEDULE_ID,
                    task_queue=s.task_queue,
                    execution_timeout=timedelta(seconds=2 * s.reconciliation_timeout_s),
                ),
                spec=ScheduleSpec(
                    intervals=[ScheduleIntervalSpec(every=timedelta(seconds=s.reconciliation_interval_s))]
                ),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
            ),
        )

    async def _ensure_schedule(self, schedule_id: str, schedule: Schedule) -> None:
        """Create the schedule, or bring an existing one in line with the settings."""
        assert self.client is not None
        try:
            await self.client.create_schedule(schedule_id, schedule)
        except ScheduleAlreadyRunningError:

            def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
                return ScheduleUpdate(schedule=schedule)

            await self.client.get_schedule_handle(schedule_id).update(replace)

    async def _start_temporal(self) -> Client:
        s = self.settings
        assert self.observability is not None
        if s.temporal_address:
            self.temporal_address = s.temporal_address
            client = await Client.connect(
                s.temporal_address,
                namespace=s.temporal_namespace,
                data_converter=pydantic_data_converter,
                runtime=self.observability.temporal_runtime,
                interceptors=self.observability.client_interceptors,
            )
            await register_search_attributes(client)
            return client
        self._env = await start_temporal_dev_server(s, self.observability)
        self.temporal_address = self._env.client.service_client.config.target_host
        if s.temporal_ui_port > 0:
            self.temporal_ui = f"http://127.0.0.1:{s.temporal_ui_port}"
        return self._env.client

    async def _start_sandbox(self) -> None:
        s = self.settings
        if s.sandbox_url:
            self.sandbox_url = s.sandbox_url
            return
        self._sandbox = await SandboxProcess.start(
            s.data_dir / "sandbox.sqlite3", "127.0.0.1", s.sandbox_port
        )
        self.sandbox_url = self._sandbox.url
        if self.demo:
            await seed_demo_holdings(self.sandbox_url)

    def addresses(self) -> dict[str, str]:
        shown = {} if self.kind is ProcessKind.ALL else {"Process": str(self.kind)}
        if self.kind.serves:
            shown["gRPC"] = f"{self.settings.grpc_host}:{self.grpc_port}"
        shown |= {"Temporal": self.temporal_address, "Sandbox registries": self.sandbox_url}
        if self._public is not None:
            shown["Public window"] = self._public.url
        if self.kind.serves:
            shown["gRPC security"] = (
                "PLAINTEXT (development only: every caller holds every role)"
                if self.settings.plaintext
                else f"mTLS, certificates in {self.settings.resolved_keys_dir()}"
            )
        # A database password never reaches a terminal or a log.
        shown["Ledger"] = printable_url(self.settings.resolved_ledger_url())
        if self.chain is not None:
            shown["Chain JSON-RPC"] = self.chain_url
            shown["Anchor contract"] = self.chain.contract_address
        if self.temporal_ui:
            shown["Temporal Web UI"] = self.temporal_ui
        if self.observability is not None and self.observability.metrics_url:
            shown["Metrics"] = self.observability.metrics_url
        return shown

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.stop(grace=2)
        if self._public is not None:
            await self._public.stop()
        for task in (self._sweeper, self._miner):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._worker is not None:
            await self._worker.shutdown()
        if self._worker_task is not None:
            with contextlib.suppress(Exception):
                await self._worker_task
        for adapter in self.adapters.values():
            await adapter.aclose()
        for reader in self.evidence_readers.values():
            await reader.aclose()
        if self.ledger is not None:
            self.ledger.close()
        if self._sandbox is not None:
            await self._sandbox.stop()
        if self._embedded_chain is not None:
            self._embedded_chain.close()
        if self._env is not None:
            await self._env.shutdown()
        if self.observability is not None:
            self.observability.stop()

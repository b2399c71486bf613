#!/usr/bin/env node
// A Node.js client of the gateway's gRPC contract: @grpc/grpc-js with @grpc/proto-loader, reading
// the .proto files from ../protos at run time (google/api/field_behavior.proto, which they import,
// comes from the google-proto-files package). Pinned in package.json; `npm ci` installs them.
//
// It lists the registries, submits a transfer and follows it with WatchTransfer to its end,
// printing one tab-separated line per registry and state:
//
//   node examples/node_client.js 127.0.0.1:50051 \
//       cn-ccer:demo-ccer-owner cn-sz-ets:demo-sz-emitter CCER-CN-100231-2024-3-1-50000 --quantity 100
//
// Against a gateway serving TLS with client certificates (the default), add `--keys DIR` (the
// gateway's keys directory; `make run` issues demo ones into .carbon-gateway/keys): it trusts
// DIR/ca.crt and presents DIR/identities/exchange.crt (another with `--identity NAME`).
//
// It exits 0 when the transfer settled (its last state SETTLED or ANCHORED), 1 when it ended
// otherwise, and 2 when the gateway refused a call (printing `error CODE: message`).
"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const { parseArgs } = require("node:util");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const PROTOS = path.join(__dirname, "..", "protos");
const GOOGLE_PROTOS = path.dirname(require.resolve("google-proto-files/package.json"));
const SETTLED = new Set(["TRANSFER_STATE_SETTLED", "TRANSFER_STATE_ANCHORED"]);
const USAGE =
  "usage: node_client.js ADDRESS SOURCE_REGISTRY:ACCOUNT DESTINATION_REGISTRY:ACCOUNT SERIAL " +
  "[--quantity N] [--id TRANSFER_ID] [--purpose ndc|oimp|voluntary|offset] [--timeout SECONDS] " +
  "[--keys DIR [--identity NAME]]";

function loadContract() {
  const definition = protoLoader.loadSync(
    ["carbon/gateway/v1/registry.proto", "carbon/gateway/v1/transfer.proto"],
    // keepCase: the contract's own field names; enums as their names; int64 as decimal strings.
    { includeDirs: [PROTOS, GOOGLE_PROTOS], keepCase: true, enums: String, longs: String, defaults: true },
  );
  return grpc.loadPackageDefinition(definition).carbon.gateway.v1;
}

function accountRef(text) {
  const [registryId, ...rest] = text.split(":");
  const accountId = rest.join(":");
  if (!registryId || !accountId) throw new UsageError(`expected REGISTRY:ACCOUNT, got ${JSON.stringify(text)}`);
  return { registry_id: registryId, account_id: accountId };
}

class UsageError extends Error {}

function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quantity: { type: "string" },
      id: { type: "string" },
      purpose: { type: "string" },
      timeout: { type: "string", default: "300" },
      keys: { type: "string" },
      identity: { type: "string", default: "exchange" },
    },
  });
  if (positionals.length !== 4) throw new UsageError(USAGE);
  const [address, source, destination, serial] = positionals;
  return {
    address,
    source: accountRef(source),
    destination: accountRef(destination),
    serial,
    quantity: values.quantity,
    transferId: values.id || `example-${crypto.randomUUID()}`,
    purpose: values.purpose ? `PURPOSE_${values.purpose.toUpperCase()}` : undefined,
    timeoutS: Number(values.timeout),
    keys: values.keys,
    identity: values.identity,
  };
}

// Plaintext without --keys; otherwise TLS, trusting the gateway's CA and presenting an identity.
function channelCredentials(options) {
  if (!options.keys) return grpc.credentials.createInsecure();
  const file = (name) => fs.readFileSync(path.join(options.keys, name));
  return grpc.credentials.createSsl(
    file("ca.crt"),
    file(path.join("identities", `${options.identity}.key`)),
    file(path.join("identities", `${options.identity}.crt`)),
  );
}

function deadline(seconds) {
  return new Date(Date.now() + seconds * 1000);
}

// A unary call as a promise.
function call(client, method, request, seconds = 30) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: deadline(seconds) }, (error, response) =>
      error ? reject(error) : resolve(response),
    );
  });
}

async function* registries(client) {
  let pageToken = "";
  do {
    const page = await call(client, "ListRegistries", { page_token: pageToken });
    yield* page.registries;
    pageToken = page.next_page_token;
  } while (pageToken);
}

function showState(transfer) {
  console.log(`state\t${transfer.transfer_id}\t${transfer.state}`);
  for (const reason of transfer.reasons) console.log(`reason\t${reason.code}\t${reason.message}`);
}

async function run(contract, options) {
  const credentials = channelCredentials(options);
  const registryClient = new contract.RegistryService(options.address, credentials);
  const transferClient = new contract.TransferService(options.address, credentials);
  try {
    for await (const registry of registries(registryClient)) {
      console.log(`registry\t${registry.registry_id}\t${registry.name}`);
    }
    const request = {
      transfer_id: options.transferId,
      source: options.source,
      destination: options.destination,
      serial: options.serial,
    };
    if (options.quantity !== undefined) request.quantity = options.quantity;
    if (options.purpose !== undefined) request.purpose = options.purpose;
    const submitted = (await call(transferClient, "SubmitTransfer", request)).transfer;
    console.log(`submitted\t${submitted.transfer_id}`);
    let last = submitted;
    const watch = transferClient.WatchTransfer(
      { transfer_id: submitted.transfer_id },
      { deadline: deadline(options.timeoutS) },
    );
    for await (const message of watch) {
      showState(message.transfer);
      last = message.transfer;
    }
    return SETTLED.has(last.state) ? 0 : 1;
  } finally {
    registryClient.close();
    transferClient.close();
  }
}

function statusName(code) {
  return Object.keys(grpc.status).find((name) => grpc.status[name] === code) || "UNKNOWN";
}

async function main() {
  let options;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (error) {
    console.error(error.message);
    return 2;
  }
  try {
    return await run(loadContract(), options);
  } catch (error) {
    if (error.code === undefined || typeof error.code !== "number") throw error;
    console.error(`error ${statusName(error.code)}: ${error.details}`);
    return 2;
  }
}

main().then((code) => {
  process.exitCode = code;
});

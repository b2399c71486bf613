/**
 * Settlement-receipt verification in the browser (and Node 20), exactly as ledger_anchor/verify.py does it.
 *
 * A holder of a receipt must not have to trust the gateway: the leaf and its RFC 9162 inclusion proof must
 * lead to the receipt's root, the anchor contract must have recorded that root for the tree size in the
 * named transaction and block, and enough blocks must sit on top. Only Web Crypto (SHA-256) and fetch
 * (JSON-RPC) are used: no dependencies and no eval, so a page with a strict Content-Security-Policy can
 * serve it as is. Refusals are worded as verify.py words them, so both tools tell a user the same thing.
 */

export const HASH_SIZE = 32;
// Web Crypto has no keccak-256, so the ABI identifiers are fixed here; the tests recompute them from
// ledger_anchor/contract/anchor.json with eth_utils.
export const ROOT_AT_SELECTOR = '0x698d3579'; // root_at(uint256)
export const BLOCK_AT_SELECTOR = '0x64e1be4b'; // block_at(uint256)
export const ANCHORED_TOPIC = '0x2946f6d79e30b36612401c9600819a1e622cf156a41e314844f4d582f06d242a'; // Anchored(uint256,bytes32)
export const FIELD_ORDER = Object.freeze([
  'transfer_id', 'source_registry', 'source_account', 'destination_registry', 'destination_account',
  'serial_space', 'programme', 'unit_type', 'project_id', 'vintage', 'start', 'end', 'quantity', 'settled_at',
]);
const TEXT_FIELDS = 10;
const REQUIRED_TEXT = FIELD_ORDER.slice(0, 8); // project_id and vintage may be empty
const RPC_TIMEOUT_MS = 15_000; // as verify.py's RPC_TIMEOUT_SECONDS
// settled_at must be a date Python's datetime can hold: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z.
const FIRST_SECOND = -62135596800n;
const LAST_SECOND = 253402300799n;

/** A proof does not fit the sizes or index it claims; nothing about the root can be concluded. */
export class ProofError extends Error {
  name = 'ProofError';
}

/** Bytes of a hex string, with or without 0x; refuses odd lengths and non-hex digits. */
export function hexToBytes(hex) {
  if (typeof hex !== 'string') throw new Error('not a hex string');
  const digits = hex.startsWith('0x') ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) throw new Error('not a hex string');
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** 0x-prefixed lowercase hex, as web3 tools and receipts print bytes. */
export function bytesToHex(bytes) {
  return '0x' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function sha256(...parts) {
  const joined = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', joined));
}

/** SHA-256(0x00 || leaf): the prefix keeps a leaf from ever posing as an interior node. */
export async function leafHash(leafBytes) {
  return sha256(Uint8Array.of(0), leafBytes);
}

/** SHA-256(0x01 || left || right). */
export async function nodeHash(left, right) {
  return sha256(Uint8Array.of(1), left, right);
}

/** An integer as a BigInt. A Number past 2^53 has already lost digits, so it is refused, not rounded. */
function toBigInt(value, what) {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value)) return BigInt(value);
  throw new TypeError(`${what} is not an exact integer`);
}

function checkHashes(hashes) {
  for (const h of hashes) {
    if (h.length !== HASH_SIZE) throw new ProofError(`a hash is ${h.length} bytes, not ${HASH_SIZE}`);
  }
}

const sameBytes = (a, b) => a.length === b.length && a.every((byte, i) => byte === b[i]);

/** The root `proof` leads to from leaf hash `leafHashBytes` (RFC 9162 section 2.1.3.2). BigInt throughout. */
export async function rootFromInclusionProof(leafHashBytes, index, size, proof) {
  const n = toBigInt(size, 'tree size');
  let fn = toBigInt(index, 'leaf index');
  if (!(fn >= 0n && fn < n)) throw new ProofError(`leaf index ${fn} is outside a tree of size ${n}`);
  checkHashes([leafHashBytes, ...proof]);
  let sn = n - 1n;
  let r = leafHashBytes;
  for (const p of proof) {
    if (sn === 0n) throw new ProofError(`the proof is longer than a tree of size ${n} allows`);
    if (fn & 1n || fn === sn) {
      r = await nodeHash(p, r);
      while (!(fn & 1n) && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
    } else {
      r = await nodeHash(r, p);
    }
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  if (sn !== 0n) throw new ProofError(`the proof is shorter than a tree of size ${n} needs`);
  return r;
}

/** The (old, new) roots a consistency proof leads to (RFC 9162 section 2.1.4.2), for 0 < m < n. */
async function rootsFromConsistencyProof(m, n, oldRoot, proof) {
  if (proof.length === 0) throw new ProofError('the consistency proof is empty');
  checkHashes([oldRoot, ...proof]);
  // When the old tree is a complete subtree of the new one, its root is the path's starting node.
  const path = (m & (m - 1n)) === 0n ? [oldRoot, ...proof] : proof;
  let [fn, sn] = [m - 1n, n - 1n];
  while (fn & 1n) [fn, sn] = [fn >> 1n, sn >> 1n];
  let [fr, sr] = [path[0], path[0]];
  for (const c of path.slice(1)) {
    if (sn === 0n) throw new ProofError('the consistency proof is longer than the sizes allow');
    if (fn & 1n || fn === sn) {
      [fr, sr] = [await nodeHash(c, fr), await nodeHash(c, sr)];
      while (!(fn & 1n) && fn !== 0n) [fn, sn] = [fn >> 1n, sn >> 1n];
    } else {
      sr = await nodeHash(sr, c);
    }
    [fn, sn] = [fn >> 1n, sn >> 1n];
  }
  if (sn !== 0n) throw new ProofError('the consistency proof is shorter than the sizes need');
  return [fr, sr];
}

// A verdict's `reason` is English, word for word as ledger_anchor/verify.py says it; `code` and
// `values` let a page say it in its own language (gateway/public_site/words.py, REASONS_ZH).
const yes = (code, values, reason) => ({ ok: true, reason, code, values });
const no = (code, values, reason) => ({ ok: false, reason, code, values });

/** Whether `proof` shows the tree (size2, root2) extends (size1, root1); as merkle.py verify_consistency. */
export async function verifyConsistency(size1, size2, root1, root2, proof) {
  const [m, n] = [toBigInt(size1, 'old size'), toBigInt(size2, 'new size')];
  const sizes = { m: String(m), n: String(n) };
  if (m < 0n || n < m) return no('sizes-backwards', sizes, `cannot prove tree size ${m} consistent with smaller size ${n}`);
  if (m === 0n) {
    if (proof.length) return no('empty-tree-proof', sizes, 'a proof from the empty tree must be empty');
    return yes('extends-empty', sizes, 'every tree extends the empty tree');
  }
  if (m === n) {
    if (proof.length) return no('equal-sizes-proof', sizes, `a proof between equal sizes ${m} must be empty`);
    if (sameBytes(root1, root2)) return yes('same-head', sizes, `the two heads of size ${m} are the same`);
    return no('two-roots', sizes, `two different roots for tree size ${m}`);
  }
  let fr, sr;
  try {
    [fr, sr] = await rootsFromConsistencyProof(m, n, root1, proof);
  } catch (err) {
    if (err instanceof ProofError) return no('consistency-proof', { ...sizes, detail: err.message }, err.message);
    throw err;
  }
  const [oldRoot, newRoot] = [bytesToHex(fr), bytesToHex(sr)];
  if (!sameBytes(fr, root1)) {
    const values = { got: oldRoot, want: bytesToHex(root1) };
    return no('old-root', values, `the proof leads to old root ${oldRoot}, not ${values.want}`);
  }
  if (!sameBytes(sr, root2)) {
    const values = { got: newRoot, want: bytesToHex(root2) };
    return no('new-root', values, `the proof leads to new root ${newRoot}, not ${values.want}`);
  }
  return yes('extends', sizes, `tree size ${n} extends tree size ${m}`);
}

/** The 14 length-prefixed fields after the version byte, as leaf.py _split_fields reads them. */
function splitFields(leaf) {
  const fields = [];
  const view = new DataView(leaf.buffer, leaf.byteOffset, leaf.byteLength);
  let offset = 1;
  while (offset < leaf.length) {
    if (offset + 4 > leaf.length) throw new Error('leaf ends inside a length prefix');
    const length = view.getUint32(offset);
    offset += 4;
    if (offset + length > leaf.length) throw new Error('leaf ends inside a field');
    fields.push(leaf.subarray(offset, offset + length));
    offset += length;
  }
  if (fields.length !== FIELD_ORDER.length) throw new Error(`leaf has ${fields.length} fields, not ${FIELD_ORDER.length}`);
  return fields;
}

/** Signed microseconds since the epoch as ISO 8601 UTC with microseconds (floor division for pre-1970). */
function isoFromMicros(micros) {
  let seconds = micros / 1_000_000n;
  let fraction = micros % 1_000_000n;
  if (fraction < 0n) [seconds, fraction] = [seconds - 1n, fraction + 1_000_000n];
  if (seconds < FIRST_SECOND || seconds > LAST_SECOND) throw new Error('leaf field settled_at is outside years 1..9999');
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${String(fraction).padStart(6, '0')}Z`;
}

/** The settlement a version-1 leaf encodes (docs/anchoring.md); throws Error naming what is malformed. */
export function decodeLeaf(leafBytes) {
  if (!leafBytes.length || leafBytes[0] !== 1) throw new Error('leaf is not a version 1 settlement');
  const fields = splitFields(leafBytes);
  // Text is UTF-8 exactly as recorded: a leading BOM is content, not a marker to drop.
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const record = {};
  try {
    FIELD_ORDER.slice(0, TEXT_FIELDS).forEach((name, i) => (record[name] = utf8.decode(fields[i])));
  } catch {
    throw new Error('a text field of the leaf is not UTF-8');
  }
  const words = fields.slice(TEXT_FIELDS).map((raw, i) => {
    if (raw.length !== 8) throw new Error(`leaf field ${FIELD_ORDER[TEXT_FIELDS + i]} is ${raw.length} bytes, not 8`);
    return new DataView(raw.buffer, raw.byteOffset, 8);
  });
  const [start, end, quantity] = words.slice(0, 3).map((word) => word.getBigUint64(0));
  for (const name of REQUIRED_TEXT) if (record[name] === '') throw new Error(`leaf field ${name} is empty`);
  if (quantity < 1n) throw new Error('leaf field quantity is 0, not at least 1');
  if (quantity !== end - start + 1n) throw new Error(`quantity ${quantity} does not match serials ${start}..${end}`);
  return { ...record, start: `${start}`, end: `${end}`, quantity: `${quantity}`, settled_at: isoFromMicros(words[3].getBigInt64(0)) };
}

/** A hex field normalised to 0x-prefixed lowercase, as receipt.py's validators do. */
function hexField(value, name, nbytes) {
  if (typeof value !== 'string' || !/^(0x)?([0-9a-fA-F]{2})*$/.test(value)) throw new Error(`${name} is not a hex string`);
  const digits = value.replace(/^0x/, '').toLowerCase();
  if (nbytes !== undefined && digits.length !== 2 * nbytes) {
    throw new Error(`${name}: expected ${nbytes} bytes of hex, got ${digits.length / 2}`);
  }
  return '0x' + digits;
}

function intField(value, name, least) {
  const n = toBigInt(value, name); // a decimal string too, as pydantic's lax mode takes one
  if (n < least) throw new Error(`${name} must be at least ${least}`);
  return n;
}

/** The receipt's fields, checked and normalised as SettlementReceipt validates them; throws on the first bad one. */
function readReceipt(receipt) {
  if (receipt === null || typeof receipt !== 'object') throw new Error('a receipt is a JSON object');
  if (!Array.isArray(receipt.inclusion_proof)) throw new Error('inclusion_proof is not a list');
  if (!/^0x[0-9a-fA-F]{40}$/.test(receipt.contract_address)) throw new Error('contract_address is not a 20-byte 0x address');
  const r = {
    leaf: hexField(receipt.leaf, 'leaf'),
    leafIndex: intField(receipt.leaf_index, 'leaf_index', 0n),
    treeSize: intField(receipt.tree_size, 'tree_size', 1n),
    root: hexField(receipt.root, 'root', HASH_SIZE),
    proof: receipt.inclusion_proof.map((node, i) => hexField(node, `inclusion_proof[${i}]`, HASH_SIZE)),
    chainId: intField(receipt.chain_id, 'chain_id', 1n),
    contractAddress: receipt.contract_address, // as given: verify.py prints it EIP-55 checksummed
    txHash: hexField(receipt.anchor_tx_hash, 'anchor_tx_hash', HASH_SIZE),
    blockNumber: intField(receipt.anchor_block_number, 'anchor_block_number', 0n),
  };
  if (r.leafIndex >= r.treeSize) throw new Error(`leaf_index ${r.leafIndex} is outside a tree of size ${r.treeSize}`);
  return r;
}

const invalid = (err) => no('invalid-receipt', { detail: err.message }, `not a valid settlement receipt: ${err.message}`);

/** The leaf and inclusion proof lead to the receipt's root (no chain needed). */
export async function checkProof(receipt) {
  let r;
  try {
    r = readReceipt(receipt);
  } catch (err) {
    return invalid(err);
  }
  let computed;
  try {
    computed = await rootFromInclusionProof(await leafHash(hexToBytes(r.leaf)), r.leafIndex, r.treeSize, r.proof.map(hexToBytes));
  } catch (err) {
    if (!(err instanceof ProofError)) throw err;
    const values = { index: String(r.leafIndex), size: String(r.treeSize), detail: err.message };
    return no('inclusion-misfit', values, `the inclusion proof does not fit leaf ${r.leafIndex} of a tree of size ${r.treeSize}: ${err.message}`);
  }
  const got = bytesToHex(computed);
  if (got !== r.root) return no('inclusion-root', { got, root: r.root }, `the inclusion proof leads to root ${got}, not the receipt's ${r.root}`);
  return yes('in-tree', { index: String(r.leafIndex), size: String(r.treeSize) }, `leaf ${r.leafIndex} is in the tree of size ${r.treeSize}`);
}

let lastRequestId = 0;

/** One JSON-RPC call; any transport, HTTP or JSON-RPC failure throws. */
async function rpc(fetchImpl, url, method, ...params) {
  const id = ++lastRequestId;
  const response = await fetchImpl(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
    signal: AbortSignal.timeout(RPC_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`${method} got HTTP ${response.status}`);
  const answer = await response.json();
  if (answer === null || typeof answer !== 'object') throw new Error(`${method} got no JSON-RPC answer`);
  if (answer.error) throw new Error(`${method} failed: ${answer.error.message ?? JSON.stringify(answer.error)}`);
  if (answer.id !== id || !('result' in answer)) throw new Error(`${method} got no JSON-RPC answer`);
  return answer.result;
}

/** A JSON-RPC quantity (0x-hex) as a BigInt; anything else means the node misbehaves. */
function quantity(value, what) {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]+$/.test(value)) throw new Error(`${what} is not a quantity`);
  return BigInt(value);
}

const lower = (value) => String(value).toLowerCase();
const uint256 = (n) => n.toString(16).padStart(64, '0');
const cannotRead = (err) => {
  const detail = `${err.message}${err.cause?.message ? ` (${err.cause.message})` : ''}`;
  return no('chain-unreadable', { detail }, `cannot read the chain: ${detail}`);
};

/** The contract recorded the receipt's root for its tree size, in the receipt's transaction. */
export async function checkAnchor(receipt, rpcUrl, { fetchImpl = globalThis.fetch } = {}) {
  let r;
  try {
    r = readReceipt(receipt);
  } catch (err) {
    return invalid(err);
  }
  try {
    return await anchorVerdict(r, (method, ...params) => rpc(fetchImpl, rpcUrl, method, ...params));
  } catch (err) {
    return cannotRead(err);
  }
}

async function anchorVerdict(r, call) {
  const chainId = quantity(await call('eth_chainId'), 'eth_chainId');
  if (chainId !== r.chainId) {
    const values = { got: String(chainId), want: String(r.chainId) };
    return no('wrong-chain', values, `the node serves chain ${chainId}, the receipt names chain ${r.chainId}`);
  }
  const address = r.contractAddress;
  const at = { address, size: String(r.treeSize) };
  if (hexField(await call('eth_getCode', address, 'latest'), 'eth_getCode') === '0x') return no('no-contract', at, `there is no contract at ${address}`);
  const read = async (selector) => hexField(await call('eth_call', { to: address, data: selector + uint256(r.treeSize) }, 'latest'), 'eth_call', 32);
  const root = await read(ROOT_AT_SELECTOR);
  if (root === '0x' + '0'.repeat(64)) return no('never-anchored', at, `tree size ${r.treeSize} was never anchored in ${address}`);
  if (root !== r.root) {
    const values = { ...at, got: root, want: r.root };
    return no('other-root', values, `${address} records root ${root} for tree size ${r.treeSize}, not the receipt's root ${r.root}`);
  }
  const block = BigInt(await read(BLOCK_AT_SELECTOR));
  if (block !== r.blockNumber) {
    const values = { ...at, got: String(block), want: String(r.blockNumber) };
    return no('other-block', values, `tree size ${r.treeSize} was anchored in block ${block}, not block ${r.blockNumber}`);
  }
  return anchorTransactionVerdict(r, await call('eth_getTransactionReceipt', r.txHash));
}

function anchorTransactionVerdict(r, tx) {
  const of = { tx: r.txHash, size: String(r.treeSize) };
  if (!tx) return no('no-transaction', of, `the chain has no transaction ${r.txHash}`);
  if (quantity(tx.status, 'status') !== 1n) return no('reverted', of, `transaction ${r.txHash} reverted`);
  const block = quantity(tx.blockNumber, 'blockNumber');
  if (block !== r.blockNumber) {
    const values = { ...of, got: String(block), want: String(r.blockNumber) };
    return no('transaction-block', values, `transaction ${r.txHash} is in block ${block}, not block ${r.blockNumber}`);
  }
  if (!(tx.logs ?? []).some((log) => isAnchoredLog(log, r))) return no('not-anchoring', of, `transaction ${r.txHash} did not anchor tree size ${r.treeSize}`);
  return yes('anchored-by', of, `anchored by ${r.txHash}`);
}

/** An Anchored(size, root) event emitted by the receipt's contract itself, for the receipt's head. */
function isAnchoredLog(log, r) {
  const topics = (log.topics ?? []).map(lower);
  return (
    lower(log.address) === lower(r.contractAddress) && topics.length === 2 && topics[0] === ANCHORED_TOPIC &&
    topics[1] === '0x' + uint256(r.treeSize) && lower(log.data) === r.root
  );
}

/** Blocks on top of (and including) the anchor's; 0 when unknown, reverted, or its block was reorganised away. */
export async function confirmations(receipt, rpcUrl, { fetchImpl = globalThis.fetch } = {}) {
  const r = readReceipt(receipt);
  const call = (method, ...params) => rpc(fetchImpl, rpcUrl, method, ...params);
  const tx = await call('eth_getTransactionReceipt', r.txHash);
  if (!tx || tx.blockNumber === null || tx.blockNumber === undefined) return 0;
  const number = quantity(tx.blockNumber, 'blockNumber');
  const canonical = await call('eth_getBlockByNumber', '0x' + number.toString(16), false);
  if (!canonical || lower(canonical.hash) !== lower(tx.blockHash) || quantity(tx.status, 'status') !== 1n) return 0;
  return Number(quantity(await call('eth_blockNumber'), 'eth_blockNumber') - number + 1n);
}

/** Check `receipt` against the node at `rpcUrl`; the first failing reason, and each step reached for display. */
export async function verifyReceipt(receipt, rpcUrl, { minConfirmations = 1, fetchImpl = globalThis.fetch } = {}) {
  const steps = [];
  const step = (name, verdict) => (steps.push({ name, ...verdict }), verdict);
  const proof = step('proof', await checkProof(receipt));
  if (!proof.ok) return { ...proof, steps };
  const anchor = step('anchor', await checkAnchor(receipt, rpcUrl, { fetchImpl }));
  if (!anchor.ok) return { ...anchor, steps };
  let depth;
  try {
    depth = await confirmations(receipt, rpcUrl, { fetchImpl });
  } catch (err) {
    return { ...step('confirmations', cannotRead(err)), steps };
  }
  const depths = { depth: String(depth), required: String(minConfirmations) };
  if (depth < minConfirmations) {
    const reason = `the anchor has ${depth} confirmation(s), ${minConfirmations} required (or its block is no longer canonical)`;
    return { ...step('confirmations', no('too-few-confirmations', depths, reason)), steps };
  }
  step('confirmations', yes('confirmations', depths, `${depth} confirmation(s), ${minConfirmations} required`));
  const r = readReceipt(receipt);
  const values = {
    ...depths, index: String(r.leafIndex), size: String(r.treeSize), root: r.root,
    block: String(r.blockNumber), chain: String(r.chainId), address: r.contractAddress,
  };
  const reason =
    `leaf ${r.leafIndex} is in the tree of size ${r.treeSize} with root ${r.root}, ` +
    `anchored in block ${r.blockNumber} of chain ${r.chainId} by ${r.contractAddress} (${depth} confirmation(s))`;
  return { ...yes('verified', values, reason), steps };
}

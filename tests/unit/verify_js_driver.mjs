// Runs gateway/public_site/static/verify.js for the Python tests, in one Node process for many cases.
//
// stdin: a JSON array of cases, each {op, ...arguments} with bytes as hex and big integers as decimal
// strings; stdout: a JSON array with one {result} or {error, message} per case, in order.
import * as verify from '../../gateway/public_site/static/verify.js';

const bytes = verify.hexToBytes;
const hex = verify.bytesToHex;
const big = (value) => BigInt(value);

/** A stand-in node answering each method (eth_call by selector) from `answers`; {http} or {body} fake failures. */
function scriptedNode(answers) {
  return async (url, init) => {
    const { id, method, params } = JSON.parse(init.body);
    const key = method === 'eth_call' ? `eth_call:${params[0].data.slice(0, 10)}` : method;
    const answer = answers[key] ?? { error: { code: -32601, message: `${key} is not scripted` } };
    if (answer.http) return new Response('', { status: answer.http });
    if (answer.body !== undefined) return new Response(answer.body, { status: 200 });
    return new Response(JSON.stringify({ jsonrpc: '2.0', id, ...answer }), { status: 200 });
  };
}

const options = (c) => (c.answers ? { fetchImpl: scriptedNode(c.answers) } : {});

const ops = {
  hexRoundTrip: (c) => hex(bytes(c.hex)),
  leafHash: async (c) => hex(await verify.leafHash(bytes(c.leaf))),
  nodeHash: async (c) => hex(await verify.nodeHash(bytes(c.left), bytes(c.right))),
  inclusion: async (c) =>
    hex(await verify.rootFromInclusionProof(bytes(c.leaf_hash), big(c.index), big(c.size), c.proof.map(bytes))),
  consistency: (c) =>
    verify.verifyConsistency(big(c.size1), big(c.size2), bytes(c.root1), bytes(c.root2), c.proof.map(bytes)),
  decodeLeaf: (c) => verify.decodeLeaf(bytes(c.leaf)),
  checkProof: (c) => verify.checkProof(c.receipt),
  checkAnchor: (c) => verify.checkAnchor(c.receipt, c.url ?? 'http://node.invalid', options(c)),
  confirmations: (c) => verify.confirmations(c.receipt, c.url ?? 'http://node.invalid', options(c)),
  verifyReceipt: (c) =>
    verify.verifyReceipt(c.receipt, c.url ?? 'http://node.invalid', {
      minConfirmations: c.min_confirmations ?? 1,
      ...options(c),
    }),
  constants: () => ({
    ROOT_AT_SELECTOR: verify.ROOT_AT_SELECTOR,
    BLOCK_AT_SELECTOR: verify.BLOCK_AT_SELECTOR,
    ANCHORED_TOPIC: verify.ANCHORED_TOPIC,
    FIELD_ORDER: verify.FIELD_ORDER,
  }),
};

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const c of JSON.parse(input)) {
  try {
    results.push({ result: await ops[c.op](c) });
  } catch (err) {
    results.push({ error: err.name, message: err.message });
  }
}
process.stdout.write(JSON.stringify(results));

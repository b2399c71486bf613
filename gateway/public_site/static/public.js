// The public window's one script: checks the page's receipt against the chain, and the log's
// history against the tree head this browser saw last. Everything it shows is in the page's words
// (the JSON data block); without it the page still reads whole.
import { decodeLeaf, hexToBytes, verifyConsistency, verifyReceipt } from "./verify.js";

const data = JSON.parse(document.getElementById("page-data").textContent);
const words = data.words;
const reasons = data.reasons ?? {};
const HEAD_KEY = "carbon-gateway:tree-head";
const NODE_KEY = "carbon-gateway:chain-node";
// The leaf's fields the page shows, compared as text.
const RECORD_FIELDS = [
  "transfer_id", "source_registry", "source_account", "destination_registry", "destination_account",
  "serial_space", "start", "end", "quantity",
];

function fill(text, values = {}) {
  return text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

/** A verdict's reason in the page's language: the verifier's own (English) unless the page has its code. */
function said(verdict) {
  const template = verdict.code === undefined ? undefined : reasons[verdict.code];
  return template === undefined ? verdict.reason : fill(template, verdict.values);
}

function show(verdict, steps) {
  const el = document.getElementById("verdict");
  el.dataset.ok = String(verdict.ok);
  el.textContent = `${verdict.ok ? words.verified : words.not_verified}: ${said(verdict)}`;
  const list = document.getElementById("verify-steps");
  list.replaceChildren(
    ...steps.map((step) => {
      const item = document.createElement("li");
      item.dataset.ok = String(step.ok);
      item.textContent = `${step.ok ? "✔" : "✘"} ${step.label}: ${said(step)}`;
      return item;
    }),
  );
}

/** The leaf must record the settlement the page shows, or a valid proof proves something else. */
function checkRecord(receipt, record) {
  let leaf;
  try {
    leaf = decodeLeaf(hexToBytes(receipt.leaf));
  } catch (err) {
    return { ok: false, reason: err.message };
  }
  const differ = RECORD_FIELDS.filter((name) => String(leaf[name]) !== String(record[name]));
  if (differ.length) {
    return { ok: false, reason: `${words.record_mismatch} (${differ.join(", ")})` };
  }
  return { ok: true, reason: `${leaf.transfer_id}, ${leaf.quantity} × ${leaf.unit_type}` };
}

const STEP_LABELS = { proof: "step_proof", anchor: "step_anchor", confirmations: "step_confirmations" };

async function verify(receipt, record) {
  const node = document.getElementById("chain-node").value.trim();
  localStorage.setItem(NODE_KEY, node);
  show({ ok: "", reason: words.verifying }, []);
  const steps = [];
  if (record) {
    const own = checkRecord(receipt, record);
    steps.push({ label: words.step_record, ...own });
    if (!own.ok) {
      show(own, steps);
      return;
    }
  }
  const verdict = await verifyReceipt(receipt, node);
  for (const step of verdict.steps) {
    steps.push({ ...step, label: words[STEP_LABELS[step.name]] ?? step.name });
  }
  show(verdict, steps);
}

function receiptFromText(text) {
  try {
    const parsed = JSON.parse(text);
    // A retirement certificate carries its receipt inside.
    const receipt = parsed && parsed.receipt && parsed.leaf === undefined ? parsed.receipt : parsed;
    if (receipt && typeof receipt.leaf === "string" && Array.isArray(receipt.inclusion_proof)) {
      return receipt;
    }
  } catch {
    // not JSON: said below
  }
  return null;
}

function wireVerification() {
  const button = document.getElementById("verify-button");
  if (!button) return;
  const nodeInput = document.getElementById("chain-node");
  const chosen = localStorage.getItem(NODE_KEY);
  if (chosen) nodeInput.value = chosen;
  const pasted = document.getElementById("receipt-text");
  if (pasted) {
    document.getElementById("receipt-file").addEventListener("change", async (event) => {
      const [file] = event.target.files;
      if (file) pasted.value = await file.text();
    });
    button.addEventListener("click", () => {
      const receipt = receiptFromText(pasted.value);
      if (!receipt) {
        show({ ok: false, reason: words.bad_receipt }, []);
        return;
      }
      verify(receipt, null);
    });
    return;
  }
  button.addEventListener("click", () => verify(data.receipt, data.record));
  verify(data.receipt, data.record); // a lookup checks itself
}

async function readJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) {
    const err = new Error(body?.error?.message ?? `HTTP ${response.status}`);
    err.status = response.status;
    throw err;
  }
  return body;
}

/** A returning visitor's last tree head must be a prefix of today's: RFC 9162 consistency, checked here. */
async function checkHistory() {
  const el = document.getElementById("consistency");
  if (!el) return;
  const say = (state, values) => {
    el.dataset.state = state;
    el.textContent = fill(words[`consistency_${state}`], values);
  };
  let head;
  try {
    head = await readJson("/api/tree-head");
  } catch (err) {
    say(err.status === 404 ? "none" : "unreachable", { why: err.message });
    return;
  }
  const remember = () =>
    localStorage.setItem(HEAD_KEY, JSON.stringify({ tree_size: head.tree_size, root: head.root }));
  let seen = null;
  try {
    seen = JSON.parse(localStorage.getItem(HEAD_KEY));
  } catch {
    seen = null;
  }
  if (!seen || !Number.isSafeInteger(seen.tree_size) || typeof seen.root !== "string") {
    remember();
    say("first");
    return;
  }
  if (seen.tree_size === head.tree_size) {
    if (seen.root === head.root) say("same");
    else say("broken", { why: fill(words.root_changed, { size: seen.tree_size, seen: seen.root, now: head.root }) });
    return;
  }
  if (seen.tree_size > head.tree_size) {
    say("broken", { why: fill(words.log_shrank, { seen: seen.tree_size, now: head.tree_size }) });
    return;
  }
  let proof;
  try {
    proof = await readJson(`/api/consistency?from_size=${seen.tree_size}&to_size=${head.tree_size}`);
  } catch (err) {
    say("unreachable", { why: err.message });
    return;
  }
  // The root this browser remembers, never the one the site sends with the proof.
  const verdict = await verifyConsistency(
    seen.tree_size,
    head.tree_size,
    hexToBytes(seen.root),
    hexToBytes(head.root),
    proof.proof.map(hexToBytes),
  );
  if (verdict.ok) {
    remember();
    say("ok", { old: seen.tree_size, new: head.tree_size });
  } else {
    // The head seen before is kept, so the warning stays until someone explains it.
    say("broken", { why: said(verdict) });
  }
}

wireVerification();
checkHistory();

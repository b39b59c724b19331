// One long-lived JSONata evaluator for sfn_downloader.local: npm jsonata (the version Step
// Functions names), each expression compiled once, evaluated with its variables as bindings.
// Protocol, one JSON document a line: {"id": n, "expr"?: text, "bindings": {...}} in;
// {"value": v} | {"undefined": true} | {"type": "function"} | {"error": {...}} out.
"use strict";
const crypto = require("crypto");
const readline = require("readline");
const jsonata = require("jsonata");

const HASH_ALGORITHMS = { "MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };

// The functions Step Functions adds to JSONata ("Transforming data with JSONata in Step Functions").
const stepFunctions = {
  partition(array, size) {
    const items = Array.isArray(array) ? array : [array];
    const chunks = [];
    for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
    return chunks;
  },
  range(first, last, step) {
    const values = [];
    if (step === 0) throw { code: "States.QueryEvaluationError", message: "$range: step must not be 0" };
    for (let v = first; step > 0 ? v <= last : v >= last; v += step) values.push(v);
    return values;
  },
  hash(value, algorithm) {
    const name = HASH_ALGORITHMS[algorithm];
    if (!name) throw { code: "States.QueryEvaluationError", message: `$hash: unsupported algorithm ${algorithm}` };
    return crypto.createHash(name).update(String(value)).digest("hex");
  },
  random(seed) {
    if (seed === undefined) return Math.random();
    const x = Math.sin(Number(seed)) * 10000;
    return x - Math.floor(x);
  },
  uuid() { return crypto.randomUUID(); },
  parse(text) { return JSON.parse(text); },
};

const compiled = new Map();

async function answer(request) {
  if (request.expr !== undefined) {
    try {
      compiled.set(request.id, { expression: jsonata(request.expr) });
    } catch (error) {
      compiled.set(request.id, { error });
    }
  }
  const entry = compiled.get(request.id);
  if (entry === undefined) return { error: { code: "UNKNOWN", message: `no expression ${request.id}` } };
  if (entry.error) return { error: describe(entry.error) };
  try {
    const value = await entry.expression.evaluate(undefined, { ...stepFunctions, ...request.bindings });
    if (value === undefined) return { undefined: true };
    if (typeof value === "function" || (value && value._jsonata_lambda)) return { type: "function" };
    return { value };
  } catch (error) {
    return { error: describe(error) };
  }
}

function describe(error) {
  return { code: error.code || "UNKNOWN", message: error.message || String(error), position: error.position, token: error.token };
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line) continue;
    let reply;
    try {
      reply = await answer(JSON.parse(line));
    } catch (error) {
      reply = { error: describe(error) };
    }
    let text;
    try {
      text = JSON.stringify(reply);
    } catch (error) {
      text = JSON.stringify({ error: describe(error) });
    }
    process.stdout.write(text + "\n");
  }
}

main();

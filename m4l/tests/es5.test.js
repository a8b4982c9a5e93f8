// The device script must run in Max 8's [js], an ES5 engine: checked with a real ES5 parser.
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("fs");
let acorn;
try {
  acorn = require("acorn");
} catch (e) {
  throw new Error("acorn is not installed: run scripts/install-deps (it runs npm ci --prefix m4l)");
}
const { SCRIPT_PATH, loadBuiltDevice } = require("./helpers");

const parse5 = (src) => acorn.parse(src, { ecmaVersion: 5, sourceType: "script", locations: true });

test("the parser really rejects what ES5 lacks", () => {
  for (const src of ["const x = 1;", "let x = 1;", "var f = (a) => a;", "class A {}", "var s = `t`;", "var {a} = o;", "for (var x of y) {}"]) {
    assert.throws(() => parse5(src), SyntaxError, src);
  }
  assert.doesNotThrow(() => parse5("var x = {a: 1}; function f() { return x.a; }"));
});

test("mixscout.js parses as ES5 (source and the copy inside the device)", () => {
  parse5(fs.readFileSync(SCRIPT_PATH, "utf8"));
  for (const [name, src] of Object.entries(loadBuiltDevice().scripts)) parse5(src, name);
});

// Syntax is not all: ES2015+ library calls parse fine and fail at run time in Max 8.
test("mixscout.js calls no ES2015+ library function", () => {
  const banned = new Set(["includes", "startsWith", "endsWith", "repeat", "padStart", "padEnd", "find", "findIndex",
    "fill", "assign", "from", "of", "entries", "values", "trimStart", "trimEnd", "flat", "flatMap", "at", "isInteger"]);
  const bannedGlobals = new Set(["Promise", "Map", "Set", "WeakMap", "Symbol", "Proxy", "Reflect", "console", "require", "setTimeout", "setInterval"]);
  const found = [];
  (function walk(node) {
    if (!node || typeof node.type !== "string") return;
    // task.repeat() is Max's Task API, not String.prototype.repeat.
    const maxTask = node.type === "MemberExpression" && node.object.type === "Identifier" && node.object.name === "task";
    if (node.type === "MemberExpression" && !node.computed && !maxTask && banned.has(node.property.name)) found.push(`.${node.property.name} at line ${node.loc.start.line}`);
    if (node.type === "Identifier" && bannedGlobals.has(node.name)) found.push(`${node.name} at line ${node.loc.start.line}`);
    for (const key of Object.keys(node)) {
      const v = node[key];
      if (Array.isArray(v)) v.forEach(walk); else if (v && typeof v.type === "string") walk(v);
    }
  })(parse5(fs.readFileSync(SCRIPT_PATH, "utf8")));
  assert.deepEqual(found, []);
});

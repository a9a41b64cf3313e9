#!/usr/bin/env node
// Differential test of `isobox strip` (swc strip-only type stripping) against
// TypeScript's own `ts.transpileModule`, on the .ts sources that popular
// packages publish. Run through run.sh (`make ts-differential`).
//
// For every .ts file (not .d.ts) under each package's source directory:
//   * `isobox strip FILE` -> JavaScript (exit 0) or a refusal naming the
//     construct (exit 1);
//   * `ts.transpileModule(source, OPTIONS)` -> JavaScript;
//   * both outputs are tokenized with `ts.createScanner` (trivia skipped:
//     whitespace, newlines, comments) and compared token by token (kind and
//     text), after the normalisations listed below.
// Each file is classified as
//   pass      the two token streams are equal,
//   rejected  isobox refused the file (exit 1); grouped by the construct named,
//   FAIL      the token streams differ (or isobox's output does not parse, or
//             isobox crashed).
// The exit code is 1 if any file FAILs.
//
// Tokenizing. The scanner alone cannot tell a regular expression from a
// division, nor a `}` that closes a template substitution from one that closes
// a block; each output is therefore parsed once (ts.createSourceFile, as
// JavaScript) and the scanner is told to rescan exactly at the positions where
// the parser found a regular expression literal or a template middle/tail.
// `>` is always rescanned with reScanGreaterToken (there are no type
// arguments left in JavaScript, so `>>`, `>=`, `>>>=` are operators).
//
// Both outputs are parsed by the same parser (TypeScript's, in JavaScript
// mode), so N1, N2 and N5 below rest on its reading of JavaScript. Where it
// departs from ECMAScript it is corrected: it takes `export`, `readonly`...
// before a class member as a modifier even across a line break, where
// JavaScript has a field of that name ended by ASI (see tokenize()).
//
// Normalisations (each provably meaning-preserving; keep this list short):
//
//   N1  Automatic semicolon insertion is made explicit. Statements whose
//       terminating `;` is optional (variable, expression, return, throw,
//       break, continue, do-while, debugger, import, export, export default
//       statements, and class fields) get a `;` token if the parser found the
//       statement to end without one. The parser already applied ASI to build
//       the tree both outputs are compared by, so this only writes down the
//       statement boundary it found; a missing boundary (`a\n(b)` parsed as a
//       call) is still a difference. Needed because transpileModule reprints
//       every statement with a `;` while isobox keeps the source's own
//       (effect's sources use no semicolons).
//
//   N2  Empty statements in a statement list (source file, block, case
//       clause) and empty class elements (`;` in a class body) are dropped.
//       They do nothing. isobox leaves a `;` where it blanks a type-only
//       statement or an overload signature (to keep ASI from joining the
//       neighbouring lines); transpileModule drops such statements entirely.
//       An empty statement that is the body of `if`/`while`/`for`/label is
//       kept: there it is the body.
//
//   N3  `export {};` is dropped. transpileModule appends it when eliding all
//       of a module's imports and exports would otherwise leave a file that
//       no longer looks like a module. In a module (every file here is one,
//       and isobox runs `.ts` files as modules) it exports nothing and does
//       nothing.
//
//   N4  A trailing comma in a list is dropped (import/export specifiers,
//       object literals and patterns, parameters, arguments, array literals
//       and patterns, except after an elision: in `[a, ,]` the last comma
//       makes the hole, so it is kept). `f(a,)` is `f(a)`, `{ a, }` is
//       `{ a }`. isobox leaves the comma that preceded a blanked
//       `type X` specifier (`import { a, type X }` -> `import { a,        }`).
//
//   N5  Parentheses that enclosed a type assertion in the source (`(x as T)`,
//       `(x satisfies T)`) are dropped from isobox's output when they are
//       redundant, which is checked, not assumed: the output is parsed again
//       with those parentheses blanked, and the two syntax trees must be
//       identical but for the removed parenthesized-expression nodes (node
//       kinds, operators, identifier and literal texts, optional-chain and
//       let/const flags all compared). A parenthesis that changes the parse
//       (precedence, `(a?.b).c`, a directive) is kept. transpileModule drops
//       such parentheses and adds back only those the printer needs; isobox
//       blanks just the `as T`. Then, at each remaining difference where
//       one side has a `(` the other lacks, that one parenthesized expression
//       is dropped under the same check (on either side): transpileModule
//       wraps instantiation expressions in parentheses (`f<T>` -> `(f)`,
//       isobox: `f`). Only redundant parentheses go: `(f)()` and `f()` call
//       with the same `this`, and the check keeps every parenthesis that
//       changes the tree.
//
// Not normalised, on purpose: import elision. With verbatimModuleSyntax
// false, transpileModule drops an import whose bindings are used only as
// types; strip-only mode (like Node's) keeps every import not written
// `import type`. That changes which modules load and which bindings must
// exist, so it is not hidden: a file whose tokens agree with transpileModule
// only under verbatimModuleSyntax: true (imports kept as written) is counted
// in its own column, "kept imports", and listed. That is isobox's documented
// rule (README, TypeScript: write `import type` for type-only imports, as
// Node's type stripping requires); it does not fail the run. Every other
// difference is a FAIL.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const require = createRequire(join(here, "package.json"));
const ts = require("typescript");

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const isobox = resolve(opt("--isobox", join(root, "target/release/isobox")));
const modules = resolve(opt("--modules", join(here, "node_modules")));
const only = opt("--only", null); // substring filter on the file path
const verbose = args.includes("--verbose");
const contextTokens = 6;

// The packages and their source directories (relative to the package root).
const PACKAGES = [
  { name: "zod", src: "src" },
  { name: "rxjs", src: "src" },
  { name: "effect", src: "src" },
];

const COMPILER_OPTIONS = {
  target: ts.ScriptTarget.ESNext,
  module: ts.ModuleKind.ESNext,
  verbatimModuleSyntax: false,
  isolatedModules: true,
  useDefineForClassFields: true,
  experimentalDecorators: false,
};

function listTs(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(p));
    else if (/\.[mc]?ts$/.test(entry.name) && !/\.d\.[mc]?ts$/.test(entry.name)) out.push(p);
  }
  return out.sort();
}

// --- tokenizing ------------------------------------------------------------

const K = ts.SyntaxKind;
const OPTIONAL_SEMICOLON = new Set([
  K.VariableStatement, K.ExpressionStatement, K.ReturnStatement, K.ThrowStatement,
  K.BreakStatement, K.ContinueStatement, K.DoStatement, K.DebuggerStatement,
  K.ImportDeclaration, K.ExportDeclaration, K.ExportAssignment, K.PropertyDeclaration,
]);
const TS_ONLY_MODIFIERS = new Set([
  K.ExportKeyword, K.DeclareKeyword, K.PublicKeyword, K.PrivateKeyword, K.ProtectedKeyword,
  K.ReadonlyKeyword, K.AbstractKeyword, K.OverrideKeyword, K.DefaultKeyword, K.ConstKeyword,
  K.InKeyword, K.OutKeyword,
]);
const STATEMENT_LIST = new Set([K.SourceFile, K.Block, K.ModuleBlock, K.CaseClause, K.DefaultClause]);

function isEmptyExport(node) {
  return node.kind === K.ExportDeclaration && !node.moduleSpecifier && !node.isTypeOnly &&
    node.exportClause && node.exportClause.kind === K.NamedExports &&
    node.exportClause.elements.length === 0;
}

// Returns { tokens: [{kind, text, pos, virtual?}], diagnostics }.
function tokenize(text, fileName) {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ESNext, true, ts.ScriptKind.JS);
  const rescanSlash = new Set();
  const rescanTemplate = new Set();
  const drop = new Set(); // token start positions dropped (N2)
  const dropRanges = []; // [start, end) ranges dropped (N3)
  const virtualSemicolon = new Map(); // end position -> count (N1)
  const jsErrors = [];

  const visit = (node) => {
    switch (node.kind) {
      case K.RegularExpressionLiteral:
        rescanSlash.add(node.getStart(sf));
        break;
      case K.TemplateMiddle:
      case K.TemplateTail:
        rescanTemplate.add(node.getStart(sf));
        break;
      case K.EmptyStatement:
        if (node.parent && STATEMENT_LIST.has(node.parent.kind)) drop.add(node.getStart(sf));
        break;
      case K.SemicolonClassElement:
        drop.add(node.getStart(sf));
        break;
    }
    if (isEmptyExport(node)) dropRanges.push([node.getStart(sf), node.end]);
    ts.forEachChild(node, () => undefined, (list) => {
      // N4: the comma after the last element, unless that element is an elision.
      if (!list.hasTrailingComma || !list.length) return;
      if (list[list.length - 1].kind === K.OmittedExpression) return;
      const comma = ts.skipTrivia(text, list[list.length - 1].end);
      if (text.charCodeAt(comma) === 44 /* , */) drop.add(comma);
    });
    if (node.kind === K.PropertyDeclaration || node.kind === K.MethodDeclaration ||
        node.kind === K.GetAccessor || node.kind === K.SetAccessor) {
      // TypeScript's parser, even for JavaScript, reads `export`, `declare`,
      // `readonly`, `public`... before a class member as a modifier, also across
      // a line break. JavaScript has no such modifiers: there `export` on a
      // line of its own is a field named `export`, ended by ASI (isobox blanks
      // `readonly export: T` to `export`). Write that boundary down (N1); on
      // the same line it would be a syntax error in JavaScript.
      for (const m of node.modifiers || []) {
        if (!TS_ONLY_MODIFIERS.has(m.kind)) continue;
        const next = ts.skipTrivia(text, m.end);
        if (/[\n\r\u2028\u2029]/.test(text.slice(m.end, next))) {
          virtualSemicolon.set(m.end, (virtualSemicolon.get(m.end) || 0) + 1);
        } else {
          jsErrors.push({ start: m.getStart(sf), messageText: `TypeScript-only modifier '${m.getText(sf)}' in JavaScript` });
        }
      }
    }
    if (OPTIONAL_SEMICOLON.has(node.kind) && !isEmptyExport(node) && text.charCodeAt(node.end - 1) !== 59 /* ; */) {
      virtualSemicolon.set(node.end, (virtualSemicolon.get(node.end) || 0) + 1);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);

  const virtualAt = [...virtualSemicolon.entries()].sort((a, b) => a[0] - b[0]);
  let vi = 0;
  const tokens = [];
  const scanner = ts.createScanner(ts.ScriptTarget.ESNext, true, ts.LanguageVariant.Standard, text);
  for (;;) {
    let kind = scanner.scan();
    const start = scanner.getTokenStart();
    while (vi < virtualAt.length && virtualAt[vi][0] <= start) {
      for (let n = 0; n < virtualAt[vi][1]; n++) {
        tokens.push({ kind: K.SemicolonToken, text: ";", pos: virtualAt[vi][0], virtual: true });
      }
      vi++;
    }
    if (kind === K.EndOfFileToken) break;
    if ((kind === K.SlashToken || kind === K.SlashEqualsToken) && rescanSlash.has(start)) {
      kind = scanner.reScanSlashToken();
    } else if (kind === K.CloseBraceToken && rescanTemplate.has(start)) {
      kind = scanner.reScanTemplateToken(false);
    } else if (kind === K.GreaterThanToken) {
      kind = scanner.reScanGreaterToken();
    }
    if ((kind === K.SemicolonToken || kind === K.CommaToken) && drop.has(start)) continue;
    if (dropRanges.some(([s, e]) => start >= s && start < e)) continue;
    tokens.push({ kind, text: scanner.getTokenText(), pos: start });
  }
  return { tokens, diagnostics: [...sf.parseDiagnostics, ...jsErrors], sf, text };
}

// --- N5: redundant parentheses around erased type assertions ----------------

const SIGNIFICANT_FLAGS = ts.NodeFlags.OptionalChain | ts.NodeFlags.Let | ts.NodeFlags.Const |
  ts.NodeFlags.Using | ts.NodeFlags.AwaitUsing;

// A canonical rendering of a JavaScript syntax tree, with the parenthesized
// expressions that start at a position in `skip` left out (their contents kept).
function treeSignature(sf, skip) {
  const out = [];
  const walk = (n) => {
    if (n.kind === K.ParenthesizedExpression && skip.has(n.getStart(sf))) {
      walk(n.expression);
      return;
    }
    let s = ts.SyntaxKind[n.kind];
    const flags = n.flags & SIGNIFICANT_FLAGS;
    if (flags) s += `/f${flags}`;
    if (typeof n.operator === "number") s += `/o${n.operator}`;
    if (typeof n.keywordToken === "number") s += `/k${n.keywordToken}`;
    if (n.kind === K.HeritageClause) s += `/t${n.token}`;
    if (n.kind === K.Identifier || n.kind === K.PrivateIdentifier) s += `:${n.text}`;
    else if (ts.isLiteralKind(n.kind) || ts.isTemplateLiteralKind(n.kind)) s += `:${n.getText(sf)}`;
    out.push(s, "(");
    ts.forEachChild(n, walk);
    out.push(")");
  };
  walk(sf);
  return out.join(" ");
}

const parseJs = (text, fileName) =>
  ts.createSourceFile(fileName, text, ts.ScriptTarget.ESNext, true, ts.ScriptKind.JS);

function blank(text, parens) {
  const chars = text.split("");
  for (const [open, close] of parens) chars[open] = chars[close] = " ";
  return chars.join("");
}

// The parentheses of `stripped` (isobox's output) that enclosed an `as` or
// `satisfies` (or `<T>`) assertion in `source` and can be removed without
// changing the parse of `stripped`; returns the text with them blanked.
function withoutRedundantAssertionParens(source, stripped, fileName) {
  const src = ts.createSourceFile(fileName, source, ts.ScriptTarget.ESNext, true, ts.ScriptKind.TS);
  const candidates = [];
  const visit = (n) => {
    if (n.kind === K.ParenthesizedExpression) {
      const inner = ts.skipParentheses(n.expression);
      const assertion = inner.kind === K.AsExpression || inner.kind === K.SatisfiesExpression ||
        inner.kind === K.TypeAssertionExpression;
      const directiveLike = n.parent.kind === K.ExpressionStatement &&
        ts.skipOuterExpressions(n.expression).kind === K.StringLiteral;
      const open = n.getStart(src);
      const close = n.end - 1;
      if (assertion && !directiveLike && stripped[open] === "(" && stripped[close] === ")") {
        candidates.push([open, close]);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  if (!candidates.length) return null;

  const original = parseJs(stripped, fileName);
  const verify = (parens) => {
    const text = blank(stripped, parens);
    const sf = parseJs(text, fileName);
    if (sf.parseDiagnostics.length) return null;
    const skip = new Set(parens.map(([open]) => open));
    return treeSignature(original, skip) === treeSignature(sf, new Set()) ? text : null;
  };
  let text = verify(candidates);
  if (text !== null) return text;
  const each = candidates.filter((p) => verify([p]) !== null);
  text = each.length ? verify(each) : null;
  return text;
}

// Removes, one at a time, a parenthesized expression that one output has and
// the other has not at the first differing token, if the parse shows it
// redundant; stops when the streams agree or no such parenthesis is left.
// Covers the parentheses transpileModule adds around instantiation
// expressions (`f<T>` -> `(f)`) and any assertion parentheses the batch above
// could not remove. Returns the final tokenizations.
function alignRedundantParens(a, b) {
  for (let rounds = 0; rounds < 10000; rounds++) {
    const i = firstDifference(a.tokens, b.tokens);
    if (i < 0) break;
    let progressed = false;
    for (const side of [0, 1]) {
      const x = side === 0 ? a : b;
      const t = x.tokens[i];
      if (!t || t.kind !== K.OpenParenToken || t.virtual) continue;
      const paren = findParenthesized(x.sf, t.pos);
      if (!paren) continue;
      const pair = [t.pos, paren.end - 1];
      const text = blank(x.text, [pair]);
      const sf = parseJs(text, x.sf.fileName);
      if (sf.parseDiagnostics.length) continue;
      if (treeSignature(x.sf, new Set([t.pos])) !== treeSignature(sf, new Set())) continue;
      const y = tokenize(text, x.sf.fileName);
      if (side === 0) a = y;
      else b = y;
      progressed = true;
      break;
    }
    if (!progressed) break;
  }
  return [a, b];
}

function findParenthesized(sf, pos) {
  let found = null;
  const visit = (n) => {
    if (found || pos < n.pos || pos >= n.end) return;
    if (n.kind === K.ParenthesizedExpression && n.getStart(sf) === pos) {
      found = n;
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

function firstDifference(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i].kind !== b[i].kind || a[i].text !== b[i].text) return i;
  }
  return a.length === b.length ? -1 : n;
}

function lineCol(sf, pos) {
  const { line, character } = sf.getLineAndCharacterOfPosition(Math.min(pos, sf.text.length));
  return `${line + 1}:${character + 1}`;
}

function showTokens(toks, i) {
  const lo = Math.max(0, i - contextTokens);
  const hi = Math.min(toks.length, i + contextTokens + 1);
  const parts = [];
  for (let j = lo; j < hi; j++) {
    const t = toks[j].virtual ? "⟨;⟩" : toks[j].text.length > 40 ? toks[j].text.slice(0, 37) + "..." : toks[j].text;
    parts.push(j === i ? `»${t}«` : t);
  }
  if (i >= toks.length) parts.push("»<end>«");
  return parts.join(" ");
}

// --- running ---------------------------------------------------------------

function runIsobox(file) {
  const r = spawnSync(isobox, ["strip", file], { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

function rejectionReason(stderr, file) {
  // "isobox: FILE: <construct message> at line L, column C" -> construct message.
  let msg = stderr.trim().split("\n")[0];
  msg = msg.replace(/^isobox:\s*/, "");
  if (msg.startsWith(file + ": ")) msg = msg.slice(file.length + 2);
  return msg.replace(/\s+at line \d+, column \d+.*$/, "").trim();
}

if (!existsSync(isobox)) {
  console.error(`compare.mjs: ${isobox} is missing; build it with cargo build --release -p isobox-cli`);
  process.exit(2);
}

const summary = [];
const failures = [];
let anyFail = false;
console.log(`typescript ${ts.version}; isobox ${relative(process.cwd(), isobox) || isobox}`);

for (const pkg of PACKAGES) {
  const pkgDir = join(modules, pkg.name);
  const version = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")).version;
  const srcDir = join(pkgDir, pkg.src);
  let files = listTs(srcDir);
  if (only) files = files.filter((f) => f.includes(only));
  const stats = { name: pkg.name, version, total: files.length, pass: 0, fail: 0, elision: 0, rejected: new Map() };
  for (const file of files) {
    const rel = `${pkg.name}/${relative(pkgDir, file)}`;
    const source = readFileSync(file, "utf8");
    const stripped = runIsobox(file);
    if (stripped.status === 1) {
      const reason = rejectionReason(stripped.stderr, file);
      const list = stats.rejected.get(reason) || [];
      list.push(rel);
      stats.rejected.set(reason, list);
      continue;
    }
    const fail = (why, detail) => {
      stats.fail++;
      anyFail = true;
      failures.push({ file: rel, why, detail });
    };
    if (stripped.status !== 0) {
      fail(`isobox strip exited ${stripped.status ?? stripped.signal}`, stripped.stderr.trim());
      continue;
    }
    const tsOut = ts.transpileModule(source, { compilerOptions: COMPILER_OPTIONS, fileName: file }).outputText;
    let a = tokenize(stripped.stdout, file.replace(/\.([mc]?)ts$/, ".isobox.$1js"));
    let b = tokenize(tsOut, file.replace(/\.([mc]?)ts$/, ".tsc.$1js"));
    if (a.diagnostics.length && !b.diagnostics.length) {
      const d = a.diagnostics[0];
      fail("isobox output does not parse", `${lineCol(a.sf, d.start)}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
      continue;
    }
    let i = firstDifference(a.tokens, b.tokens);
    if (i >= 0) {
      const unparenthesized = withoutRedundantAssertionParens(source, stripped.stdout, a.sf.fileName);
      if (unparenthesized !== null) {
        a = tokenize(unparenthesized, a.sf.fileName);
        i = firstDifference(a.tokens, b.tokens);
      }
    }
    if (i >= 0) {
      [a, b] = alignRedundantParens(a, b);
      i = firstDifference(a.tokens, b.tokens);
    }
    if (i < 0) {
      stats.pass++;
      if (verbose) console.log(`pass ${rel}`);
      continue;
    }
    // Diagnosis only (the file still FAILs): does the difference vanish when
    // transpileModule keeps imports as written (verbatimModuleSyntax: true)?
    const verbatim = tokenize(ts.transpileModule(source, {
      compilerOptions: { ...COMPILER_OPTIONS, verbatimModuleSyntax: true },
      fileName: file,
    }).outputText, b.sf.fileName);
    const elisionOnly = firstDifference(...alignRedundantParens(a, verbatim).map((x) => x.tokens)) < 0;
    if (elisionOnly) {
      stats.elision++;
      stats.elisionFiles = [...(stats.elisionFiles || []), rel];
      continue;
    }
    const at = (x, j) => (j < x.tokens.length ? lineCol(x.sf, x.tokens[j].pos) : "end");
    fail("tokens differ", [
      `isobox     @${at(a, i)}: ${showTokens(a.tokens, i)}`,
      `typescript @${at(b, i)}: ${showTokens(b.tokens, i)}`,
    ].join("\n"));
  }
  summary.push(stats);
}

console.log("");
for (const s of summary) {
  const rejected = [...s.rejected.values()].reduce((n, l) => n + l.length, 0);
  console.log(`${s.name}@${s.version}: ${s.total} files: ${s.pass} pass, ${rejected} rejected, ` +
    `${s.elision || 0} kept imports (type-only imports written without \`import type\`), ${s.fail} FAIL`);
  if (verbose) for (const f of s.elisionFiles || []) console.log(`  kept imports  ${f}`);
  for (const [reason, list] of [...s.rejected.entries()].sort((x, y) => y[1].length - x[1].length)) {
    console.log(`  rejected ${String(list.length).padStart(4)}  ${reason}`);
    if (verbose) for (const f of list) console.log(`             ${f}`);
  }
}
if (failures.length) {
  console.log(`\n${failures.length} FAIL:`);
  for (const f of failures) {
    console.log(`\nFAIL ${f.file}: ${f.why}`);
    if (f.detail) console.log(f.detail.replace(/^/gm, "  "));
  }
}
console.log(anyFail ? "\nts-differential: FAIL" : "\nts-differential: ok");
process.exit(anyFail ? 1 : 0);

// Fails when a module of src/ or bench/ imports itself through others (issue 13): a
// circle makes the order modules initialise in depend on which one is imported first, and
// says that two files are one concern split in two.
//
// TypeScript's own parser and resolver (tsconfig.json's options: extensionless paths,
// `paths`) find each import, so this sees what tsc sees, with the compiler already in
// devDependencies (madge would bring a resolver of its own and its dependency tree).
// Imports that run count: static, `export … from` and `import()`. Those written as
// types only (`import type`, or every name marked `type`) are erased by the compiler and
// initialise nothing, so they do not. Files these reach outside src/ and bench/
// (examples/) are followed too; packages in node_modules are not.
//
//   node scripts/import-cycles.mjs    # run by `npm run lint`
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = ts.getParsedCommandLineOfConfigFile(
  resolve(root, 'tsconfig.json'),
  {},
  { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} },
);
if (!config) throw new Error('import-cycles: cannot read tsconfig.json');
const roots = ['src', 'bench'].flatMap((dir) => ts.sys.readDirectory(resolve(root, dir), ['.ts', '.mts'], ['**/*.d.ts']));

/** The specifiers of the imports in `file` that survive compilation, in source order. */
function runtimeImports(file) {
  const source = ts.createSourceFile(file, ts.sys.readFile(file) ?? '', ts.ScriptTarget.Latest, true);
  const specifiers = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) {
      if (node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && !typeOnly(node)) specifiers.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [specifier] = node.arguments;
      if (specifier && ts.isStringLiteralLike(specifier)) specifiers.push(specifier.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** `import type …`, `export type …`, or every name imported or exported marked `type`. */
function typeOnly(node) {
  if (ts.isExportDeclaration(node)) {
    return node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && allTypes(node.exportClause));
  }
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  return (
    clause.name === undefined &&
    clause.namedBindings !== undefined &&
    ts.isNamedImports(clause.namedBindings) &&
    allTypes(clause.namedBindings)
  );
}

function allTypes(named) {
  return named.elements.length > 0 && named.elements.every((element) => element.isTypeOnly);
}

/** @type {Map<string, string[]>} each file and the files it imports */
const imports = new Map();
const pending = [...roots];
while (pending.length > 0) {
  const file = /** @type {string} */ (pending.pop());
  if (imports.has(file)) continue;
  const targets = [];
  for (const specifier of runtimeImports(file)) {
    const found = ts.resolveModuleName(specifier, file, config.options, ts.sys).resolvedModule;
    if (!found || found.isExternalLibraryImport || found.extension === '.d.ts') continue;
    targets.push(found.resolvedFileName);
    pending.push(found.resolvedFileName);
  }
  imports.set(file, targets);
}

// Depth-first from every file: an import of a file still on the path closes a circle.
// Every knot of modules that import each other shows at least one of its circles.
/** @type {string[][]} */
const cycles = [];
const done = new Set();
function visit(file, path) {
  const at = path.indexOf(file);
  if (at >= 0) return void cycles.push([...path.slice(at), file]);
  if (done.has(file)) return;
  path.push(file);
  for (const target of imports.get(file) ?? []) visit(target, path);
  path.pop();
  done.add(file);
}
for (const file of [...imports.keys()].sort()) visit(file, []);

if (cycles.length > 0) {
  const shown = cycles.map((cycle) => `  ${cycle.map((file) => relative(root, file)).join(' → ')}`);
  process.stderr.write(`import-cycles: ${cycles.length} import circle(s):\n${shown.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`import-cycles: no circles among the ${imports.size} modules of src/ and bench/ and what they import\n`);

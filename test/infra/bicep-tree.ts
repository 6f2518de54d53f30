/**
 * Reads Bicep with the real tree-sitter-bicep grammar (WASM, offline) and offers
 * small, typed views of the parsed tree for the infra tests: declarations,
 * resources (nested ones get their full type), object properties and literals.
 * No Bicep CLI reaches this machine, so this is what checks the templates.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Language, Parser, type Node } from "web-tree-sitter";

export type { Node } from "web-tree-sitter";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const INFRA_DIR = join(REPO_ROOT, "infra");

let parserPromise: Promise<Parser> | undefined;

/** One parser per test file, loaded once: WASM start-up is the slow part. */
export function loadBicepParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    await Parser.init();
    const require = createRequire(import.meta.url);
    const wasmPath = join(dirname(require.resolve("tree-sitter-bicep/package.json")), "tree-sitter-bicep.wasm");
    const language = await Language.load(wasmPath);
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}

export interface BicepFile {
  /** Path relative to the repository root, for messages. */
  readonly path: string;
  readonly source: string;
  readonly root: Node;
}

export async function parseBicep(source: string, path = "<inline>"): Promise<BicepFile> {
  const parser = await loadBicepParser();
  const tree = parser.parse(source);
  if (!tree) throw new Error(`tree-sitter returned no tree for ${path}`);
  return { path, source, root: tree.rootNode };
}

export async function parseBicepFile(absolutePath: string): Promise<BicepFile> {
  return parseBicep(readFileSync(absolutePath, "utf8"), relative(REPO_ROOT, absolutePath));
}

/** Every .bicep file below `dir`, sorted, as absolute paths. */
export function listBicepFiles(dir = INFRA_DIR): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...listBicepFiles(path));
    else if (entry.name.endsWith(".bicep")) found.push(path);
  }
  return found.sort();
}

export interface SyntaxProblem {
  readonly kind: "ERROR" | "MISSING";
  /** 1-based, as editors show them. */
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/** Every ERROR node (text the grammar could not place) and MISSING node (a token the parser had to invent). */
export function syntaxProblems(file: BicepFile): SyntaxProblem[] {
  const problems: SyntaxProblem[] = [];
  const visit = (node: Node): void => {
    if (node.isError || node.isMissing) {
      problems.push({
        kind: node.isMissing ? "MISSING" : "ERROR",
        line: node.startPosition.row + 1,
        column: node.startPosition.column + 1,
        text: node.isMissing ? node.type : node.text.slice(0, 60),
      });
    }
    for (const child of node.children) if (child) visit(child);
  };
  visit(file.root);
  return problems;
}

export function formatProblems(file: BicepFile, problems: readonly SyntaxProblem[]): string[] {
  return problems.map((p) => `${file.path}:${p.line}:${p.column} ${p.kind} ${JSON.stringify(p.text)}`);
}

// ---------------------------------------------------------------- tree basics

/** Named children without comments (comments are "extras" and may sit anywhere). */
export function significantChildren(node: Node): Node[] {
  return node.namedChildren.filter((c): c is Node => c !== null && c.type !== "comment");
}

export function lineOf(node: Node): number {
  return node.startPosition.row + 1;
}

function descendants(node: Node, predicate: (n: Node) => boolean): Node[] {
  const found: Node[] = [];
  const visit = (n: Node): void => {
    if (predicate(n)) found.push(n);
    for (const child of n.children) if (child) visit(child);
  };
  visit(node);
  return found;
}

/** Decoded value of a string literal without interpolation; undefined for anything else. */
export function stringLiteral(node: Node | undefined): string | undefined {
  if (!node || node.type !== "string") return undefined;
  if (node.text.startsWith("'''")) return node.text.slice(3, -3);
  let value = "";
  for (const child of significantChildren(node)) {
    if (child.type === "string_content") value += child.text;
    else if (child.type === "escape_sequence") value += decodeEscape(child.text);
    else return undefined; // interpolation
  }
  return value;
}

function decodeEscape(sequence: string): string {
  const escapes: Record<string, string> = { "\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$" };
  return escapes[sequence] ?? sequence;
}

/** A literal string, number or boolean; undefined for any expression. */
export function literal(node: Node | undefined): string | number | boolean | undefined {
  if (!node) return undefined;
  if (node.type === "string") return stringLiteral(node);
  if (node.type === "number") return Number(node.text);
  if (node.type === "boolean") return node.text === "true";
  return undefined;
}

/** Key of an object property (identifier or literal string key); undefined for nested resources. */
function propertyKey(prop: Node): string | undefined {
  const [key] = significantChildren(prop);
  if (!key) return undefined;
  if (key.type === "identifier") return key.text;
  if (key.type === "string") return stringLiteral(key) ?? key.text;
  return undefined;
}

export interface ObjectEntry {
  readonly key: string;
  readonly value: Node;
  readonly node: Node;
}

/** The properties of an object literal, in source order (nested resource declarations are skipped). */
export function objectEntries(obj: Node | undefined): ObjectEntry[] {
  if (!obj || obj.type !== "object") return [];
  const entries: ObjectEntry[] = [];
  for (const prop of significantChildren(obj)) {
    if (prop.type !== "object_property") continue;
    const parts = significantChildren(prop);
    const key = propertyKey(prop);
    const value = parts[parts.length - 1];
    if (key !== undefined && value && parts.length >= 2) entries.push({ key, value, node: prop });
  }
  return entries;
}

export function objectKeys(obj: Node | undefined): string[] {
  return objectEntries(obj).map((e) => e.key);
}

/** The value at a dotted path of object literals, e.g. property(body, "properties.siteConfig.minTlsVersion"). */
export function property(obj: Node | undefined, path: string): Node | undefined {
  let current: Node | undefined = obj;
  for (const key of path.split(".")) {
    current = objectEntries(current).find((e) => e.key === key)?.value;
    if (!current) return undefined;
  }
  return current;
}

/**
 * Every identifier the expression refers to (variable, parameter, resource or
 * module symbols, function names); object keys are names, not references.
 */
export function identifiersIn(node: Node): Set<string> {
  const isKey = (n: Node): boolean => n.parent?.type === "object_property" && significantChildren(n.parent)[0]?.equals(n) === true;
  return new Set(descendants(node, (n) => n.type === "identifier" && !isKey(n)).map((n) => n.text));
}

export interface FunctionCall {
  readonly name: string;
  readonly args: Node[];
  readonly node: Node;
}

/** Every function call inside `node` (including `az.`/`sys.` qualified calls, named by their last part). */
export function callsIn(node: Node, name?: string): FunctionCall[] {
  return descendants(node, (n) => n.type === "call_expression")
    .map((call): FunctionCall => {
      const fn = call.childForFieldName("function") ?? significantChildren(call)[0];
      const fnName = fn?.type === "member_expression" ? (fn.childForFieldName("property")?.text ?? fn.text) : (fn?.text ?? "");
      const argsNode = significantChildren(call).find((c) => c.type === "arguments");
      return { name: fnName, args: argsNode ? significantChildren(argsNode) : [], node: call };
    })
    .filter((c) => name === undefined || c.name === name);
}

// ---------------------------------------------------------------- declarations

export interface Decorator {
  readonly name: string;
  readonly args: Node[];
}

/** Decorators are siblings placed before their declaration in this grammar. */
function decoratorsOf(declaration: Node): Decorator[] {
  let previous = declaration.previousNamedSibling;
  while (previous?.type === "comment") previous = previous.previousNamedSibling;
  if (previous?.type !== "decorators") return [];
  return significantChildren(previous).flatMap((decorator) => {
    const [expression] = significantChildren(decorator);
    if (!expression) return [];
    if (expression.type === "call_expression") {
      const [call] = callsIn(expression).filter((c) => c.node.equals(expression));
      return call ? [{ name: call.name, args: call.args }] : [];
    }
    return [{ name: expression.text, args: [] }];
  });
}

function topLevel(file: BicepFile, type: string): Node[] {
  return significantChildren(file.root).filter((n) => n.type === type);
}

export interface BicepParameter {
  readonly name: string;
  readonly type: string;
  readonly defaultValue: Node | undefined;
  readonly decorators: Decorator[];
  readonly isSecure: boolean;
  readonly node: Node;
}

export function parameters(file: BicepFile): BicepParameter[] {
  return topLevel(file, "parameter_declaration").map((node) => {
    const [name, type, defaultValue] = significantChildren(node);
    const decorators = decoratorsOf(node);
    return {
      name: name?.text ?? "",
      type: type?.text ?? "",
      defaultValue,
      decorators,
      isSecure: decorators.some((d) => d.name === "secure"),
      node,
    };
  });
}

/** Literal values of a parameter's @allowed([...]) decorator, or undefined when it has none. */
export function allowedValues(param: BicepParameter): Array<string | number | boolean | undefined> | undefined {
  const allowed = param.decorators.find((d) => d.name === "allowed");
  const list = allowed?.args[0];
  if (!list || list.type !== "array") return undefined;
  return significantChildren(list).map((item) => literal(item));
}

export interface BicepVariable {
  readonly name: string;
  readonly value: Node;
}

export function variables(file: BicepFile): BicepVariable[] {
  return topLevel(file, "variable_declaration").flatMap((node) => {
    const [name, value] = significantChildren(node);
    return name && value ? [{ name: name.text, value }] : [];
  });
}

export interface BicepOutput {
  readonly name: string;
  readonly type: string;
  readonly value: Node;
  readonly decorators: Decorator[];
}

export function outputs(file: BicepFile): BicepOutput[] {
  return topLevel(file, "output_declaration").flatMap((node) => {
    const [name, type, value] = significantChildren(node);
    return name && type && value ? [{ name: name.text, type: type.text, value, decorators: decoratorsOf(node) }] : [];
  });
}

/** Body of a resource or module: the object, behind `if (...)` and/or `[for ...: ...]`. */
function unwrapBody(node: Node | undefined): { body: Node | undefined; condition?: Node; loop: boolean } {
  let loop = false;
  let condition: Node | undefined;
  let current = node;
  for (;;) {
    if (current?.type === "for_statement") {
      loop = true;
      current = current.childForFieldName("body") ?? significantChildren(current).at(-1);
    } else if (current?.type === "if_statement") {
      const parts = significantChildren(current);
      condition = parts[0];
      current = parts.at(-1);
    } else {
      return { body: current?.type === "object" ? current : undefined, loop, ...(condition ? { condition } : {}) };
    }
  }
}

export interface BicepResource {
  readonly symbol: string;
  /** Full resource type without the API version, e.g. "Microsoft.Web/sites/config" for a nested `config`. */
  readonly type: string;
  readonly apiVersion: string | undefined;
  readonly existing: boolean;
  readonly body: Node | undefined;
  readonly condition?: Node;
  readonly loop: boolean;
  readonly node: Node;
}

/** All resources of a file, nested child resources included. */
export function resources(file: BicepFile): BicepResource[] {
  const found: BicepResource[] = [];
  const visit = (node: Node, parentType: string | undefined, parentVersion: string | undefined): void => {
    const parts = significantChildren(node);
    const [symbol, typeString] = parts;
    const declared = stringLiteral(typeString) ?? "";
    const [typeName = "", version] = declared.split("@");
    const type = parentType && !typeName.includes(".") ? `${parentType}/${typeName}` : typeName;
    const apiVersion = version ?? parentVersion;
    const { body, condition, loop } = unwrapBody(parts.at(-1));
    found.push({
      symbol: symbol?.text ?? "",
      type,
      apiVersion,
      existing: node.children.some((c) => c?.type === "existing"),
      body,
      loop,
      ...(condition ? { condition } : {}),
      node,
    });
    for (const prop of significantChildren(body ?? node).filter((p) => p.type === "object_property")) {
      const nested = significantChildren(prop).find((c) => c.type === "resource_declaration");
      if (nested && body) visit(nested, type, apiVersion);
    }
  };
  for (const node of topLevel(file, "resource_declaration")) visit(node, undefined, undefined);
  return found;
}

export interface BicepModule {
  readonly symbol: string;
  /** Path as written, e.g. "modules/storage.bicep". */
  readonly path: string;
  readonly body: Node | undefined;
  readonly condition?: Node;
  readonly node: Node;
}

export function modules(file: BicepFile): BicepModule[] {
  return topLevel(file, "module_declaration").map((node) => {
    const parts = significantChildren(node);
    const { body, condition } = unwrapBody(parts.at(-1));
    return {
      symbol: parts[0]?.text ?? "",
      path: stringLiteral(parts[1]) ?? "",
      body,
      ...(condition ? { condition } : {}),
      node,
    };
  });
}

export interface BicepFunction {
  readonly name: string;
  readonly node: Node;
}

export function userFunctions(file: BicepFile): BicepFunction[] {
  return topLevel(file, "user_defined_function").map((node) => ({
    name: node.childForFieldName("name")?.text ?? significantChildren(node)[0]?.text ?? "",
    node,
  }));
}

/** Every object entry anywhere below `node` (for keys inside union(...) arguments and the like). */
export function entriesIn(node: Node): ObjectEntry[] {
  return descendants(node, (n) => n.type === "object").flatMap((obj) => objectEntries(obj));
}

/** All Bicep files under infra/, parsed, keyed by their path relative to infra/ ("main.bicep", "modules/storage.bicep"). */
export async function loadInfra(): Promise<Map<string, BicepFile>> {
  const files = new Map<string, BicepFile>();
  for (const path of listBicepFiles()) {
    files.set(relative(INFRA_DIR, path).replace(/\\/g, "/"), await parseBicepFile(path));
  }
  return files;
}

/** The file, or an error naming what is missing (a clearer failure than "undefined"). */
export function requireFile(files: Map<string, BicepFile>, name: string): BicepFile {
  const file = files.get(name);
  if (!file) throw new Error(`infra/${name} is missing`);
  return file;
}

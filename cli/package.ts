/**
 * `npm run package`: the deployment package, exactly what `azd deploy` and
 * `func azure functionapp publish` ship.
 *
 *   dist/package/      host.json, a package.json without dependencies, and the
 *                      bundled function entries with their chunks and source maps
 *                      (dist/bundle/, from scripts/build.mjs)
 *   dist/package.zip   the same files, zipped
 *
 * The bundle holds every library the functions use, so nothing is installed in
 * Azure and no devDependency can reach production. Flex Consumption downloads
 * the package on every cold start, hence the size budget.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { zipSync } from "fflate";
import { processIo, runAsScript, type OperatorIo } from "./operator-io.js";

/** Flex Consumption fetches the package at every cold start; 15 MB keeps that well under its 30 s initialisation window. */
export const PACKAGE_BUDGET_BYTES = 15 * 1024 * 1024;
/** Where the build leaves the bundle, relative to the project root (and inside the package). */
const BUNDLE_DIR = "dist/bundle";
/**
 * A routing file at the project root ships with the package, at the same place:
 * in Azure it is /home/site/wwwroot/<name> (docs/RECEIVERS.md, "Routing": ALERT_ROUTES_FILE).
 */
const ROUTING_FILES = ["routes.yaml", "routes.yml", "routes.json"];
/** Written by the build for tests and tooling; describes the bundle, is not part of it. */
const BUILD_ONLY = new Set(["meta.json"]);

interface ProjectPackageJson {
  name: string;
  version: string;
  description?: string;
  type?: string;
  main?: string;
  engines?: Record<string, string>;
}

/** The package.json that ships: what the Functions host reads (type, main), no scripts, no dependencies (all bundled). */
function deployPackageJson(project: ProjectPackageJson): object {
  const { name, version, description, type, main, engines } = project;
  return { name, version, description, private: true, type, main, engines };
}

function filesUnder(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return filesUnder(root, path);
    return BUILD_ONLY.has(entry.name) ? [] : [path];
  });
}

/** Every file of the package (path inside it, content), from a built project. */
export function packageFiles(projectRoot: string): { name: string; data: Buffer }[] {
  const bundle = join(projectRoot, BUNDLE_DIR);
  if (!existsSync(join(bundle, "functions"))) throw new Error(`${BUNDLE_DIR}/functions is missing: run npm run build`);
  const project = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as ProjectPackageJson;
  return [
    { name: "host.json", data: readFileSync(join(projectRoot, "host.json")) },
    { name: "package.json", data: Buffer.from(`${JSON.stringify(deployPackageJson(project), null, 2)}\n`) },
    ...ROUTING_FILES.filter((name) => existsSync(join(projectRoot, name))).map((name) => ({ name, data: readFileSync(join(projectRoot, name)) })),
    ...filesUnder(projectRoot, BUNDLE_DIR)
      .sort()
      .map((name) => ({ name, data: readFileSync(join(projectRoot, name)) })),
  ];
}

function formatMegabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Writes dist/package/ and dist/package.zip; 1 when the zip is over budget. */
export async function main(_argv: string[], projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", ".."), io: OperatorIo = processIo): Promise<number> {
  const files = packageFiles(projectRoot);
  const staged = join(projectRoot, "dist", "package");
  rmSync(staged, { recursive: true, force: true });
  for (const file of files) {
    mkdirSync(dirname(join(staged, file.name)), { recursive: true });
    writeFileSync(join(staged, file.name), file.data);
  }
  const archive = Buffer.from(zipSync(Object.fromEntries(files.map((f) => [f.name, f.data]))));
  writeFileSync(join(projectRoot, "dist", "package.zip"), archive);
  const functionsDir = `${BUNDLE_DIR}/functions/`;
  const entries = files.filter((f) => f.name.startsWith(functionsDir) && !f.name.slice(functionsDir.length).includes("/") && f.name.endsWith(".js")).length;
  const unpacked = files.reduce((sum, f) => sum + f.data.length, 0);
  const within = archive.length <= PACKAGE_BUDGET_BYTES;
  const routing = files.filter((f) => ROUTING_FILES.includes(f.name)).map((f) => f.name);
  io.stdout(
    `dist/package.zip: ${formatMegabytes(archive.length)} zipped (budget ${formatMegabytes(PACKAGE_BUDGET_BYTES)}), ` +
      `${files.length} files, ${formatMegabytes(unpacked)} unpacked, ${entries} function entries${routing.length > 0 ? `, the routing file ${routing.join(", ")}` : ""}; the same files are in dist/package/\n`,
  );
  if (!within) io.stderr(`the package is over its ${formatMegabytes(PACKAGE_BUDGET_BYTES)} budget: something heavy is bundled eagerly or a devDependency got in\n`);
  return within ? 0 : 1;
}

runAsScript(import.meta.url, main);

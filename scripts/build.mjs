// Builds what every npm script runs, and only when a source changed since the
// last build (type checking is `npm run typecheck`, part of `npm test`):
//   dist/<same path>.js  every project module, transpiled one file at a time
//                        (the local runner, the CLI commands, tests, chaos, bench);
//   dist/bundle/         the function entries bundled with code splitting: what
//                        package.json `main` names and `npm run package` ships.
// Plain JavaScript on purpose: it runs before anything is compiled.
//
//   node scripts/build.mjs           rebuild dist/ if a source is newer than its last build
//   node scripts/build.mjs --bundle  the same, and dist/bundle/ too (npm run package, bench)
//   node scripts/build.mjs --force   rebuild both regardless (npm run build)
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DIST = join(ROOT, "dist");

/** Folders whose TypeScript runs from dist/ (tsconfig.json's include, plus the bench). */
const SOURCE_DIRS = ["functions", "shared", "cli", "test/simulator", "test/support", "test/chaos", "bench"];
/** Files that change what is built without being modules of it. */
const BUILD_INPUTS = ["package.json", "package-lock.json", "tsconfig.json", "scripts/build.mjs"];
/** Vitest's own files are never run from dist/. */
const NOT_BUILT = (path) => path.endsWith(".test.ts") || path === "test/support/global-setup.ts";

/** Node 20 runs it locally, Node 22 in Azure. */
const TARGET = "node20";

/**
 * Bundled entries are ES modules; CommonJS dependencies inside them call
 * require(), which an ES module lacks: the banner gives them one. The worker
 * provides @azure/functions-core at run time, so it stays a real require.
 */
const BUNDLE_BANNER = 'import { createRequire as __cbaCreateRequire } from "node:module"; const require = __cbaCreateRequire(import.meta.url);';

/**
 * What `npm ci --omit=dev` would not install stays out of the bundle: a
 * dependency's optional require() of a package that only a devDependency brought
 * in (follow-redirects → debug) is left to fail at run time, as it does in a
 * production install, instead of shipping dev code.
 */
function devOnlyPackagesStayOut() {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8"));
  const installedAt = (path) => /(node_modules\/(?:.*\/node_modules\/)?(?:@[^/]+\/)?[^/]+)\//.exec(path.split("\\").join("/"))?.[1];
  return {
    name: "dev-only-packages-stay-out",
    setup(build) {
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === "resolving" || args.path.startsWith("node:")) return undefined;
        const resolved = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: "resolving" });
        const at = resolved.path ? installedAt(relative(ROOT, resolved.path)) : undefined;
        return at && lock.packages[at]?.dev === true ? { path: args.path, external: true } : undefined;
      });
    },
  };
}

/** Loaded only when something is built: the up-to-date check is most runs, and should cost nothing. */
const esbuild = () => import("esbuild");

function walk(dir) {
  const full = join(ROOT, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return walk(path);
    return entry.name.endsWith(".ts") && !NOT_BUILT(path) ? [path] : [];
  });
}

export function buildSources() {
  return SOURCE_DIRS.flatMap(walk).sort();
}

/** Why `output` needs building, or undefined when it is current. */
function staleReason(output, sources, fingerprint) {
  if (!existsSync(output.stamp)) return "no previous build";
  const stamp = statSync(output.stamp);
  if (readFileSync(output.stamp, "utf8") !== fingerprint) return "the set of source files changed";
  const newer = [...sources, ...BUILD_INPUTS].filter((path) => existsSync(join(ROOT, path)) && statSync(join(ROOT, path)).mtimeMs > stamp.mtimeMs);
  if (newer.length === 0) return undefined;
  return newer.length === 1 ? `${newer[0]} changed` : `${newer[0]} and ${newer.length - 1} more changed`;
}

/** Every project module, one file each: what the CLI commands, tests, chaos and bench run. */
const TRANSPILED = {
  stamp: join(DIST, ".build-stamp"),
  describe: (sources) => `transpiles ${sources.length} TypeScript files into dist/`,
  // After the build: a removed source must not leave its old output behind (the local runner loads every
  // dist/functions/*.js). Current files are overwritten in place, so a command running meanwhile never finds one missing.
  clean: (sources) => {
    const current = new Set(sources.flatMap((path) => [path.replace(/\.ts$/, ".js"), path.replace(/\.ts$/, ".js.map")]));
    for (const dir of SOURCE_DIRS) {
      for (const file of existsSync(join(DIST, dir)) ? readdirSync(join(DIST, dir), { recursive: true }) : []) {
        const path = `${dir}/${String(file).split("\\").join("/")}`;
        if (/\.js(\.map)?$/.test(path) && !current.has(path)) rmSync(join(DIST, path), { force: true });
      }
    }
  },
  run: async (sources) =>
    (await esbuild()).build({
      entryPoints: sources.map((path) => join(ROOT, path)),
      outdir: DIST,
      outbase: ROOT,
      format: "esm",
      platform: "node",
      target: TARGET,
      sourcemap: true,
      logLevel: "warning",
    }),
};

/** The function entries bundled with code splitting: what package.json `main` names and `npm run package` ships. */
const BUNDLED = {
  stamp: join(DIST, "bundle", ".build-stamp"),
  describe: (sources) => `bundles ${sources.filter((path) => path.startsWith("functions/")).length} function entries into dist/bundle/`,
  // Chunk names carry content hashes, so old ones are removed first; the bundle is built only by package and bench.
  cleanFirst: () => rmSync(join(DIST, "bundle"), { recursive: true, force: true }),
  run: async (sources) => {
    const result = await (await esbuild()).build({
      entryPoints: sources.filter((path) => path.startsWith("functions/")).map((path) => join(ROOT, path)),
      outdir: join(DIST, "bundle"),
      outbase: ROOT,
      entryNames: "[dir]/[name]",
      chunkNames: "chunks/[name]-[hash]",
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: TARGET,
      minify: true,
      // Stack traces name the TypeScript lines (with --enable-source-maps, which the
      // deployment sets); the sources themselves are not shipped.
      sourcemap: true,
      sourcesContent: false,
      external: ["@azure/functions-core"],
      plugins: [devOnlyPackagesStayOut()],
      banner: { js: BUNDLE_BANNER },
      metafile: true,
      legalComments: "none",
      logLevel: "warning",
    });
    writeFileSync(join(DIST, "bundle", "meta.json"), JSON.stringify(result.metafile));
  },
};

/**
 * Builds what is out of date: the per-file output always, the bundle when asked
 * for (`bundle`). Prints one line when it builds; nothing when all is current.
 */
export async function build({ force = false, bundle = false } = {}) {
  const sources = buildSources();
  const fingerprint = createHash("sha256").update(sources.join("\n")).digest("hex");
  const due = [TRANSPILED, ...(bundle ? [BUNDLED] : [])]
    .map((output) => ({ output, reason: force ? "npm run build" : staleReason(output, sources, fingerprint) }))
    .filter((d) => d.reason !== undefined);
  if (due.length === 0) return false;
  process.stderr.write(`build (${due[0].reason}): esbuild ${due.map((d) => d.output.describe(sources)).join(" and ")}\n`);
  await Promise.all(
    due.map(async ({ output }) => {
      output.cleanFirst?.();
      await output.run(sources);
      output.clean?.(sources);
      mkdirSync(dirname(output.stamp), { recursive: true });
      writeFileSync(output.stamp, fingerprint);
    }),
  );
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await build({ force: process.argv.includes("--force"), bundle: process.argv.includes("--bundle") || process.argv.includes("--force") });
}

import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TableClient } from "@azure/data-tables";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { startAzurite, type RunningAzurite } from "../support/azurite.js";

const started: RunningAzurite[] = [];
afterAll(async () => {
  await Promise.all(started.map((a) => a.stop()));
});

function tableClient(azurite: RunningAzurite, table: string): TableClient {
  return TableClient.fromConnectionString(azurite.connectionString, table, { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Waits (bounded) for something outside this process to happen: here, another process to exit. */
async function eventually(condition: () => Promise<boolean>, timeoutInMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutInMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

describe("Azurite harness", () => {
  it("starts on a free loopback port with an explicit connection string that works", async () => {
    const azurite = await startAzurite();
    started.push(azurite);
    expect(azurite.port).toBeGreaterThan(0);
    expect(azurite.tableEndpoint).toBe(`http://127.0.0.1:${azurite.port}/devstoreaccount1`);
    expect(azurite.connectionString).toContain("AccountName=devstoreaccount1;");
    expect(azurite.connectionString).toContain(`TableEndpoint=http://127.0.0.1:${azurite.port}/devstoreaccount1;`);

    const client = tableClient(azurite, "harness");
    await client.createTable();
    await client.createEntity({ partitionKey: "p", rowKey: "r", value: 1 });
    expect((await client.getEntity<{ value: number }>("p", "r")).value).toBe(1);
  });

  it("two instances run side by side on different ports", async () => {
    const [a, b] = await Promise.all([startAzurite(), startAzurite()]);
    started.push(a, b);
    expect(a.port).not.toBe(b.port);
    await Promise.all([tableClient(a, "one").createTable(), tableClient(b, "two").createTable()]);
  });

  it("restart keeps the port and loses the in-memory data", async () => {
    const azurite = await startAzurite();
    started.push(azurite);
    const client = tableClient(azurite, "restarted");
    await client.createTable();
    await client.createEntity({ partitionKey: "p", rowKey: "r" });

    const port = azurite.port;
    await azurite.restart();
    expect(azurite.port).toBe(port);
    const lost = await client.getEntity("p", "r").catch((err: unknown) => err);
    expect(lost).toMatchObject({ statusCode: 404 });

    await client.createTable();
    await client.createEntity({ partitionKey: "p", rowKey: "again" });
  });

  it("stop closes the port and is idempotent", async () => {
    const azurite = await startAzurite();
    expect(await accepts(azurite.port)).toBe(true);
    await azurite.stop();
    expect(await accepts(azurite.port)).toBe(false);
    await azurite.stop();
    const failure = await tableClient(azurite, "stopped").createTable().catch((err: unknown) => err);
    expect(failure).toMatchObject({ code: "ECONNREFUSED" });
  });

  it("Azurite does not outlive a parent process that is killed outright", async () => {
    // The harness compiled as it is in the demo, run by a separate node process we can SIGKILL.
    const dir = await mkdtemp(join(tmpdir(), "azurite-harness-"));
    try {
      const source = await readFile(new URL("../support/azurite.ts", import.meta.url), "utf8");
      const compiled = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      await writeFile(join(dir, "azurite.mjs"), compiled);
      // The harness finds the azurite package next to itself.
      await symlink(new URL("../../node_modules", import.meta.url).pathname, join(dir, "node_modules"), "dir");
      await writeFile(
        join(dir, "parent.mjs"),
        'import { startAzurite } from "./azurite.mjs";\nconst a = await startAzurite();\nconsole.log(`PORT ${a.port}`);\nsetInterval(() => {}, 1000);\n',
      );

      const parent = spawn(process.execPath, [join(dir, "parent.mjs")], { stdio: ["ignore", "pipe", "inherit"] });
      const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        parent.stdout.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const match = /PORT (\d+)/.exec(out);
          if (match) resolve(Number(match[1]));
        });
        parent.once("exit", (code) => reject(new Error(`parent exited early (${code})`)));
      });
      expect(await accepts(port)).toBe(true);

      const exited = new Promise<void>((resolve) => parent.once("exit", () => resolve()));
      parent.kill("SIGKILL");
      await exited;
      expect(await eventually(async () => !(await accepts(port)), 10_000)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

import type { TestProject } from "vitest/node";
import { startAzurite } from "./azurite.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Connection string of the one Azurite (Table Storage) the whole suite shares; isolate with a unique table prefix. */
    azuriteConnectionString: string;
  }
}

/** Starts what the whole suite shares: one in-memory Azurite Table service. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide("azuriteConnectionString", azurite.connectionString);
  return async () => {
    await azurite.stop();
  };
}

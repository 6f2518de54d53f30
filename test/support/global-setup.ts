import type { TestProject } from "vitest/node";

/**
 * Starts what the whole suite shares. Azurite (Table Storage) is added by the
 * ledger tests' setup; see test/support/azurite.ts.
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  return async () => {};
}

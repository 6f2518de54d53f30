import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { isEntryPoint } from "../../cli/operator-io.js";

describe("a CLI script knows it was started", () => {
  const argv1 = process.argv[1];
  afterEach(() => {
    process.argv[1] = argv1!;
  });

  it("from a folder whose name has a space or a percent sign (its module URL encodes them)", () => {
    for (const script of ["/home/a user/cloud backup alerts/dist/cli/status.js", "/srv/100%/dist/cli/poll.js"]) {
      process.argv[1] = script;
      expect(isEntryPoint(pathToFileURL(script).href), script).toBe(true);
      expect(isEntryPoint(pathToFileURL("/elsewhere/dist/cli/status.js").href)).toBe(false);
    }
  });

  it("when started by a relative path", () => {
    process.argv[1] = "dist/cli/status.js";
    expect(isEntryPoint(pathToFileURL(`${process.cwd()}/dist/cli/status.js`).href)).toBe(true);
  });
});

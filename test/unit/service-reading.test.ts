import { describe, expect, it } from "vitest";
import { describeServiceReading, readServiceReading } from "../../shared/avepoint/service-reading.js";
import { readEnvelopeStatus } from "../../shared/avepoint/normalize.js";

describe("what the client learned, as kept in the checkpoint", () => {
  it("reads a stored reading and drops what it does not recognise (learned again)", () => {
    expect(readServiceReading({ jobsRevision: "2025-04", licenseRevision: "seed", queryTimes: "ticks", pageBase: 1, runningListed: true })).toEqual({
      jobsRevision: "2025-04",
      licenseRevision: "seed",
      queryTimes: "ticks",
      pageBase: 1,
      runningListed: true,
    });
    // A revision without a license path cannot be the license revision; unknown names, encodings and bases are not known.
    expect(readServiceReading({ jobsRevision: "2030-01", licenseRevision: "2025-04", queryTimes: "fortnights", pageBase: 2, runningListed: "yes" })).toEqual({});
    expect(readServiceReading(null)).toEqual({});
    expect(readServiceReading("current")).toEqual({});
  });

  it("says in one line what is known and what is not yet", () => {
    expect(describeServiceReading({ jobsRevision: "current", licenseRevision: "current", queryTimes: "date", pageBase: 1, runningListed: true })).toBe(
      "jobs on the current revision (/backup/m365/cloudbackupjobs); license on the current revision; query times as dates only; PageIndex from 1; running jobs listed",
    );
    expect(describeServiceReading({})).toBe(
      "jobs path not yet found; license path not yet found; query time encoding not yet learned; PageIndex base not yet seen; running jobs not yet seen listed (window reaches back over JOB_MAX_RUNTIME_HOURS)",
    );
  });
});

describe("envelope status of an HTTP 200", () => {
  it.each([
    ['{"statusCode":503,"message":"busy","data":null}', 503],
    ['{"StatusCode":"429","Data":null}', 429],
    ['{"status_code":500}', 500],
    ['{"statusCode":200,"data":[]}', undefined],
    ['{"jobs":[],"note":"statusCode: 503 in a text"}', undefined],
    ['{"data":[{"statusCode":503}]}', undefined],
    ["not json statusCode 503", undefined],
  ])("%s → %s", (text, status) => {
    expect(readEnvelopeStatus(text)).toBe(status);
  });
});

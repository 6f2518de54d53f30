import { describe, expect, it } from "vitest";
import { avePointMinimum, pagesFor, postsMinimum, ratio, tableMinimum } from "../../bench/minimum.js";
import { tableRequestKind } from "../../bench/measure.js";

describe("bench minimum: pages", () => {
  it.each([
    [0, 100, 1],
    [1, 100, 1],
    [50, 100, 1],
    [100, 100, 1],
    [101, 100, 2],
    [10_000, 100, 100],
    [10_000, 1000, 10],
    [10_001, 1000, 11],
  ])("%i items at page size %i need %i request(s)", (items, pageSize, pages) => {
    expect(pagesFor(items, pageSize)).toBe(pages);
  });

  it("refuses sizes that are not whole numbers", () => {
    expect(() => pagesFor(10, 0)).toThrow(RangeError);
    expect(() => pagesFor(-1, 10)).toThrow(RangeError);
    expect(() => pagesFor(1.5, 10)).toThrow(RangeError);
  });
});

describe("bench minimum: AvePoint requests", () => {
  it("a quiet steady-state cycle whose window fits one page is one request", () => {
    expect(avePointMinimum({ windowJobs: 50, pageSize: 100, firstCycle: false })).toEqual({ token: 0, jobsPages: 1, serviceListings: 0, total: 1 });
  });

  it("a first cycle over 10,000 jobs is one token plus ceil(10,000 / page size) pages", () => {
    expect(avePointMinimum({ windowJobs: 10_000, pageSize: 100, firstCycle: true }).total).toBe(101);
    expect(avePointMinimum({ windowJobs: 10_000, pageSize: 1000, firstCycle: true }).total).toBe(11);
  });

  it("adds the pages of each service that must be listed", () => {
    const m = avePointMinimum({ windowJobs: 550, pageSize: 100, firstCycle: false, serviceJobs: [129, 129, 129, 129] });
    expect(m).toEqual({ token: 0, jobsPages: 6, serviceListings: 8, total: 14 });
  });
});

describe("bench minimum: Table Storage round trips", () => {
  it("a quiet steady-state cycle is checkpoint read + pending query + checkpoint write", () => {
    expect(tableMinimum({ firstInProcess: false, candidates: 0, admitted: 0, pending: 0, delivered: 0 }).total).toBe(3);
  });

  it("a process's first cycle also makes the two tables", () => {
    expect(tableMinimum({ firstInProcess: true, candidates: 0, admitted: 0, pending: 0, delivered: 0 }).total).toBe(5);
  });

  it("500 alerts: known query, 5 insert transactions, one claim and one mark each", () => {
    const m = tableMinimum({ firstInProcess: false, candidates: 500, admitted: 500, pending: 500, delivered: 500 });
    expect(m).toMatchObject({ checkpointRead: 1, knownQuery: 1, admitBatches: 5, pendingQuery: 1, claims: 500, marks: 500, checkpointWrite: 1 });
    expect(m.total).toBe(1009);
  });

  it("queries page at 1000 rows and transactions hold 100", () => {
    const m = tableMinimum({ firstInProcess: false, candidates: 1, knownRows: 2500, admitted: 101, pending: 1001, delivered: 0 });
    expect(m).toMatchObject({ knownQuery: 3, admitBatches: 2, pendingQuery: 2 });
  });
});

describe("bench minimum: posts and ratios", () => {
  it("is ceil(bytes / 20,000)", () => {
    expect(postsMinimum(0)).toBe(0);
    expect(postsMinimum(20_000)).toBe(1);
    expect(postsMinimum(20_001)).toBe(2);
    expect(postsMinimum(174_207)).toBe(9);
    expect(postsMinimum(100, 30)).toBe(4);
  });

  it("ratio is measured / minimum, and undefined against a zero minimum unless both are zero", () => {
    expect(ratio(4, 3)).toBeCloseTo(1.333, 3);
    expect(ratio(0, 0)).toBe(1);
    expect(ratio(2, 0)).toBeNull();
  });
});

describe("bench: Table Storage request kinds", () => {
  it.each([
    ["POST", "/devstoreaccount1/Tables", "create table"],
    ["GET", "/devstoreaccount1/cbacheckpoints(PartitionKey='t',RowKey='jobs')", "point read"],
    ["GET", "/devstoreaccount1/cbaalerts()", "query"],
    ["POST", "/devstoreaccount1/$batch", "transaction"],
    ["POST", "/devstoreaccount1/cbacheckpoints", "insert"],
    ["PUT", "/devstoreaccount1/cbaalerts(PartitionKey='t',RowKey='f~teams')", "conditional update"],
  ])("%s %s is a %s", (method, path, kind) => {
    expect(tableRequestKind(method, path)).toBe(kind);
  });
});

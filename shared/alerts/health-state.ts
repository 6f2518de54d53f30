import { z } from "zod";

/**
 * The backup-health rules' memory, kept in the jobs checkpoint's state under
 * `health`: plain JSON, read tolerantly (an unreadable state starts afresh
 * with a new generation, so its notices cannot collide with earlier ones).
 */

/** One rule's episodes for one subject: an episode opens when it fires and closes when it resolves. */
export interface Episode {
  /** Episodes so far (the current one when open); 0 = never fired. */
  episode: number;
  open: boolean;
  /** ISO time the open episode fired; null when closed. */
  since: string | null;
}

/** One backup run of a service, for the skipped-objects trend. */
interface RunRecord {
  id: string;
  /** ISO finish time. */
  finish: string | null;
  skipped: number;
}

export interface ServiceHealthState {
  /** ISO finish time of the newest successful backup known; null = none found. */
  lastSuccessAt: string | null;
  lastSuccessJobId: string | null;
  /** ISO start time of that job: where the next per-service listing starts. */
  lastSuccessStart: string | null;
  /** ISO end of the last per-service listing; null = never listed. */
  listedAt: string | null;
  /** Missed backup by recovery-point age. */
  age: Episode;
  /** Missed scheduled start; `slot` is the ISO scheduled time that was missed. */
  schedule: Episode & { slot: string | null };
  /** Newest runs last, at most MAX_RUNS. */
  runs: RunRecord[];
  /** Skipped-objects growth; `baseline` is the skipped count before the growth began. */
  skipped: Episode & { baseline: number };
}

export interface StuckJobState {
  startTime: string;
  /** ISO time the warning was made. */
  since: string;
  /** ObjectType service, when it was learned. */
  service?: number;
}

interface ScheduleState {
  /** ISO time the frequency was last read; null = never. */
  fetchedAt: string | null;
  /** Scheduled starts per ObjectType service (ISO, oldest first), not yet checked. */
  slots: Record<string, string[]>;
  /** ISO: do not call before this (after a failure or a missing permission). */
  retryAt: string | null;
}

export interface UnusualServiceState extends Episode {
  ransomware: number;
  unusual: number;
  /** Notices in the current episode. */
  notices: number;
}

interface UnusualState {
  /** ISO time of the last successful reading; null = never. */
  checkedAt: string | null;
  retryAt: string | null;
  /** Per API serviceType. */
  services: Record<string, UnusualServiceState>;
}

export interface HealthState {
  version: 1;
  /** Epoch ms when this state lineage began; part of every episode identity. */
  generation: number | null;
  /** ISO time of the last WATCH_SERVICES=auto discovery; null = never. */
  discoveredAt: string | null;
  /** Per ObjectType service (the watched ones, and any with schedule data). */
  services: Record<string, ServiceHealthState>;
  /** Jobs that were warned about as stuck, by job id. */
  stuck: Record<string, StuckJobState>;
  schedule: ScheduleState;
  unusual: UnusualState;
}

export const MAX_RUNS = 20;

const iso = z.iso.datetime();
const count = z.number().int().min(0);
const episode = z.object({ episode: count, open: z.boolean(), since: iso.nullable() });
const serviceSchema = z.object({
  lastSuccessAt: iso.nullable(),
  lastSuccessJobId: z.string().nullable(),
  lastSuccessStart: iso.nullable(),
  listedAt: iso.nullable(),
  age: episode,
  schedule: episode.extend({ slot: iso.nullable() }),
  runs: z.array(z.object({ id: z.string(), finish: iso.nullable(), skipped: count })).max(MAX_RUNS),
  skipped: episode.extend({ baseline: count }),
});
const serviceKey = z.string().regex(/^\d{1,3}$/);
const stateSchema = z.object({
  version: z.literal(1),
  generation: z.number().int().nullable(),
  discoveredAt: iso.nullable(),
  services: z.record(serviceKey, serviceSchema),
  stuck: z.record(z.string(), z.object({ startTime: iso, since: iso, service: z.number().int().min(1).max(12).optional() })),
  schedule: z.object({ fetchedAt: iso.nullable(), slots: z.record(serviceKey, z.array(iso)), retryAt: iso.nullable() }),
  unusual: z.object({
    checkedAt: iso.nullable(),
    retryAt: iso.nullable(),
    services: z.record(serviceKey, episode.extend({ ransomware: count, unusual: count, notices: count })),
  }),
});

function closedEpisode(): Episode {
  return { episode: 0, open: false, since: null };
}

export function freshServiceHealth(): ServiceHealthState {
  return {
    lastSuccessAt: null,
    lastSuccessJobId: null,
    lastSuccessStart: null,
    listedAt: null,
    age: closedEpisode(),
    schedule: { ...closedEpisode(), slot: null },
    runs: [],
    skipped: { ...closedEpisode(), baseline: 0 },
  };
}

function freshHealthState(): HealthState {
  return {
    version: 1,
    generation: null,
    discoveredAt: null,
    services: {},
    stuck: {},
    schedule: { fetchedAt: null, slots: {}, retryAt: null },
    unusual: { checkedAt: null, retryAt: null, services: {} },
  };
}

export interface ParsedHealthState {
  state: HealthState;
  /** Set when something was stored but could not be read (paths and messages only). */
  problem?: string;
}

/** Reads the stored state; nothing stored gives a fresh one, an unreadable one a fresh one with the problem. Never throws. */
export function parseHealthState(json: unknown): ParsedHealthState {
  if (json === undefined || json === null) return { state: freshHealthState() };
  const parsed = stateSchema.safeParse(json);
  if (parsed.success) return { state: structuredClone(parsed.data) as HealthState };
  const where = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  return { state: freshHealthState(), problem: `stored health state is invalid (${where})` };
}

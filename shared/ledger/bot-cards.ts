import { odata, type TableClient } from "@azure/data-tables";
import type { Alert, Severity } from "../alerts/model.js";
import { DEFAULT_TEAMS_BOT_RECEIVER } from "../config/routing-file.js";
import { decodeAlert, encodeAlert } from "./alert-codec.js";
import { tenantPartitionKey } from "./keys.js";
import { assertEntityFits, joinLongText, splitLongText } from "./long-text.js";
import { incidentKeyOf, type BotCardStatus } from "../alerts/incident.js";
import { conversationKey, isWriteConflict, orUndefinedWhenAbsent, withTable } from "./bot-tables.js";

/**
 * One alert card the bot posted in one conversation: its activity id (to
 * update it in place), the alert (to draw it again), and what people did with
 * it. This is where the bot keeps activity ids rather than the ledger's one
 * `messageId` per delivery: one delivery fans out to every conversation the
 * app is installed in, each with its own activity id.
 */
export type CardState = "open" | "acknowledged" | "resolved";

export interface PostedCard {
  tenant: string;
  fingerprint: string;
  conversationId: string;
  activityId: string;
  incidentKey: string;
  severity: Severity;
  alert: Alert;
  postedAt: Date;
  /** The bot receiver that posted it (rows from before this column: `teams-bot`). */
  receiver: string;
  state: CardState;
  status: BotCardStatus;
  /**
   * Not to be escalated (again): its escalation was admitted, or the card is
   * itself an escalation.
   */
  escalated: boolean;
  etag: string;
}


export class CardStore {
  readonly #table: TableClient;

  constructor(table: TableClient) {
    this.#table = table;
  }

  /** Records a freshly posted card. */
  async record(card: Omit<PostedCard, "etag" | "state" | "status" | "escalated" | "incidentKey" | "severity">): Promise<void> {
    const full: PostedCard = {
      ...card,
      incidentKey: incidentKeyOf(card.alert),
      severity: card.alert.severity,
      state: "open",
      status: {},
      escalated: card.alert.escalation !== undefined,
      etag: "",
    };
    const entity = toEntity(full);
    await withTable(this.#table, "recording a posted card", () => this.#table.upsertEntity(entity, "Replace"));
  }

  async get(tenant: string, fingerprint: string, conversationId: string): Promise<PostedCard | undefined> {
    const entity = await withTable(this.#table, "reading a posted card", () =>
      orUndefinedWhenAbsent(this.#table.getEntity<Record<string, unknown>>(tenantPartitionKey(tenant), rowKeyOf(fingerprint, conversationId))),
    );
    return entity ? fromEntity(entity) : undefined;
  }

  /** Cards of the incident not resolved yet, in every conversation: one partition query. */
  async openForIncident(tenant: string, incidentKey: string): Promise<PostedCard[]> {
    const partitionKey = tenantPartitionKey(tenant);
    return this.#query(odata`PartitionKey eq ${partitionKey} and incidentKey eq ${incidentKey} and state ne 'resolved'`, "reading an incident's cards");
  }

  /** Every conversation's card of one alert: one partition query. */
  async forAlert(tenant: string, fingerprint: string): Promise<PostedCard[]> {
    const partitionKey = tenantPartitionKey(tenant);
    return this.#query(odata`PartitionKey eq ${partitionKey} and fingerprint eq ${fingerprint}`, "reading an alert's cards");
  }

  /** Critical cards nobody acknowledged, posted at or before `postedBefore`, not escalated yet. */
  async overdue(tenant: string, postedBefore: Date): Promise<PostedCard[]> {
    const partitionKey = tenantPartitionKey(tenant);
    return this.#query(
      odata`PartitionKey eq ${partitionKey} and state eq 'open' and severity eq 'critical' and escalated eq false and postedAt le ${postedBefore}`,
      "reading unacknowledged cards",
    );
  }

  /**
   * Writes the card's new state If-Match its etag. Returns the updated card,
   * or undefined when someone else changed it first (re-read and decide again).
   */
  async update(card: PostedCard, change: { state?: CardState; status?: BotCardStatus; escalated?: boolean }): Promise<PostedCard | undefined> {
    const next: PostedCard = { ...card, ...change };
    return withTable(this.#table, "updating a posted card", async () => {
      try {
        const response = await this.#table.updateEntity(toEntity(next), "Replace", { etag: card.etag });
        return { ...next, etag: response.etag ?? "" };
      } catch (err) {
        if (isWriteConflict(err)) return undefined;
        throw err;
      }
    });
  }

  async #query(filter: string, operation: string): Promise<PostedCard[]> {
    return withTable(this.#table, operation, async () => {
      const out: PostedCard[] = [];
      for await (const entity of this.#table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) out.push(fromEntity(entity));
      return out.sort((a, b) => a.postedAt.getTime() - b.postedAt.getTime());
    });
  }
}

function rowKeyOf(fingerprint: string, conversationId: string): string {
  return `${fingerprint}~${conversationKey(conversationId)}`;
}

type Entity = Record<string, unknown> & { partitionKey: string; rowKey: string };

function toEntity(card: PostedCard): Entity {
  const entity: Entity = {
    partitionKey: tenantPartitionKey(card.tenant),
    rowKey: rowKeyOf(card.fingerprint, card.conversationId),
    tenant: card.tenant,
    fingerprint: card.fingerprint,
    conversationId: card.conversationId,
    activityId: card.activityId,
    incidentKey: card.incidentKey,
    severity: card.severity,
    postedAt: card.postedAt,
    receiver: card.receiver,
    state: card.state,
    escalated: card.escalated,
    statusJson: JSON.stringify(card.status),
    ...splitLongText("alertJson", encodeAlert(card.alert)),
  };
  assertEntityFits(entity, `The posted card of alert ${card.fingerprint}`);
  return entity;
}

function fromEntity(entity: Record<string, unknown>): PostedCard {
  const status = JSON.parse(String(entity["statusJson"] ?? "{}"), (key, value: unknown) =>
    (key === "at" || key === "until") && typeof value === "string" ? new Date(value) : value,
  ) as BotCardStatus;
  return {
    tenant: String(entity["tenant"]),
    fingerprint: String(entity["fingerprint"]),
    conversationId: String(entity["conversationId"]),
    activityId: String(entity["activityId"]),
    incidentKey: String(entity["incidentKey"]),
    severity: String(entity["severity"]) as Severity,
    alert: decodeAlert(joinLongText("alertJson", entity, `card ${String(entity["rowKey"])}`)),
    postedAt: entity["postedAt"] instanceof Date ? entity["postedAt"] : new Date(String(entity["postedAt"])),
    receiver: typeof entity["receiver"] === "string" ? entity["receiver"] : DEFAULT_TEAMS_BOT_RECEIVER, // rows written before cards kept their receiver
    state: String(entity["state"]) as CardState,
    status,
    escalated: entity["escalated"] === true,
    etag: String(entity["etag"] ?? ""),
  };
}

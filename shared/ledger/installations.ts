import { odata, type TableClient } from "@azure/data-tables";
import { tenantPartitionKey } from "./keys.js";
import { conversationKey, orUndefinedWhenAbsent, withTable } from "./bot-tables.js";

/**
 * Where the app is installed: one conversation reference per team channel,
 * group chat or personal chat, stored when the app is installed there or
 * first hears from it, removed when it is uninstalled or the Bot Connector
 * answers 403/404 for it. Proactive alerts go to every stored conversation.
 */

type ConversationType = "channel" | "groupChat" | "personal";

/** The parts of a Bot Framework conversation reference a proactive send needs; plain JSON. */
export interface StoredConversationReference {
  /** Where this conversation's Bot Connector lives; differs per region and can change. */
  serviceUrl: string;
  channelId: string;
  conversation: { id: string; conversationType?: string; tenantId?: string; isGroup?: boolean; name?: string };
  bot: { id: string; name?: string };
}

export interface Installation {
  conversationId: string;
  conversationType: ConversationType;
  reference: StoredConversationReference;
  installedAt: Date;
}

/**
 * The conversation itself, without the thread: in a team channel Teams sends
 * every message and card action as `19:…@thread.tacv2;messageid=<root post>`,
 * while the app was installed (and the cards are stored) under the bare
 * channel id. Every id that keys an installation or a card goes through here.
 */
export function baseConversationId(id: string): string {
  const thread = id.indexOf(";messageid=");
  return thread < 0 ? id : id.slice(0, thread);
}

function conversationTypeOf(reference: StoredConversationReference): ConversationType {
  const type = reference.conversation.conversationType;
  if (type === "channel" || type === "groupChat" || type === "personal") return type;
  return reference.conversation.isGroup ? "groupChat" : "personal";
}

export class InstallationStore {
  readonly #table: TableClient;

  constructor(table: TableClient) {
    this.#table = table;
  }

  /** Stores (or refreshes: the serviceUrl can move) the conversation's reference. */
  async remember(tenant: string, reference: StoredConversationReference, now: Date): Promise<void> {
    const entity = {
      partitionKey: tenantPartitionKey(tenant),
      rowKey: conversationKey(reference.conversation.id),
      conversationId: reference.conversation.id,
      conversationType: conversationTypeOf(reference),
      serviceUrl: reference.serviceUrl,
      referenceJson: JSON.stringify(reference),
      installedAt: now,
    };
    const existing = await this.get(tenant, reference.conversation.id);
    if (existing && existing.reference.serviceUrl === reference.serviceUrl) return;
    if (existing) entity.installedAt = existing.installedAt;
    await withTable(this.#table, "storing a Teams conversation", () => this.#table.upsertEntity(entity, "Replace"));
  }

  async get(tenant: string, conversationId: string): Promise<Installation | undefined> {
    const entity = await withTable(this.#table, "reading a Teams conversation", () =>
      orUndefinedWhenAbsent(this.#table.getEntity<Record<string, unknown>>(tenantPartitionKey(tenant), conversationKey(conversationId))),
    );
    return entity ? installationOf(entity) : undefined;
  }

  /** Forgets the conversation (uninstalled, or the connector refused it); absent is fine. */
  async forget(tenant: string, conversationId: string): Promise<void> {
    await withTable(this.#table, "removing a Teams conversation", () =>
      orUndefinedWhenAbsent(this.#table.deleteEntity(tenantPartitionKey(tenant), conversationKey(conversationId))),
    );
  }

  /** Every conversation the app is installed in: one partition query. */
  async list(tenant: string): Promise<Installation[]> {
    const partitionKey = tenantPartitionKey(tenant);
    return withTable(this.#table, "listing Teams conversations", async () => {
      const out: Installation[] = [];
      const threads: string[] = [];
      for await (const entity of this.#table.listEntities<Record<string, unknown>>({ queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` } })) {
        const installation = installationOf(entity);
        // A channel thread stored by an older release (an @mention in a reply): it would get every alert a second time.
        if (installation && baseConversationId(installation.conversationId) !== installation.conversationId) threads.push(installation.conversationId);
        else if (installation) out.push(installation);
      }
      for (const thread of threads) await this.forget(tenant, thread);
      return out.sort((a, b) => a.installedAt.getTime() - b.installedAt.getTime() || a.conversationId.localeCompare(b.conversationId));
    });
  }
}

function installationOf(entity: Record<string, unknown>): Installation | undefined {
  try {
    const reference = JSON.parse(String(entity["referenceJson"])) as StoredConversationReference;
    if (typeof reference.serviceUrl !== "string" || typeof reference.conversation?.id !== "string") return undefined;
    const installedAt = entity["installedAt"] instanceof Date ? entity["installedAt"] : new Date(String(entity["installedAt"]));
    return { conversationId: reference.conversation.id, conversationType: conversationTypeOf(reference), reference, installedAt };
  } catch {
    return undefined;
  }
}

import functions from "@azure/functions";
import { afterEach, describe, expect, inject, it, vi } from "vitest";

/**
 * The registered HTTP function, invoked in-process as the Functions host would,
 * with the bot configured for real: Bot Framework authentication is on, so an
 * activity without the Bot Framework's signed token is refused.
 */
const { HttpRequest, InvocationContext } = functions;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("POST /api/messages", () => {
  it("is registered anonymous (the Bot Framework JWT is the authentication) and refuses an unsigned activity with 401", async () => {
    vi.stubEnv("AVEPOINT_CLIENT_ID", "avepoint-client");
    vi.stubEnv("AVEPOINT_CLIENT_SECRET", "avepoint-secret");
    vi.stubEnv("ALERTS_STORAGE", inject("azuriteConnectionString"));
    vi.stubEnv("ALERTS_TABLE_PREFIX", "bothttp");
    vi.stubEnv("TEAMS_BOT_APP_ID", "11111111-2222-3333-4444-555555555555");
    vi.stubEnv("TEAMS_BOT_APP_PASSWORD", "bot-password-never-shown");
    vi.stubEnv("TEAMS_BOT_TENANT_ID", "8a6f3b2e-4c1d-4e5f-9a7b-0c1d2e3f4a5b");
    const { http, messages } = await import("../../functions/messages.js");
    expect(http.options).toMatchObject({ methods: ["POST"], authLevel: "anonymous", route: "messages" });

    const logged: string[] = [];
    const context = new InvocationContext({ functionName: "messages", logHandler: (_level, ...args) => logged.push(args.join(" ")) });
    const request = new HttpRequest({
      method: "POST",
      url: "https://func.example/api/messages",
      headers: { "content-type": "application/json" },
      body: {
        string: JSON.stringify({
          type: "message",
          id: "1",
          text: "hello",
          channelId: "msteams",
          serviceUrl: "http://127.0.0.1:9/",
          from: { id: "29:mallory" },
          recipient: { id: "28:bot" },
          conversation: { id: "a:1" },
        }),
      },
    });
    const response = await messages(request, context);
    expect(response.status).toBe(401);
    expect(JSON.stringify(response)).not.toContain("bot-password-never-shown");
    expect(logged.join("\n")).not.toContain("bot-password-never-shown");
  });
});

import type { GetTokenOptions, TokenCredential } from "@azure/identity";

type IdentityModule = typeof import("@azure/identity");

/**
 * A TokenCredential that loads `@azure/identity` on its first token request.
 * The library costs a few hundred milliseconds to import; most configurations
 * (connection strings, a webhook) never ask for a token, so no function entry
 * should pay for it on a cold start.
 */
export interface LazyCredential extends TokenCredential {
  /** The credential itself, once the library is loaded. */
  resolve(): Promise<TokenCredential>;
}

export function lazyCredential(build: (identity: IdentityModule) => TokenCredential): LazyCredential {
  let credential: Promise<TokenCredential> | undefined;
  const resolve = () => (credential ??= import("@azure/identity").then(build));
  return {
    resolve,
    async getToken(scopes: string | string[], options?: GetTokenOptions) {
      return (await resolve()).getToken(scopes, options);
    },
  };
}

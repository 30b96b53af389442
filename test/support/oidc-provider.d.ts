// The few parts of oidc-provider (plain JS, no bundled types) that test/support/oidc.ts uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface ClientModel {
    readonly clientId: string;
    backchannelLogout(sub: string, sid: string): Promise<void>;
  }
  interface ResourceServerInstance {
    readonly audience?: string;
  }
  interface AccessTokenInstance {
    iat?: number;
    exp?: number;
    save(): Promise<string>;
  }
  interface GrantInstance {
    addOIDCScope(scope: string): void;
    addResourceScope(resource: string, scope: string): void;
    save(): Promise<string>;
  }
  interface InteractionDetails {
    readonly prompt: { readonly name: string; readonly details: Record<string, unknown> };
    readonly params: Record<string, unknown>;
    readonly session?: { readonly accountId: string };
    readonly grantId?: string;
  }
  class Provider {
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    readonly Grant: (new (data: { accountId: string; clientId: string }) => GrantInstance) & { find(id: string): Promise<GrantInstance | undefined> };
    constructor(issuer: string, configuration: Record<string, unknown>);
    readonly issuer: string;
    proxy: boolean;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    readonly Client: { find(id: string): Promise<ClientModel | undefined> };
    readonly ResourceServer: new (identifier: string, data: Record<string, unknown>) => ResourceServerInstance;
    readonly AccessToken: new (data: Record<string, unknown>) => AccessTokenInstance;
  }
  export default Provider;
  export { Provider };
}

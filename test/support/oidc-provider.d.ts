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
    save(): Promise<string>;
  }
  class Provider {
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

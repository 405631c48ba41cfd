// A real OpenID Connect provider for the tests: panva/oidc-provider (OpenID Certified),
// on loopback, with its built-in development sign-in pages (any password is accepted:
// checking passwords is the provider's business, not the controller's).
//
// Usage: node provider.mjs CONFIG.json
//   CONFIG: {"port": 0, "client": {client_id, client_secret, redirect_uris: [...]},
//            "accounts": {"login": {"name": "...", "groups": ["..."]}}}
// Prints "READY <issuer>" on stdout once it listens.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const issuer = `http://127.0.0.1:${config.port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      ...config.client,
    },
  ],
  // the province's portal: PKCE for every client, S256 only (RFC 9700)
  pkce: { required: () => true, methods: ["S256"] },
  claims: {
    openid: ["sub"],
    profile: ["name", "preferred_username"],
    groups: ["groups"],
  },
  scopes: ["openid", "profile", "groups"],
  cookies: { keys: ["diemcau-test-only-cookie-key"] },
  async findAccount(ctx, id) {
    const account = config.accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: account.name, groups: account.groups };
      },
    };
  },
});
provider.proxy = false;
const server = provider.listen(config.port, "127.0.0.1", () => {
  process.stdout.write(`READY ${issuer}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));

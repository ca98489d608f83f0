// The TypeScript SDK's client doing the MCP OAuth flow against a GuardMesh sidecar, with Dex as the
// authorization server and a pre-registered public client (PKCE).
//
//   node oauth_client.mjs SDK_DIR URL USER REDIRECT_URI CLIENT_ID CALLS_JSON
//
// On the sidecar's 401 the SDK reads the challenge and the Protected Resource Metadata, discovers Dex,
// and hands us the authorization URL; we sign in as USER the way a browser would (posting Dex's password
// form) and give the SDK the code from the redirect. Prints one JSON line: the tools the caller sees, the
// outcome of each call, and the access token's claims (never the token).
const [sdkDir, url, user, redirectUri, clientId, callsJson] = process.argv.slice(2);
const { Client } = await import(`${sdkDir}/dist/esm/client/index.js`);
const { StreamableHTTPClientTransport } = await import(`${sdkDir}/dist/esm/client/streamableHttp.js`);
const { UnauthorizedError } = await import(`${sdkDir}/dist/esm/client/auth.js`);

let authorizationUrl;
const store = {};
const provider = {
  get redirectUrl() { return redirectUri; },
  get clientMetadata() {
    return { client_name: 'guardmesh e2e (TypeScript)', redirect_uris: [redirectUri], grant_types: ['authorization_code'],
      response_types: ['code'], token_endpoint_auth_method: 'none' };
  },
  clientInformation() { return { client_id: clientId, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' }; },
  tokens() { return store.tokens; },
  saveTokens(tokens) { store.tokens = tokens; },
  redirectToAuthorization(url) { authorizationUrl = url; },
  saveCodeVerifier(verifier) { store.verifier = verifier; },
  codeVerifier() { return store.verifier; },
};

async function follow(url, init = {}) {
  return fetch(url, { ...init, redirect: 'manual' });
}

// Sign in at Dex: the authorization request leads to the password form; its answer redirects to us.
async function login(start) {
  let url = start.toString();
  let response = await follow(url);
  for (let i = 0; i < 10 && response.status >= 300 && response.status < 400; i++) {
    url = new URL(response.headers.get('location'), url).toString();
    response = await follow(url);
  }
  const page = await response.text();
  const action = page.match(/<form method="post" action="([^"]+)"/);
  if (!action) throw new Error(`no login form at ${url}`);
  const post = new URL(action[1].replaceAll('&amp;', '&'), url).toString();
  const body = new URLSearchParams({ login: `${user}@example.com`, password: 'password' });
  response = await follow(post, { method: 'POST', body });
  let location = response.headers.get('location');
  for (let i = 0; i < 10 && location; i++) {
    const target = new URL(location, post).toString();
    if (target.startsWith(redirectUri)) return new URL(target).searchParams.get('code');
    response = await follow(target);
    location = response.headers.get('location');
  }
  throw new Error(`login of ${user} did not come back with a code (${response.status})`);
}

async function connect() {
  const client = new Client({ name: 'guardmesh-e2e-ts', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  try {
    await client.connect(transport);
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || !authorizationUrl) throw error;
    await transport.finishAuth(await login(authorizationUrl));
    const again = new Client({ name: 'guardmesh-e2e-ts', version: '1.0.0' });
    await again.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
    return again;
  }
  return client;
}

const client = await connect();
const tools = (await client.listTools()).tools.map((t) => t.name).sort();
const calls = [];
for (const [name, args] of JSON.parse(callsJson)) {
  try {
    calls.push({ ok: await client.callTool({ name, arguments: args }) });
  } catch (error) {
    calls.push({ code: error.code, message: error.message });
  }
}
const payload = JSON.parse(Buffer.from(store.tokens.access_token.split('.')[1], 'base64url').toString());
console.log(JSON.stringify({ tools, calls, claims: payload, authorized: Boolean(authorizationUrl) }));
await client.close();

// A transcript of everything an MCP client can see of a server, made with the TypeScript SDK.
//
//   node transcript.mjs <sdk-esm-dir-url> streamableHttp|sse <url>
//   node transcript.mjs <sdk-esm-dir-url> stdio <command> [args...]
//
// TRANSCRIPT_FORCE_CALLS=a,b also calls tools a and b whether listed or not (see `forced`).
// Prints one JSON object on stdout. The client declares sampling, elicitation and roots, and
// answers those server requests with fixed values, so the server's round trips (sampling,
// elicitation, roots) show up in tool results. Every step records its result or its error: the
// test compares transcripts (direct and through the sidecar), not individual steps.

const [sdk, transport, ...rest] = process.argv.slice(2);
const { Client } = await import(`${sdk}/client/index.js`);
const types = await import(`${sdk}/types.js`);

// Arguments for tools and prompts whose schema has no default that works offline.
const TOOL_ARGS = {
  echo: { message: "hello from the transcript" },
  "get-annotated-message": { messageType: "error", includeImage: true },
  "get-resource-links": { count: 4 },
  "get-resource-reference": { resourceType: "Blob", resourceId: 3 },
  "get-structured-content": { location: "Chicago" },
  "get-sum": { a: 19, b: 23 },
  "gzip-file-as-resource": {
    name: "transcript.txt.gz",
    data: "data:text/plain;base64," + Buffer.from("GuardMesh ".repeat(64)).toString("base64"),
    outputType: "resource",
  },
  "trigger-long-running-operation": { duration: 0.6, steps: 3 },
  "trigger-sampling-request": { prompt: "What is GuardMesh?", maxTokens: 32 },
  "simulate-research-query": { topic: "proxies" },
};
// Tools left out, and why: they would reach the network, or need a client capability we do not declare.
const SKIP_TOOLS = new Set([
  "trigger-url-elicitation", // needs elicitation.url; URL mode is not exercised here
  "trigger-sampling-request-async", // needs tasks.requests.sampling
  "trigger-elicitation-request-async", // needs tasks.requests.elicitation
]);
// Toggles start per-session timers; each is called twice (on, then off) so nothing keeps running.
const TOGGLES = new Set(["toggle-simulated-logging", "toggle-subscriber-updates"]);
const PROMPT_ARGS = {
  "args-prompt": { city: "Lisbon", state: "Estremadura" },
  "completable-prompt": { department: "Engineering", name: "Alice" },
  "resource-prompt": { resourceType: "Text", resourceId: "2" },
};
const ROOTS = [{ uri: "file:///srv/guardmesh-e2e", name: "e2e workspace" }];

const serverRequests = [];

function makeTransport() {
  if (transport === "stdio") {
    return import(`${sdk}/client/stdio.js`).then(
      ({ StdioClientTransport }) =>
        new StdioClientTransport({ command: rest[0], args: rest.slice(1), env: process.env, stderr: "inherit" }),
    );
  }
  if (transport === "sse") {
    return import(`${sdk}/client/sse.js`).then(({ SSEClientTransport }) => new SSEClientTransport(new URL(rest[0])));
  }
  if (transport === "streamableHttp") {
    return import(`${sdk}/client/streamableHttp.js`).then(
      ({ StreamableHTTPClientTransport }) => new StreamableHTTPClientTransport(new URL(rest[0])),
    );
  }
  throw new Error(`unknown transport ${transport}`);
}

async function step(fn) {
  try {
    return { result: await fn() };
  } catch (err) {
    return { error: { code: err?.code ?? null, message: String(err?.message ?? err) } };
  }
}

async function all(list, key) {
  const items = [];
  let cursor;
  do {
    const page = await list(cursor === undefined ? {} : { cursor });
    items.push(...page[key]);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

function defaultArgs(tool) {
  const args = {};
  const schema = tool.inputSchema ?? {};
  for (const name of schema.required ?? []) {
    const prop = schema.properties?.[name] ?? {};
    if (prop.enum) args[name] = prop.enum[0];
    else if (prop.type === "number" || prop.type === "integer") args[name] = 1;
    else if (prop.type === "boolean") args[name] = false;
    else args[name] = "x";
  }
  return args;
}

const client = new Client(
  { name: "guardmesh-e2e-transcript", version: "1.0.0" },
  { capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } } },
);
client.setRequestHandler(types.CreateMessageRequestSchema, async (request) => {
  serverRequests.push("sampling/createMessage");
  const text = request.params.messages.map((m) => m.content?.text ?? "").join(" ");
  return { model: "transcript-model", role: "assistant", content: { type: "text", text: `sampled(${text})` } };
});
client.setRequestHandler(types.ElicitRequestSchema, async (request) => {
  serverRequests.push("elicitation/create");
  return {
    action: "accept",
    content: { name: "Ada Lovelace", check: true, email: "ada@example.com", integer: 7, number: 2.5 },
  };
});
client.setRequestHandler(types.ListRootsRequestSchema, async () => {
  serverRequests.push("roots/list");
  return { roots: ROOTS };
});

const transcript = { transport };
await client.connect(await makeTransport());
transcript.server = client.getServerVersion();
transcript.capabilities = client.getServerCapabilities();
transcript.instructions = client.getInstructions();
transcript.ping = await step(() => client.ping());

const tools = await all((p) => client.listTools(p), "tools");
transcript.tools = tools;
transcript.prompts = await all((p) => client.listPrompts(p), "prompts");
transcript.resources = await all((p) => client.listResources(p), "resources");
transcript.resourceTemplates = await all((p) => client.listResourceTemplates(p), "resourceTemplates");

transcript.calls = {};
for (const tool of tools) {
  if (SKIP_TOOLS.has(tool.name)) continue;
  const args = TOOL_ARGS[tool.name] ?? defaultArgs(tool);
  if (TOGGLES.has(tool.name)) {
    transcript.calls[tool.name] = [
      await step(() => client.callTool({ name: tool.name, arguments: args })),
      await step(() => client.callTool({ name: tool.name, arguments: args })),
    ];
    continue;
  }
  const progress = [];
  const options = { onprogress: (p) => progress.push(p), timeout: 30000 };
  const outcome = await step(() => client.callTool({ name: tool.name, arguments: args }, undefined, options));
  // The last notification may be handled after the result it precedes, so only the first is compared.
  if (progress.length) outcome.firstProgress = progress[0];
  transcript.calls[tool.name] = outcome;
}
// Tools a guard hides can still be called by name: TRANSCRIPT_FORCE_CALLS=name,name calls them anyway.
transcript.forced = {};
for (const name of (process.env.TRANSCRIPT_FORCE_CALLS ?? "").split(",").filter(Boolean)) {
  transcript.forced[name] = await step(() => client.callTool({ name, arguments: TOOL_ARGS[name] ?? {} }));
}
transcript.unknownTool = await step(() => client.callTool({ name: "no-such-tool", arguments: {} }));

transcript.promptResults = {};
for (const prompt of transcript.prompts) {
  const args = PROMPT_ARGS[prompt.name] ?? {};
  transcript.promptResults[prompt.name] = await step(() => client.getPrompt({ name: prompt.name, arguments: args }));
}
transcript.completion = await step(() =>
  client.complete({
    ref: { type: "ref/prompt", name: "completable-prompt" },
    argument: { name: "name", value: "" },
    context: { arguments: { department: "Sales" } },
  }),
);

transcript.reads = {};
for (const resource of transcript.resources) {
  transcript.reads[resource.uri] = await step(() => client.readResource({ uri: resource.uri }));
}
for (const template of transcript.resourceTemplates) {
  const uri = template.uriTemplate.replace(/\{[^}]+\}/g, "5");
  transcript.reads[uri] = await step(() => client.readResource({ uri }));
}
if (transcript.resources.length) {
  const uri = transcript.resources[0].uri;
  transcript.subscribe = await step(() => client.subscribeResource({ uri }));
  transcript.unsubscribe = await step(() => client.unsubscribeResource({ uri }));
}
transcript.setLevel = await step(() => client.setLoggingLevel("error"));
// Which kinds of server request reached this client (each kind once; how often depends on timing).
transcript.serverRequests = [...new Set(serverRequests)].sort();

await client.close();
// Pipes are asynchronous in Node: exit only once the transcript is flushed.
process.stdout.write(JSON.stringify(transcript) + "\n", () => process.exit(0));

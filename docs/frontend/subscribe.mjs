// Live events over WebSocket with the graphql-ws client (protocol
// graphql-transport-ws). The access token goes in connection_init; a bad or
// expired one makes the server close the socket with 4403 Forbidden, and then
// the client refreshes the token and reconnects.
//
//   COTTON_SERVER=http://127.0.0.1:8080 COTTON_USER=tuan1 COTTON_PASSWORD=Cotton@2026 COUNT=1 node subscribe.mjs
//
// Prints one JSON line per connection change and event; exits after COUNT events.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws'; // Node 20 has no WebSocket; a browser uses its own
import { Session } from './session.mjs';

const EVENTS = /* GraphQL */ `
  subscription Events($topics: [EventTopic!]) {
    events(topics: $topics) { topic at regionId enterpriseId unitId cardNo ticketNo baleBarcode }
  }
`;

const server = process.env.COTTON_SERVER ?? 'http://127.0.0.1:8080';
const session = new Session(server);
await session.signIn(process.env.COTTON_USER, process.env.COTTON_PASSWORD);
const log = (line) => console.log(JSON.stringify(line));
await new Promise((r) => setTimeout(r, Number(process.env.WAIT_MS ?? 0)));

const url = new URL('/graphql/ws', server);
url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
let forbidden = false;
const client = createClient({
  url: url.toString(),
  webSocketImpl: globalThis.WebSocket ?? WebSocket,
  // Called on every (re)connect, so a reconnect uses the current token.
  connectionParams: async () => {
    if (forbidden) {
      forbidden = false;
      await session.refresh(); // refused too: sign in again (here: the script fails)
    }
    return { authorization: `Bearer ${session.accessToken}` };
  },
  retryAttempts: 5,
  retryWait: (retries) => new Promise((r) => setTimeout(r, 300 * 2 ** retries)),
  shouldRetry: () => true,
  on: {
    connected: () => log({ step: 'connected' }),
    closed: (event) => {
      // 4403: the token of connection_init was refused (expired or bad).
      if (event.code === 4403) forbidden = true;
      log({ step: 'closed', code: event.code, reason: event.reason });
    },
  },
});

// Events are not replayed: after a reconnect, re-read what the page shows with
// queries (areaReport, traceUnits, …) and keep following the events.
const topics = process.env.TOPICS ? process.env.TOPICS.split(',') : null;
let left = Number(process.env.COUNT ?? 1);
for await (const result of client.iterate({ query: EVENTS, variables: { topics } })) {
  if (result.errors) {
    log({ step: 'errors', errors: result.errors });
    break;
  }
  log({ step: 'event', event: result.data.events });
  if (--left <= 0) break;
}
await client.dispose();

// Sign in, read `me`, and keep working after the access token has expired: the
// session refreshes it on UNAUTHENTICATED and retries.
//
//   COTTON_SERVER=http://127.0.0.1:8080 COTTON_USER=tuan1 COTTON_PASSWORD=Cotton@2026 node signin.mjs
//
// Prints one JSON line per step.
import { Session } from './session.mjs';

const ME = /* GraphQL */ `
  query Me {
    me { id username role org { id kind name } }
  }
`;

const server = process.env.COTTON_SERVER ?? 'http://127.0.0.1:8080';
const session = new Session(server);
const account = await session.signIn(process.env.COTTON_USER, process.env.COTTON_PASSWORD);
console.log(JSON.stringify({ step: 'signedIn', username: account.username, role: account.role }));

const first = await session.request(ME);
console.log(JSON.stringify({ step: 'me', me: first.me, refreshes: session.refreshes }));

// The access token lives COTTON_ACCESS_TTL_SECS (15 min by default); WAIT_MS lets
// it expire here, as it does in a page left open.
await new Promise((r) => setTimeout(r, Number(process.env.WAIT_MS ?? 0)));
const again = await session.request(ME);
console.log(JSON.stringify({ step: 'meAgain', me: again.me, refreshes: session.refreshes }));

// A file upload (GraphQL multipart request): the platform admin imports company
// accounts from an xlsx sheet. In a page, `file` is `input.files[0]`.
//
//   COTTON_SERVER=http://127.0.0.1:8080 COTTON_USER=admin COTTON_PASSWORD=Admin@2026 node upload.mjs accounts.xlsx
//
// Prints the import report as one JSON line. Limits: a request of 25 MB, a file
// of 20 MB (BAD_FILE); a bad header row refuses the whole file (BAD_FILE).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { Session } from './session.mjs';

const IMPORT_ACCOUNTS = /* GraphQL */ `
  mutation ImportCompanyAccounts($file: Upload!) {
    importCompanyAccounts(file: $file) {
      created updated skipped failed
      rows { row status message }
    }
  }
`;

const server = process.env.COTTON_SERVER ?? 'http://127.0.0.1:8080';
const session = new Session(server);
await session.signIn(process.env.COTTON_USER, process.env.COTTON_PASSWORD);

const path = process.argv[2];
const file = new Blob([await readFile(path)], {
  type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
});
const data = await session.upload(IMPORT_ACCOUNTS, {}, file, basename(path));
console.log(JSON.stringify(data.importCompanyAccounts));

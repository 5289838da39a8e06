"""A GraphQL multipart upload streamed by gql's aiohttp transport (issue 17 item 4).

    python chunked_upload.py URL TOKEN FILE

The file goes as an async generator (`FileVar(..., streaming=True)` is for paths;
a generator has no length), so aiohttp sends the request with
`Transfer-Encoding: chunked` and no `Content-Length`. Runs
`importCompanyAccounts(file:)` and prints one JSON object: the request headers
aiohttp sent (from its tracing hooks) and the answer (`data` or `errors`).
"""

import asyncio
import json
import sys

import aiohttp
from gql import Client, FileVar, gql
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError

IMPORT = gql(
    """
    mutation Import($file: Upload!) {
      importCompanyAccounts(file: $file) { created updated skipped failed rows { row status message } }
    }
    """
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def main(url, token, path):
    sent = {}

    async def on_headers(session, ctx, params):
        sent.update({k.lower(): v for k, v in params.headers.items()})

    trace = aiohttp.TraceConfig()
    trace.on_request_headers_sent.append(on_headers)

    async def chunks():
        with open(path, "rb") as f:
            while block := f.read(4096):
                yield block
                await asyncio.sleep(0)

    transport = AIOHTTPTransport(
        url=url,
        headers={"Authorization": f"Bearer {token}"},
        client_session_args={"trace_configs": [trace]},
    )
    async with Client(transport=transport) as session:
        IMPORT.variable_values = {"file": FileVar(chunks(), filename="accounts.xlsx", content_type=XLSX)}
        try:
            answer = {"data": await session.execute(IMPORT, upload_files=True)}
        except TransportQueryError as e:
            answer = {"errors": e.errors}
    print(json.dumps({"headers": sent, "answer": answer}, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))

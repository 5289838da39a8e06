"""Introspection of a running server with graphql-core and gql, compared with
schema.graphql (issue 17 item 1).

    python introspect.py http://127.0.0.1:8080/graphql path/to/schema.graphql

1. graphql-core's standard `get_introspection_query()` — first with its defaults,
   then with every option on — is POSTed as is; the answer must have no error and
   `build_client_schema` must build a schema from it.
2. gql's `Client(fetch_schema_from_transport=True)` fetches the schema the way
   gql does before validating queries locally.
3. Every type of schema.graphql must be in the introspected schema with the same
   kind, fields, arguments, input fields, enum values and member types (and the
   other way round), so codegen tools and GraphiQL's docs see the whole file.

Prints one JSON object (types compared, the ErrorCode values seen) and exits 0,
or prints the differences and exits 1.
"""

import asyncio
import json
import sys
import urllib.request

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    build_client_schema,
    build_schema,
    get_introspection_query,
    specified_scalar_types,
)
from gql import Client
from gql.transport.aiohttp import AIOHTTPTransport


def post(url, query):
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(url, data=body, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def shape(schema):
    """name -> (kind, members) for every named type but the introspection ones and
    the specified scalars (a server may list Float unused; SDL leaves them out)."""
    out = {}
    for name, t in schema.type_map.items():
        if name.startswith("__") or name in specified_scalar_types:
            continue
        if isinstance(t, (GraphQLObjectType, GraphQLInterfaceType)):
            members = {
                f: (str(field.type), tuple(sorted((a, str(arg.type)) for a, arg in field.args.items())))
                for f, field in t.fields.items()
            }
            members["@implements"] = tuple(sorted(i.name for i in t.interfaces))
        elif isinstance(t, GraphQLInputObjectType):
            members = {f: str(field.type) for f, field in t.fields.items()}
        elif isinstance(t, GraphQLEnumType):
            members = sorted(t.values)
        elif isinstance(t, GraphQLUnionType):
            members = sorted(m.name for m in t.types)
        else:
            members = None
        out[name] = (type(t).__name__, members)
    return out


def diff(file_shape, live_shape):
    problems = []
    for name in sorted(set(file_shape) | set(live_shape)):
        if name not in live_shape:
            problems.append(f"{name}: in schema.graphql, not reachable by introspection")
        elif name not in file_shape:
            problems.append(f"{name}: introspected, not in schema.graphql")
        elif file_shape[name] != live_shape[name]:
            problems.append(f"{name}: schema.graphql {file_shape[name]!r} != introspected {live_shape[name]!r}")
    return problems


async def gql_fetch(url):
    transport = AIOHTTPTransport(url=url)
    client = Client(transport=transport, fetch_schema_from_transport=True)
    async with client:
        pass
    return client.schema


def main():
    url, sdl_path = sys.argv[1], sys.argv[2]
    with open(sdl_path, encoding="utf-8") as f:
        file_shape = shape(build_schema(f.read()))
    problems = []
    live = None
    variants = {
        "defaults": {},
        "every option": dict(
            descriptions=True,
            specified_by_url=True,
            directive_is_repeatable=True,
            schema_description=True,
            input_value_deprecation=True,
        ),
    }
    for what, options in variants.items():
        answer = post(url, get_introspection_query(**options))
        if answer.get("errors"):
            problems.append(f"get_introspection_query({what}) refused: {json.dumps(answer['errors'], ensure_ascii=False)}")
            continue
        live = build_client_schema(answer["data"])
        problems += [f"({what}) {p}" for p in diff(file_shape, shape(live))]
    fetched = asyncio.run(gql_fetch(url))
    if fetched is None:
        problems.append("gql fetch_schema_from_transport got no schema")
    else:
        problems += [f"(gql) {p}" for p in diff(file_shape, shape(fetched))]
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(json.dumps({"types": len(file_shape), "errorCodes": sorted(live.type_map["ErrorCode"].values)}))


if __name__ == "__main__":
    main()

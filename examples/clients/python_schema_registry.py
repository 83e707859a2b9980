#!/usr/bin/env python3
"""Confluent's Python Schema Registry client against Prism.

Runs the everyday calls of confluent_kafka.schema_registry.SchemaRegistryClient
(register, get by id, latest version, versions, lookup, compatibility test,
set compatibility, delete subject) against a Confluent Schema Registry URL,
such as the Prism proxy serving routes/confluent-schema-registry.yaml:

    python3 examples/clients/python_schema_registry.py http://127.0.0.1:8081

Needs confluent-kafka (Debian: apt-get install python3-confluent-kafka
python3-requests). Subjects are prefixed with a per-run tag, so it can run
against a registry that already holds data. Prints one line per check and
exits non-zero when any check fails, naming it.
"""
import json
import sys
import time
import traceback

from confluent_kafka.schema_registry import (Schema, SchemaReference,
                                             SchemaRegistryClient,
                                             SchemaRegistryError)

ORDER_V1 = {
    "type": "record", "name": "Order", "namespace": "acme",
    "fields": [{"name": "id", "type": "long"}],
}
ORDER_V2 = {
    "type": "record", "name": "Order", "namespace": "acme",
    "fields": [{"name": "id", "type": "long"},
               {"name": "note", "type": "string", "default": ""}],
}
ORDER_BREAKING = {
    "type": "record", "name": "Order", "namespace": "acme",
    "fields": [{"name": "id", "type": "string"}],
}
MONEY_PROTO = ('syntax = "proto3";\npackage acme;\n\n'
               'message Money {\n  int64 units = 1;\n}\n')
PRICE_PROTO = ('syntax = "proto3";\npackage acme;\n\n'
               'import "acme/money.proto";\n\n'
               'message Price {\n  Money amount = 1;\n}\n')
CUSTOMER_JSON = {"type": "object",
                 "properties": {"name": {"type": "string"}}}


class CheckFailed(Exception):
    pass


def expect(condition, what):
    if not condition:
        raise CheckFailed(what)


def expect_error(call, http_status, error_code):
    """Runs `call`, which must fail with this HTTP status and error code."""
    try:
        call()
    except SchemaRegistryError as err:
        expect(err.http_status_code == http_status and err.error_code == error_code,
               "expected %d/%d, got %s/%s (%s)" % (http_status, error_code, err.http_status_code,
                                                   err.error_code, err.error_message))
        expect(err.error_message, "the error has no message")
        return
    raise CheckFailed("expected error %d/%d, but the call succeeded" % (http_status, error_code))


def avro(schema):
    return Schema(json.dumps(schema), "AVRO")


def main(argv):
    if len(argv) != 2:
        print("usage: %s SCHEMA_REGISTRY_URL" % argv[0], file=sys.stderr)
        return 2
    url = argv[1]
    tag = "py%d" % (time.time() * 1000)
    orders = "%s-orders-value" % tag
    # A subject with a '/': sent as %2F, and raw by test_compatibility.
    slashed = "%s/team/payments-value" % tag
    money = "%s-money.proto" % tag
    prices = "%s-prices-value" % tag
    customers = "%s-customers-json" % tag
    client = SchemaRegistryClient({"url": url})
    state = {}
    failures = []

    def need(key):
        if key not in state:
            raise CheckFailed("not run: it needs the schema id of an earlier check that failed")
        return state[key]

    def check(name, run):
        try:
            run()
            print("ok      %s" % name)
        except Exception as err:  # report every failure, then go on
            if isinstance(err, (CheckFailed, SchemaRegistryError)):
                detail = str(err)
            else:  # a bug or a transport failure: where it happened, and what
                frame = traceback.extract_tb(err.__traceback__)[-1]
                detail = "%s: %s (at %s:%d)" % (type(err).__name__, err, frame.filename, frame.lineno)
            print("FAILED  %s: %s" % (name, detail))
            failures.append(name)

    def register():
        state["v1"] = client.register_schema(orders, avro(ORDER_V1))
        expect(isinstance(need("v1"), int) and need("v1") > 0, "id %r" % need("v1"))
        # A fresh client has no cache: the registry itself must answer the same id.
        again = SchemaRegistryClient({"url": url}).register_schema(orders, avro(ORDER_V1))
        expect(again == need("v1"), "re-registration gave id %s, not %s" % (again, need("v1")))

    def get_by_id():
        schema = SchemaRegistryClient({"url": url}).get_schema(need("v1"))
        expect(schema.schema_type == "AVRO", "schema type %s" % schema.schema_type)
        expect(json.loads(schema.schema_str) == ORDER_V1, "schema %s" % schema.schema_str)
        expect_error(lambda: client.get_schema(2147483647), 404, 40403)

    def register_v2_and_versions():
        state["v2"] = client.register_schema(orders, avro(ORDER_V2))
        expect(need("v2") != need("v1"), "v2 got the id of v1")
        versions = client.get_versions(orders)
        expect(versions == [1, 2], "versions %s" % versions)

    def latest_version():
        latest = client.get_latest_version(orders)
        expect(latest.subject == orders and latest.version == 2 and latest.schema_id == need("v2"),
               "latest %s/%s/%s" % (latest.subject, latest.version, latest.schema_id))
        expect(json.loads(latest.schema.schema_str) == ORDER_V2, "latest schema %s" % latest.schema.schema_str)
        first = client.get_version(orders, 1)
        expect(first.schema_id == need("v1"), "version 1 has id %s" % first.schema_id)
        expect_error(lambda: client.get_version(orders, 9), 404, 40402)

    def lookup():
        found = client.lookup_schema(orders, avro(ORDER_V1))
        expect(found.version == 1 and found.schema_id == need("v1") and found.subject == orders,
               "lookup %s/%s/%s" % (found.subject, found.version, found.schema_id))

    def compatibility_test():
        expect(client.test_compatibility(orders, avro(ORDER_V2)) is True, "v2 should be compatible")
        expect(client.test_compatibility(orders, avro(ORDER_BREAKING)) is False, "a type change should not be")
        expect(client.test_compatibility(orders, avro(ORDER_BREAKING), version=1) is False,
               "a type change should not be compatible with version 1")
        expect_error(lambda: client.register_schema(orders, avro(ORDER_BREAKING)), 409, 409)

    def set_compatibility():
        expect_error(lambda: client.get_compatibility(orders), 404, 40408)
        result = client.set_compatibility(orders, "full")
        expect(result == {"compatibility": "FULL"}, "set_compatibility answered %s" % result)
        level = client.get_compatibility(orders)
        expect(level == "FULL", "subject level %s" % level)
        expect(client.get_compatibility() == "BACKWARD", "global level %s" % client.get_compatibility())
        expect_error(lambda: client.set_compatibility(orders, "sideways"), 422, 42203)

    def slashed_subject():
        schema_id = client.register_schema(slashed, avro(ORDER_V1))
        expect(schema_id == need("v1"), "the same schema should share id %s, got %s" % (need("v1"), schema_id))
        expect(slashed in client.get_subjects(), "%s not in the subject list" % slashed)
        expect(client.get_versions(slashed) == [1], "versions of %s" % slashed)
        # test_compatibility does not encode the subject: its '/' arrive as extra path segments.
        expect(client.test_compatibility(slashed, avro(ORDER_V2)) is True, "v2 should be compatible")
        expect(client.test_compatibility(slashed, avro(ORDER_BREAKING), version=1) is False,
               "a type change should not be compatible")

    def references_protobuf_json():
        money_id = client.register_schema(money, Schema(MONEY_PROTO, "PROTOBUF"))
        ref = SchemaReference("acme/money.proto", money, 1)
        price_id = client.register_schema(prices, Schema(PRICE_PROTO, "PROTOBUF", [ref]))
        expect(price_id not in (money_id, need("v1"), need("v2")), "price id %s" % price_id)
        price = SchemaRegistryClient({"url": url}).get_schema(price_id)
        expect(price.schema_type == "PROTOBUF" and price.schema_str == PRICE_PROTO, "price schema %r" % price.schema_str)
        refs = [(r.name, r.subject, r.version) for r in price.references]
        expect(refs == [("acme/money.proto", money, 1)], "references %s" % refs)
        expect_error(lambda: client.delete_subject(money), 422, 42206)
        json_id = client.register_schema(customers, Schema(json.dumps(CUSTOMER_JSON), "JSON"))
        latest = client.get_latest_version(customers)
        expect(latest.schema_id == json_id and latest.schema.schema_type == "JSON",
               "JSON latest %s %s" % (latest.schema_id, latest.schema.schema_type))

    def delete():
        deleted = client.delete_version(orders, 2)
        expect(deleted == 2, "delete_version answered %s" % deleted)
        expect(client.get_versions(orders) == [1], "versions after deleting 2: %s" % client.get_versions(orders))
        versions = client.delete_subject(orders)
        expect(versions == [1], "soft delete answered %s" % versions)
        expect_error(lambda: client.get_versions(orders), 404, 40401)
        expect(orders not in client.get_subjects(), "%s still listed" % orders)
        # permanent=True sends the soft delete (already done: 40404) first; delete the slashed one wholly.
        expect(client.delete_subject(slashed, permanent=True) == [1], "permanent delete of %s" % slashed)
        expect_error(lambda: client.get_versions(slashed), 404, 40401)

    check("register a schema (and again: same id)", register)
    check("get a schema by id", get_by_id)
    check("register a second version, list versions", register_v2_and_versions)
    check("latest version and version by number", latest_version)
    check("look a schema up in a subject", lookup)
    check("compatibility test", compatibility_test)
    check("get and set compatibility", set_compatibility)
    check("subject with '/'", slashed_subject)
    check("PROTOBUF with a reference, JSON", references_protobuf_json)
    check("delete version and subject", delete)

    if failures:
        print("%d of 10 checks failed: %s" % (len(failures), ", ".join(failures)))
        return 1
    print("all 10 checks passed against %s" % url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""Generates tests/fixtures/json_validate_cases.json: (schema, value, valid) triples whose
expected validity comes from the Python jsonschema package (Draft 2020-12), for the C++
validator in src/foundry/json_validate.cpp to agree with.

Reference choices, where the package alone does not give the semantics the C++ side implements:
- formats: the package's own checkers for "date" and "uuid"; for "date-time" and "time" (whose
  package checkers need rfc3339-validator, not installed) and "email" (the package only looks
  for an "@") independent checkers below, built on Python's datetime, re and ipaddress.
- multipleOf: exact decimal arithmetic on the numbers' shortest repr (the package divides
  binary floats, so 19.99 would not be a multiple of 0.01).
- uniqueItems: all pairs compared with the package's own `equal` (its sorting shortcut misses
  [[1], [true], [1]], whose equal items do not end up adjacent).
Integers outside [-2^63, 2^64) are left out: nlohmann::json holds them as doubles.

Run: .venv/bin/python tools/make_json_validate_cases.py > tests/fixtures/json_validate_cases.json
"""
import copy
import datetime
import decimal
import ipaddress
import json
import random
import re

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker, ValidationError, validators
from jsonschema._utils import equal

# ---- reference format checkers ----------------------------------------------------------

_DT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII)


def _datetime_ok(s):
    m = _DT.fullmatch(s)
    if not m:
        return False
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    try:
        datetime.date(y, mo, d)
    except ValueError:
        return False
    if h > 23 or mi > 59 or sec > 60:
        return False
    off = m.group(8)
    offset = 0
    if off not in ("Z", "z"):
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            return False
        offset = (1 if off[0] == "+" else -1) * (oh * 60 + om)
    if sec == 60:
        utc = (h * 60 + mi - offset) % 1440
        return utc == 23 * 60 + 59
    return True


checker = FormatChecker(formats=["date", "uuid"])


@checker.checks("date-time")
def _is_datetime(s):
    return not isinstance(s, str) or _datetime_ok(s)


@checker.checks("time")
def _is_time(s):
    return not isinstance(s, str) or _datetime_ok("1970-01-01T" + s)


_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL = re.compile(rf'{_ATEXT}+(\.{_ATEXT}+)*|"([\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"')
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(\.{_LABEL})*")


@checker.checks("email")
def _is_email(s):
    if not isinstance(s, str):
        return True
    for at in range(len(s)):  # the local part ends at the first '@' after a full match
        if s[at] == "@" and _LOCAL.fullmatch(s[:at]):
            local, domain = s[:at], s[at + 1:]
            break
    else:
        return False
    if len(local) > 64 or len(domain) > 255:
        return False
    if domain.startswith("[") and domain.endswith("]"):
        inner = domain[1:-1]
        try:
            if inner[:5].lower() == "ipv6:":
                ipaddress.IPv6Address(inner[5:])
                return "%" not in inner
            ipaddress.IPv4Address(inner)
            return True
        except ValueError:
            return False
    return bool(_HOST.fullmatch(domain))


# ---- exact decimal multipleOf -----------------------------------------------------------

def _dec(x):
    return decimal.Decimal(repr(x)) if isinstance(x, float) else decimal.Decimal(x)


def _multiple_of(validator, d, instance, schema):
    if not validator.is_type(instance, "number"):
        return
    with decimal.localcontext() as ctx:
        ctx.prec = 1000
        q = _dec(instance) / _dec(d)
        if q != q.to_integral_value():
            yield ValidationError(f"{instance!r} is not a multiple of {d}")


def _unique_items(validator, unique, instance, schema):
    if not (unique and validator.is_type(instance, "array")):
        return
    for i in range(len(instance)):
        for j in range(i + 1, len(instance)):
            if equal(instance[i], instance[j]):
                yield ValidationError(f"{instance!r} has non-unique elements")
                return


Reference = validators.extend(Draft202012Validator,
                              {"multipleOf": _multiple_of, "uniqueItems": _unique_items})


def _ints_in_range(x):
    if isinstance(x, bool):
        return True
    if isinstance(x, int):
        return -2**63 <= x < 2**64
    if isinstance(x, list):
        return all(_ints_in_range(i) for i in x)
    if isinstance(x, dict):
        return all(_ints_in_range(i) for i in x.values())
    return True


def valid(schema, value):
    return Reference(schema, format_checker=checker).is_valid(value)


# ---- schemas and values -----------------------------------------------------------------

S = []  # (schema, [values])


def add(schema, *values):
    Draft202012Validator.check_schema(schema)
    S.append((schema, list(values)))


add({"type": "string"}, "", "abc", 1, None, [], {}, True, 1.5)
add({"type": "integer"}, 1, 1.0, -5, 1.5, "1", True, 0, -0.0, 9007199254740993, 1e300)
add({"type": "number"}, 1, 1.5, -1e-9, "1.5", None, False)
add({"type": "boolean"}, True, False, 0, "true", None)
add({"type": "null"}, None, 0, "", False)
add({"type": "array"}, [], [1], {}, "[]")
add({"type": "object"}, {}, {"a": 1}, [], None)
add({"type": ["string", "null"]}, "x", None, 0, [])
add({"type": ["integer", "boolean"]}, 3, 3.0, 3.5, True, "3")
add({"enum": ["red", "green", 3, None, [1, 2], {"a": 1}]},
    "red", "blue", 3, 3.0, None, [1, 2], [1.0, 2], [2, 1], {"a": 1}, {"a": 1.0}, {"a": 2}, True)
add({"enum": [0, False]}, 0, 0.0, False, None, "")
add({"enum": [1]}, True, 1, 1.0)
add({"const": {"k": [1, "x", None]}},
    {"k": [1, "x", None]}, {"k": [1.0, "x", None]}, {"k": [1, "x"]}, {"k": [1, "x", None], "j": 1})
add({"const": 9007199254740993}, 9007199254740993, 9007199254740992, 9007199254740992.0)
add({"const": False}, False, 0, None)
add({"minLength": 2, "maxLength": 4}, "", "a", "ab", "abcd", "abcde", "한국", "한국어입니",
    "😀", "😀😀", "😀😀😀😀😀", "e\u0301", 12345)
add({"maxLength": 0}, "", " ")
add({"minimum": 10, "maximum": 20}, 10, 20, 9, 21, 9.999, 20.0001, 15.5, "5")
add({"exclusiveMinimum": 0, "exclusiveMaximum": 1}, 0, 1, 0.5, 1e-300, 0.9999999, -0.0)
add({"minimum": 9007199254740993}, 9007199254740993, 9007199254740992, 9007199254740994,
    9007199254740992.0, 9007199254740994.0)
add({"maximum": 18446744073709551615}, 18446744073709551615, 18446744073709551614,
    1.8446744073709552e19, -9223372036854775808)
add({"exclusiveMaximum": -9223372036854775807}, -9223372036854775808, -9223372036854775807,
    -9.3e18)
add({"minimum": 0.1}, 0.1, 0.09999999999999999, 1, 0)
add({"multipleOf": 3}, 0, 9, 10, -9, 9.0, 9.5, 18446744073709551615, 18446744073709551614)
add({"multipleOf": 0.01}, 19.99, 0.07, 1, 0.001, 1e-5, 123456.78, 1e300)
add({"multipleOf": 0.5}, 2.5, 2, 2.25, -1.5)
add({"multipleOf": 1e-8}, 1e-8, 3e-8, 1.5e-8, 12, 0.123456789)
add({"multipleOf": 1.5e20}, 3e20, 1.5e20, 1e20, 0)
add({"items": {"type": "integer"}}, [], [1, 2], [1, "2"], [1.0], "not an array")
add({"prefixItems": [{"type": "string"}, {"type": "number"}]},
    [], ["a"], ["a", 1], ["a", 1, None], [1, "a"], ["a", "b"])
add({"prefixItems": [{"type": "string"}], "items": False}, [], ["a"], ["a", "b"], [1])
add({"prefixItems": [{"const": 1}], "items": {"type": "string"}}, [1], [1, "a", "b"], [1, 2],
    [2, "a"])
add({"items": False}, [], [1], {})
add({"minItems": 2, "maxItems": 3}, [], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4], "ab")
add({"uniqueItems": True},
    [], [1, 2, 3], [1, 1], [1, 1.0], [1, True], [0, False], [[1], [1]], [[1], [True]],
    [{"a": 1, "b": 2}, {"b": 2, "a": 1}], [{"a": 1}, {"a": 2}], ["a", "b", "a"],
    list(range(20)), list(range(20)) + [7], [None, None], [[1, [2]], [1, [2.0]]])
add({"uniqueItems": False}, [1, 1])
add({"properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
     "required": ["a"], "additionalProperties": False},
    {"a": "x"}, {"a": "x", "b": 1}, {"b": 1}, {"a": 1}, {"a": "x", "c": 0}, {}, [], "a")
add({"properties": {"a": True}, "additionalProperties": {"type": "number"}},
    {"a": "anything", "z": 1}, {"z": "x"}, {"y": 1.5, "z": 2})
add({"required": ["x", "y"]}, {"x": 1, "y": None}, {"x": 1}, {}, [], "x")
add({"required": ["k"], "additionalProperties": False}, {"k": 1}, {})
add({"minProperties": 1, "maxProperties": 2}, {}, {"a": 1}, {"a": 1, "b": 2},
    {"a": 1, "b": 2, "c": 3}, [])
add({"properties": {"weird key/~": {"const": 1}, "한": {"type": "string"}}},
    {"weird key/~": 1}, {"weird key/~": 2}, {"한": "글"}, {"한": 1})
add({"anyOf": [{"type": "string", "maxLength": 2}, {"type": "integer", "minimum": 5}]},
    "ab", "abc", 5, 4, 5.0, None)
add({"oneOf": [{"type": "integer"}, {"minimum": 2}]}, 1, 2.5, 3, 1.5, "x")
add({"oneOf": [{"multipleOf": 3}, {"multipleOf": 5}]}, 3, 5, 15, 7)
add({"allOf": [{"minLength": 2}, {"pattern": "^a"}]}, "ab", "a", "ba", 3)
add({"not": {"type": "null"}}, 1, None, "x")
add({"not": {"enum": [1, 2]}}, 3, 1, 2.0)
add({"pattern": "a+b"}, "aab", "xxaabyy", "ba", "", 42)
add({"pattern": "^[a-z]{2,4}$"}, "ab", "abcd", "abcde", "a", "AB")
add({"pattern": "^\\d{3}-\\d{4}$"}, "555-1234", "5555-1234", "555-12345", "x555-1234")
add({"pattern": "(?:foo|bar)baz"}, "foobaz", "xbarbazx", "foobar")
add({"pattern": "^한.글$"}, "한x글", "한😀글", "한글", "한xx글")
add({"pattern": "colou?r", "type": "string"}, "color", "the colour", "colr", None)
add({"format": "date"}, "2024-02-29", "2023-02-29", "2024-13-01", "2024-1-01", "2024-04-31",
    "2000-02-29", "1900-02-29", "20240101", "2024-01-01T00:00:00Z", 20240101, "")
add({"format": "time"}, "12:34:56Z", "12:34:56.789+09:00", "23:59:60Z", "22:59:60Z",
    "15:59:60-08:00", "12:34:56", "24:00:00Z", "12:60:00Z", "12:34:56z", "12:34Z",
    "12:34:56+24:00", "1:02:03Z", "12:34:56.Z")
add({"format": "date-time"}, "2024-05-01T12:00:00Z", "2024-05-01t12:00:00z",
    "2024-05-01 12:00:00Z", "2024-05-01T12:00:00", "2024-02-30T00:00:00Z",
    "1998-12-31T23:59:60Z", "1998-12-31T15:59:60.123-08:00", "2024-05-01T12:00:00.5+05:30",
    "2024-05-01T12:00:00+0530", None)
add({"format": "email"}, "a@b.co", "joe.bloggs@example.com", "no-at-sign", "@example.com",
    "a@", ".a@b.com", "a.@b.com", "a..b@c.com", "\"a b\"@c.com", "\"a@b\"@c.com",
    "a@[127.0.0.1]", "a@[127.0.0.300]", "a@[IPv6:::1]", "a@[IPv6:2001:db8::1]", "a@-b.com",
    "a@b-.com", "a@b..com", "a@b_c.com", "te~st@example.com", "a@b@c.com", "x" * 65 + "@b.com",
    "a@localhost", 7)
add({"format": "uuid"}, "2eb8aa08-aa98-11ea-b4aa-73b441d16380",
    "2EB8AA08-AA98-11EA-B4AA-73B441D16380", "00000000-0000-0000-0000-000000000000",
    "2eb8aa08-aa98-11ea-b4aa-73b441d1638", "2eb8aa08aa9811eab4aa73b441d16380",
    "2eb8aa08-aa98-11ea-b4aa-73b441d1638g", "2eb8aa0-8aa98-11ea-b4aa-73b441d16380", None)
add({"format": "hostname"}, "-not-checked-", 1)
add(True, 1, None, {"a": [1]})
add(False, 1, None, {})
add({"properties": {"a": False}}, {}, {"a": None}, {"b": 1})
add({"$defs": {"pos": {"type": "integer", "minimum": 1}},
     "type": "array", "items": {"$ref": "#/$defs/pos"}}, [1, 2], [1, 0], [1, 2.5], [])
add({"definitions": {"a~b/c": {"type": "string"}}, "$ref": "#/definitions/a~0b~1c"}, "x", 1)
add({"$defs": {"x y": {"const": 7}}, "$ref": "#/$defs/x%20y"}, 7, 8)
add({"$defs": {"list": {"type": "array", "items": {"$ref": "#/$defs/list"}}},
     "$ref": "#/$defs/list"}, [], [[]], [[[], [[]]]], [[1]], [[[], "x"]])
TREE = {
    "$defs": {"node": {
        "type": "object",
        "properties": {"value": {"type": "integer"},
                       "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
        "required": ["value"], "additionalProperties": False}},
    "$ref": "#/$defs/node"}
add(TREE, {"value": 1}, {"value": 1, "children": [{"value": 2}, {"value": 3, "children": []}]},
    {"value": 1, "children": [{"value": 2, "children": [{"value": "x"}]}]},
    {"value": 1, "children": [{"children": []}]}, {"value": 1, "extra": 0})
add({"properties": {"name": {"type": "string"}, "next": {"$ref": "#"}},
     "required": ["name"]},
    {"name": "a", "next": {"name": "b", "next": {"name": "c"}}},
    {"name": "a", "next": {"name": "b", "next": {}}}, {"next": {"name": "b"}})
add({"prefixItems": [{"type": "integer"}, {"$ref": "#/prefixItems/0"}]}, [1, 2], [1, "2"])
add({"type": "object", "properties": {
        "verdict": {"enum": ["pass", "fail"]},
        "score": {"type": "number", "minimum": 0, "maximum": 10},
        "reasons": {"type": "array", "items": {"type": "string", "minLength": 1},
                    "maxItems": 3, "uniqueItems": True},
        "id": {"type": "string", "format": "uuid"},
        "at": {"type": "string", "format": "date-time"}},
     "required": ["verdict", "score"], "additionalProperties": False,
     "$schema": "https://json-schema.org/draft/2020-12/schema", "title": "judge verdict",
     "description": "d", "$comment": "c", "examples": [], "default": {}},
    {"verdict": "pass", "score": 7.5},
    {"verdict": "pass", "score": 7.5, "reasons": ["ok", "fine"],
     "id": "2eb8aa08-aa98-11ea-b4aa-73b441d16380", "at": "2024-05-01T12:00:00Z"})
add({"type": "object",
     "properties": {
         "answer": {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[A-D]$"}]},
         "steps": {"type": "array", "minItems": 1,
                   "items": {"type": "object", "required": ["text"],
                             "properties": {"text": {"type": "string", "maxLength": 40},
                                            "ok": {"type": "boolean"}}}},
         "confidence": {"type": "number", "exclusiveMinimum": 0, "maximum": 1,
                        "multipleOf": 0.05}},
     "required": ["answer", "steps"]},
    {"answer": 42, "steps": [{"text": "think"}], "confidence": 0.95},
    {"answer": "B", "steps": [{"text": "a", "ok": True}, {"text": "b"}], "confidence": 0.35})
add({"allOf": [{"$ref": "#/$defs/a"}, {"$ref": "#/$defs/b"}],
     "$defs": {"a": {"required": ["x"]}, "b": {"properties": {"x": {"type": "string"}}}}},
    {"x": "s"}, {"x": 1}, {}, 5)
add({"anyOf": [{"not": {"type": "string"}}, {"minLength": 3}]}, 1, "abc", "ab")


# ---- mutations --------------------------------------------------------------------------

def mutations(value, rng):
    """A few values near `value`: members dropped, added or retyped, items appended, numbers
    and strings nudged, recursively at one random place."""
    out = []
    if isinstance(value, dict):
        keys = list(value)
        if keys:
            k = rng.choice(keys)
            dropped = dict(value)
            del dropped[k]
            out.append(dropped)
            for sub in mutations(value[k], rng)[:3]:
                changed = dict(value)
                changed[k] = sub
                out.append(changed)
        extra = dict(value)
        extra["extra_" + str(rng.randint(0, 9))] = rng.choice([1, "s", None])
        out.append(extra)
    elif isinstance(value, list):
        out.append(value + [rng.choice([1, "x", None, [], {}])])
        if value:
            out.append(value[:-1])
            i = rng.randrange(len(value))
            for sub in mutations(value[i], rng)[:2]:
                changed = list(value)
                changed[i] = sub
                out.append(changed)
            out.append(value + [copy.deepcopy(value[0])])
    elif isinstance(value, bool):
        out += [not value, int(value)]
    elif isinstance(value, int):
        out += [value + 1, value - 1, float(value), str(value), -value, value * 3]
    elif isinstance(value, float):
        out += [value + 0.5, value * 2, -value, round(value), value + 0.05]
    elif isinstance(value, str):
        out += [value + "x", value[:-1], value.upper(), "", value + "😀", 0]
    elif value is None:
        out += [0, "null", False]
    return out


def main():
    rng = random.Random(20240501)
    cases = []
    seen = set()

    def put(schema, value):
        key = json.dumps([schema, value], sort_keys=True)
        if key in seen or not _ints_in_range(value):
            return
        seen.add(key)
        cases.append({"schema": schema, "value": value, "valid": valid(schema, value)})

    for schema, values in S:
        for v in values:
            put(schema, v)
        valid_values = [v for v in values if valid(schema, v)]
        for v in valid_values:
            near = mutations(v, rng)
            for m in rng.sample(near, k=min(3, len(near))):
                put(schema, m)
    lines = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases]
    print("[\n" + ",\n".join(lines) + "\n]")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Turns the CEL specification's simple conformance test data (google/cel-spec tests/simple/testdata/*.textproto)
into this suite's own file, conformance.json: one case per line with the expression, its bindings and the
expected value or error, in a form the C# test reads without a protobuf library. Cases that need protobuf
messages, enums, a container or unknowns are kept with a "skip" reason, so the pass rate counts them.

Usage: convert.py <cel-spec checkout> > tests/data/cel/conformance.json
The checkout used: google/cel-spec at 508bd98efda47d85bcf1b9930dd5f35fa37e9a18.
"""
import base64
import json
import os
import re
import sys

FILES = ["basic", "comparisons", "conversions", "fp_math", "integer_math", "lists", "logic", "macros", "macros2",
         "parse", "plumbing", "string", "string_ext", "optionals", "timestamps", "math_ext", "network_ext", "fields",
         "namespace", "type_deduction", "dynamic", "wrappers", "encoders_ext"]

TOKEN = re.compile(r'\s+|#[^\n]*|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|[A-Za-z_][A-Za-z0-9_./]*|[-+]?[0-9][0-9.eExXa-fA-F+-]*|[{}\[\]:,<>]')


def unescape(body):
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        e = body[i + 1]
        i += 2
        simple = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92, "'": 39, '"': 34, "?": 63}
        if e in simple:
            out.append(simple[e])
        elif e in "xX":
            m = re.match(r"[0-9a-fA-F]{1,2}", body[i:])
            out.append(int(m.group(0), 16))
            i += len(m.group(0))
        elif e in "01234567":
            m = re.match(r"[0-7]{0,2}", body[i:])
            out.append(int(e + m.group(0), 8) & 0xFF)
            i += len(m.group(0))
        elif e == "u":
            out += chr(int(body[i:i + 4], 16)).encode("utf-8")
            i += 4
        elif e == "U":
            out += chr(int(body[i:i + 8], 16)).encode("utf-8")
            i += 8
        else:
            out += ("\\" + e).encode("utf-8")
    return bytes(out)


def tokens(text):
    for m in TOKEN.finditer(text):
        t = m.group(0)
        if t.strip() and not t.startswith("#"):
            yield t


def parse(toks, i=0, end=None):
    """A message: a dict of field -> list of values (scalars as raw token strings, strings as bytes)."""
    msg = {}
    while i < len(toks) and toks[i] != end:
        name = toks[i]
        i += 1
        if name == "[":  # an Any's [type.googleapis.com/...] field name
            name = toks[i]
            i += 2
        if toks[i] == ":":
            i += 1
        if toks[i] in ("{", "<"):
            close = "}" if toks[i] == "{" else ">"
            value, i = parse(toks, i + 1, close)
            i += 1
        elif toks[i] == "[":
            i += 1
            while toks[i] != "]":
                if toks[i] in ("{", "<"):
                    close = "}" if toks[i] == "{" else ">"
                    v, i = parse(toks, i + 1, close)
                    msg.setdefault(name, []).append(v)
                    i += 1
                else:
                    msg.setdefault(name, []).append(toks[i])
                    i += 1
                if toks[i] == ",":
                    i += 1
            i += 1
            continue
        elif toks[i][0] in "\"'":
            value = b""
            while i < len(toks) and toks[i][0] in "\"'":
                value += unescape(toks[i][1:-1])
                i += 1
        else:
            value = toks[i]
            i += 1
        msg.setdefault(name, []).append(value)
        if i < len(toks) and toks[i] in (",", ";"):
            i += 1
    return msg, i


def one(msg, key):
    v = msg.get(key)
    return v[0] if v else None


class Unsupported(Exception):
    pass


def value(v):
    """A cel.expr.Value as {"t": type, "v": ...}."""
    for key, item in v.items():
        x = item[0]
        if key == "int64_value":
            return {"t": "int", "v": str(int(x, 0))}
        if key == "uint64_value":
            return {"t": "uint", "v": str(int(x, 0))}
        if key == "double_value":
            s = x.lower()
            if s in ("inf", "infinity"):
                return {"t": "double", "v": "Infinity"}
            if s in ("-inf", "-infinity"):
                return {"t": "double", "v": "-Infinity"}
            if s == "nan":
                return {"t": "double", "v": "NaN"}
            return {"t": "double", "v": repr(float(x))}
        if key == "string_value":
            return {"t": "string", "v": x.decode("utf-8")}
        if key == "bytes_value":
            return {"t": "bytes", "v": base64.b64encode(x).decode()}
        if key == "bool_value":
            return {"t": "bool", "v": x == "true"}
        if key == "null_value":
            return {"t": "null"}
        if key == "type_value":
            return {"t": "type", "v": x.decode("utf-8")}
        if key == "list_value":
            return {"t": "list", "v": [value(e) for e in x.get("values", [])]}
        if key == "map_value":
            return {"t": "map", "v": [[value(one(e, "key")), value(one(e, "value"))] for e in x.get("entries", [])]}
        raise Unsupported(key)
    return {"t": "null"}


def main():
    root = sys.argv[1]
    for f in FILES:
        path = os.path.join(root, "tests", "simple", "testdata", f + ".textproto")
        if not os.path.exists(path):
            continue
        top, _ = parse(list(tokens(open(path, encoding="utf-8").read())))
        for section in top.get("section", []):
            sname = one(section, "name").decode()
            for test in section.get("test", []):
                case = {"file": f, "section": sname, "name": one(test, "name").decode(), "expr": one(test, "expr").decode("utf-8")}
                try:
                    if "container" in test:
                        raise Unsupported("container")
                    if re.search(r"TestAllTypes|NestedTestAllTypes|google\.protobuf\.|cel\.expr\.|GlobalEnum|NestedEnum", case["expr"]):
                        raise Unsupported("protobuf messages")
                    if one(test, "disable_macros") == "true":
                        raise Unsupported("disable_macros")
                    bindings = {}
                    for b in test.get("bindings", []):
                        inner = one(one(b, "value"), "value")
                        if inner is None:
                            raise Unsupported("unknown binding")
                        bindings[one(b, "key").decode()] = value(inner)
                    case["bindings"] = bindings
                    if "eval_error" in test or "any_eval_errors" in test:
                        case["error"] = True
                    elif "value" in test:
                        case["value"] = value(one(test, "value"))
                    elif "typed_result" in test:
                        result = one(one(test, "typed_result"), "result")
                        if result is None:
                            raise Unsupported("type deduction (a type checker's result)")
                        case["value"] = value(result)
                    elif "unknown" in test or "any_unknowns" in test:
                        raise Unsupported("unknowns")
                    else:
                        case["value"] = {"t": "bool", "v": True}
                except Unsupported as e:
                    case["skip"] = f"needs {e.args[0]}"
                print(json.dumps(case, ensure_ascii=False, sort_keys=True))


main()

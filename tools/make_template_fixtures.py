#!/usr/bin/env python3
"""Regenerates the chat-template reference data from Python and jinja2.

    /opt/refvenv/bin/python tools/make_template_fixtures.py            # conformance fixtures
    /opt/refvenv/bin/python tools/make_template_fixtures.py --unicode  # src/template/unicode_data.inc

Conformance fixtures: renders a matrix of conversations with each chat template exactly as Hugging
Face transformers does (an ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, the
loopcontrols extension and the `generation` tag, its tojson filter, raise_exception, dict() and
namespace() globals, None-valued message keys dropped, reasoning fields aliased), without importing
transformers. Each line of tests/fixtures/templates/<template>.jsonl is
{"template": NAME, "context": CONVERSATION, "expected": TEXT} or, when jinja2 raises,
{"template": NAME, "context": CONVERSATION, "error": true, "message": TEXT}.

Templates from ../shared/exaone/templates are read from there and never copied into the repository;
tests/fixtures/templates/chatml.jinja is ours.

Unicode tables: Python's str methods (upper, lower, title, isprintable, ...) follow the Unicode
database of the interpreter; the engine carries the same data, generated here.
"""

import argparse
import datetime
import json
import os
import sys

from unicode_tables import write_unicode_tables

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_TEMPLATES = os.path.join(ROOT, "..", "shared", "exaone", "templates")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "templates")

# ---------------------------------------------------------------------------------------------
# The Hugging Face environment (transformers/utils/chat_template_utils.py), replicated.
# ---------------------------------------------------------------------------------------------


def make_environment():
    import jinja2
    import jinja2.ext
    from jinja2 import nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class AssistantTracker(jinja2.ext.Extension):
        tags = {"generation"}

        def parse(self, parser):
            lineno = next(parser.stream).lineno
            body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
            call = self.call_method("_generation_support")
            return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

        @jinja2.pass_eval_context
        def _generation_support(self, context, caller):
            return caller()

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.datetime.now().strftime(format)

    class TemplateDict:
        def __call__(self, *args, **kwargs):
            return dict(*args, **kwargs)

        def fromkeys(self, *args, **kwargs):
            return dict.fromkeys(*args, **kwargs)

    class TemplateNamespace(jinja2.utils.Namespace):
        def __init__(*args, **kwargs):
            self, args = args[0], args[1:]
            attrs = dict(*args, **kwargs)
            for name in attrs:
                TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__init__(self, attrs)

        def __setitem__(self, name, value):
            TemplateNamespace._check_name(name)
            jinja2.utils.Namespace.__setitem__(self, name, value)

        @staticmethod
        def _check_name(name):
            if isinstance(name, str) and name.startswith("_"):
                raise jinja2.exceptions.SecurityError("underscore-prefixed namespace attribute")

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    env.globals["dict"] = TemplateDict()
    env.globals["namespace"] = TemplateNamespace
    return env


REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")
CONVERSATION_KEYS = ("messages", "tools", "documents", "add_generation_prompt")


def template_variables(conversation):
    """What apply_chat_template passes to render() for a conversation file (see docs/template.md)."""
    messages = []
    for message in conversation["messages"]:
        message = {k: v for k, v in message.items() if v is not None}
        reasoning = next((message[k] for k in REASONING_FIELDS if message.get(k) is not None), None)
        if reasoning is not None:
            message = {"thinking": reasoning, **message, "reasoning_content": reasoning}
        messages.append(message)
    variables = {k: v for k, v in conversation.items() if k not in CONVERSATION_KEYS}
    variables.update(messages=messages, tools=conversation.get("tools"),
                     documents=conversation.get("documents"),
                     add_generation_prompt=conversation.get("add_generation_prompt", False))
    return variables


def render(env, source, conversation):
    try:
        return {"expected": env.from_string(source).render(**template_variables(conversation))}
    except Exception as e:  # jinja2 raises many types; every one means "our engine must raise too"
        return {"error": True, "message": f"{type(e).__name__}: {e}"}


# ---------------------------------------------------------------------------------------------
# The conversation matrix.
# ---------------------------------------------------------------------------------------------

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "현재 날씨를 조회합니다 (current weather) — “quoted”, 🌤️",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {"type": "string", "description": "도시 이름, e.g. \"서울\""},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 7, "default": 1},
            },
            "required": ["location"],
        },
    },
}

SEARCH_TOOL = {
    "type": "function",
    "function": {
        "name": "search_docs",
        "description": "Search a document store. Backslash \\ and tab\t survive.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "filters": {
                    "type": "object",
                    "properties": {
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "after": {"type": ["string", "null"], "format": "date"},
                        "score": {"type": "number", "exclusiveMinimum": 0.5},
                    },
                },
                "limit": {"type": "integer", "default": 10},
                "exact": {"type": "boolean", "default": False},
            },
            "required": ["query"],
        },
    },
}

SYSTEMS = [None, "You are EXAONE model from LG AI Research, a helpful assistant.",
           "답변은 한국어로 간결하게 해 주세요. 😊"]

USER_TEXTS = [
    "Hi",
    "서울의 날씨는 어때요?",
    "Explain \"quotes\", 'apostrophes' and a backslash \\ please.",
    "Emoji test 👨‍👩‍👧 and 한글 혼합 text.\nSecond line\twith tab.",
    "  leading and trailing spaces  ",
    "{{ not a template }} {% raw %} [|user|] <think>",
]

ASSISTANT_TEXTS = [
    "Hello! How can I help?",
    "서울은 맑고 기온은 23도입니다.",
    "<think>\nThe user wants a joke.\n</think>\n\nWhy did the chicken cross the road?",
    "Reasoning first.</think>Answer after think, no opening tag.",
    "<thought>\nDeep reasoning here.\n</thought>\n\nThe answer is \\boxed{42}.",
    "Line one.\n\nLine \"two\" with 'quotes' and \\backslash.",
]


def tool_call(name, arguments, wrapped=True):
    call = {"name": name, "arguments": arguments}
    return {"type": "function", "function": call} if wrapped else call


def base_conversations():
    """Yields (label, messages, tools) triples covering the shapes chat templates branch on."""
    tools1, tools2 = [WEATHER_TOOL], [WEATHER_TOOL, SEARCH_TOOL]
    for si, system in enumerate(SYSTEMS):
        head = [{"role": "system", "content": system}] if system is not None else []
        for ui, user in enumerate(USER_TEXTS):
            yield f"s{si}-single-u{ui}", head + [{"role": "user", "content": user}], None
        for ai, answer in enumerate(ASSISTANT_TEXTS):
            msgs = head + [{"role": "user", "content": USER_TEXTS[ai % len(USER_TEXTS)]},
                           {"role": "assistant", "content": answer},
                           {"role": "user", "content": USER_TEXTS[(ai + 1) % len(USER_TEXTS)]}]
            yield f"s{si}-multi-a{ai}", msgs, None
            yield f"s{si}-endsassistant-a{ai}", msgs[:-1], None
        for ti, tools in enumerate((tools1, tools2)):
            yield f"s{si}-tools{ti + 1}", head + [{"role": "user", "content": USER_TEXTS[1]}], tools
        call = tool_call("get_weather", {"location": "서울", "unit": "celsius", "days": 2})
        call2 = tool_call("search_docs", {"query": "a \"quoted\" \\ query",
                                          "filters": {"tags": ["x", "y"], "after": None,
                                                      "score": 0.75}, "exact": True})
        result1 = "{\"temp\": 23, \"sky\": \"맑음\"}"
        yield f"s{si}-toolcall", head + [
            {"role": "user", "content": USER_TEXTS[1]},
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "content": result1},
            {"role": "assistant", "content": "서울은 맑아요."},
        ], tools1
        yield f"s{si}-toolcall-two", head + [
            {"role": "user", "content": "Weather and docs, please."},
            {"role": "assistant", "content": "Calling two tools.", "tool_calls": [call, call2]},
            {"role": "tool", "content": result1},
            {"role": "tool", "content": "No documents found for \"a\\b\"."},
            {"role": "user", "content": "Thanks!"},
        ], tools2
        yield f"s{si}-toolcall-unwrapped", head + [
            {"role": "user", "content": "Plain call"},
            {"role": "assistant", "content": None,
             "tool_calls": [tool_call("get_weather", {"location": "Busan"}, wrapped=False)]},
            {"role": "tool", "content": "rainy"},
        ], tools1
        yield f"s{si}-reasoning-field", head + [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4", "reasoning_content": "Add two and two."},
            {"role": "user", "content": "3+3?"},
            {"role": "assistant", "content": "6", "reasoning_content": "Add \"three\" twice."},
        ], None
        yield f"s{si}-reasoning-last", head + [
            {"role": "user", "content": "Think?"},
            {"role": "assistant", "content": "<think>\nhmm 🤔\n</think>\n\nDone."},
        ], None
        yield f"s{si}-reasoning-both", head + [
            {"role": "user", "content": "Both?"},
            {"role": "assistant", "content": "<think>old</think>  Visible answer.  ",
             "reasoning_content": "  Field reasoning wins.  "},
        ], None
        yield f"s{si}-thinking-alias", head + [
            {"role": "user", "content": "Alias?"},
            {"role": "assistant", "content": "Yes.", "thinking": "Aliased via thinking."},
            {"role": "user", "content": "Again"},
        ], None
        yield f"s{si}-three-turns", head + [
            {"role": "user", "content": "One"}, {"role": "assistant", "content": "1"},
            {"role": "user", "content": "Two"}, {"role": "assistant", "content": "2</think>two"},
            {"role": "user", "content": "Three"}, {"role": "assistant", "content": "3",
                                                   "name": None},
        ], None
        yield f"s{si}-tool-json-content", head + [
            {"role": "user", "content": "Structured result"},
            {"role": "assistant", "content": "",
             "tool_calls": [tool_call("search_docs", "{\"query\": \"raw json string\"}")]},
            {"role": "tool", "content": {"hits": [1, 2.5, None, True], "note": "한국어 ✓"}},
            {"role": "tool", "content": ["list", "result"]},
        ], tools2
        yield f"s{si}-empty-assistant", head + [
            {"role": "user", "content": "Say nothing"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "\\n is not a newline; \"quoted\" {}"},
        ], None


VARIANTS = [
    {},
    {"add_generation_prompt": True},
    {"add_generation_prompt": True, "enable_thinking": True},
    {"add_generation_prompt": True, "enable_thinking": False},
    {"add_generation_prompt": False, "enable_thinking": True},
    {"add_generation_prompt": True, "skip_think": False},
    {"add_generation_prompt": True, "enable_thinking": True, "skip_think": False},
    {"add_generation_prompt": True, "skip_think": True, "bos_token": "<s>", "eos_token": "</s>"},
]


def conversations():
    out = []
    for i, (label, messages, tools) in enumerate(base_conversations()):
        # Every conversation gets three variants, chosen round-robin, so the matrix stays small
        # while each variant meets each conversation shape.
        for k in (i % len(VARIANTS), (i + 3) % len(VARIANTS), (i + 5) % len(VARIANTS)):
            conv = {"messages": messages}
            if tools is not None:
                conv["tools"] = tools
            conv.update(VARIANTS[k])
            out.append((f"{label}-v{k}", conv))
    # Shapes that must raise in some templates.
    out.append(("bad-role", {"messages": [{"role": "narrator", "content": "x"}]}))
    out.append(("bad-toolcall", {"messages": [
        {"role": "user", "content": "x"},
        {"role": "assistant", "content": "", "tool_calls": [{"name": "f"}]}]}))
    out.append(("content-list", {"messages": [
        {"role": "user", "content": [{"type": "text", "text": "Look: "},
                                     {"type": "image"}, {"type": "text", "text": "그림"}]}],
        "add_generation_prompt": True}))
    return out


def write_fixtures(args):
    env = make_environment()
    names = {name: os.path.join(SHARED_TEMPLATES, name + ".jinja")
             for name in ("exaone-3.5", "exaone-deep", "exaone-4.0", "exaone-4.5")}
    names["chatml"] = os.path.join(FIXTURES, "chatml.jinja")
    convs = conversations()
    total = 0
    for name, path in names.items():
        with open(path, encoding="utf-8") as f:
            source = f.read()
        out_path = os.path.join(FIXTURES, name + ".jsonl")
        with open(out_path, "w", encoding="utf-8") as out:
            for label, conv in convs:
                row = {"template": name, "case": label, "context": conv}
                row.update(render(env, source, conv))
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                total += 1
        print(f"{out_path}: {len(convs)} cases", file=sys.stderr)
    print(f"{total} cases in all", file=sys.stderr)
    write_engine_cases(env)


# ---------------------------------------------------------------------------------------------
# Engine feature cases: small templates over a shared context, one feature each, for
# tests/unit/template_engine_test.cpp (tests/fixtures/templates/engine.jsonl).
# ---------------------------------------------------------------------------------------------

ENGINE_CONTEXT = {
    "x": 1, "s": "héllo wörld", "l": list(range(10)), "name": "World", "f": 0.1, "big": 1e20,
    "one": 1.0, "empty": "", "nil": None, "a": [[1, 2], [3, [4, 5]]],
    "d": {"a": 1, "b": [1, 2], "c": {"d": "e"}},
    "users": [{"name": "Ann", "age": 31, "admin": True}, {"name": "bob", "age": 25, "admin": False},
              {"name": "Cid", "age": 40, "admin": False}],
    "msgs": [{"role": "system", "content": "S"}, {"role": "user", "content": "U1"},
             {"role": "assistant", "content": "A1"}, {"role": "user", "content": "U2"}],
}

ENGINE_CASES = [
    # Whitespace control, trim_blocks, lstrip_blocks, comments, raw, newlines.
    "  {% if true %}\n  x\n  {% endif %}\n",
    "a  {% if true %}b{% endif %}  \n  {{ 1 }}\n",
    "  {# c #}\n\tx  {#- c -#}  y\n",
    "{% if true -%}  \n\n  a  {%- endif %}",
    "{%+ if true %}  \n  {% endif +%}\nx",
    "  {%+ if true %}x{% endif %}",
    "a\r\nb\r\nc\rd\r\n",
    "a\n\n",
    "{% raw %}{{ x }}{% endraw %}\n  {% raw -%}  {{ y }}  {%- endraw %}|",
    "{% raw %}\nkeeps newline{% endraw %}",
    "x {{- ' y ' -}} z",
    "{{ 1 }}\n  {% if true %}x{% endif %}",
    "a\u3000{%- if true %}b{% endif %}",
    "{% for i in range(3) %}\n  {{ i }}\n{% endfor %}\n",
    "{#- comment -#}\n\n  text",
    "a {#+ x #}\n b",
    "{% if true %}  {% endif %}|\n{% if true %}\n{% endif %}|",
    # lstrip_blocks takes any Unicode whitespace; newlines are only \n, \r\n and \r.
    "a\n \u3000{% if true %}b{% endif %}|a\n \x0b\x0c{% if true %}c{% endif %}|"
    "x\u2028 {% if true %}y{% endif %}|\u2028 {% if true %}z{% endif %}",
    "{% if true %}\n  \u3000{% set q = 1 %}x\u0085{% endif %}\x1c\n",
    # Literals and Python printing.
    "{{ [1, 'a', 2.5, none, true, false, None, True] }}",
    "{{ {'a': 1, 'b': [1, 2], 3: 'x', none: (1,)} }}",
    "{{ (1, 2) }}{{ (1,) }}{{ () }}",
    "{{ 1e20 }} {{ 1e16 }} {{ 1e15 }} {{ 0.1 }} {{ 1e-5 }} {{ 0.0001 }} {{ 1.5e300 * 1e10 }} "
    "{{ -0.0 }} {{ 1_000 }} {{ 0x1F }} {{ 0b11 }} {{ 0o17 }} {{ 3.14 }} {{ 1/3 }} {{ 2.5e-3 }}",
    "{{ f }} {{ big }} {{ one }} {{ [f, big, one] }} {{ 2**62 }} {{ 123456789.123456789 }}",
    "{{ 'a' 'b' \"c\" }}",
    "{{ 'a\\nb\\x41\\u00e9\\d\\'' }}|{{ \"\\101\\t\\\"\" }}",
    "{{ '\\é' }}",
    "{{ ['it\\'s', \"say \\\"hi\\\"\", 'both \\' \"', 'tab\\tnl\\n\\r', '\\x00\\x7f\\x85'] }}",
    "{{ ['é😀', '\\u200b\\u200d', '\\u3000', 'a\\u2028b', '\\U0001F600', '\\xa0', '\\ud7ff'] }}",
    "{{ none }}{{ true }}{{ False }}{{ nil }}{{ [nil] }}",
    "{{ {'a': {'b': [1, (2, 3)]}} }}",
    "{{ ['<a>'|safe] }}",
    "{{ x, 'a' }}",
    # Subscripts, attributes, slices.
    "{{ s[1:3] }}|{{ s[::-1] }}|{{ s[-2:] }}|{{ l[::2] }}|{{ l[-1] }}|{{ l[10] }}|{{ l[1:100] }}|"
    "{{ l[5:1:-2] }}|{{ l[:-7] }}|{{ s[0] }}{{ s[1] }}|{{ l[-100:2] }}",
    "{{ d.a }}{{ d['a'] }}[{{ d.missing }}]{{ d.c.d }}{{ d['c']['d'] }}{{ a.0 }}{{ a.1.1.0 }}",
    "{{ d.get('a') }}{{ d.get('zz', 'dflt') }}{{ d.get('zz') }}",
    "{{ range(10)[2:5] }}{{ range(5)|list }}{{ range(1, 10, 3)|list }}{{ range(5, 0, -2)|list }}"
    "{{ range(10)[::-1] }}{{ range(3)[1] }}",
    "{{ msgs[0].role }}{{ msgs[-1]['content'] }}{{ msgs|length }}",
    "[{{ none.attr }}][{{ x.foo }}][{{ s.nope }}][{{ l['nope'] }}][{{ d.items() [0] }}]",
    "{{ s.upper() }}{{ s['upper']() }}{{ l.count(3) }}",
    # Operators.
    "{{ 2**3**2 }} {{ -2**2 }} {{ 7//-2 }} {{ -7 % 3 }} {{ 7.5 // 2 }} {{ 1/2 }} {{ 4/2 }} "
    "{{ 10 % 3.5 }} {{ -7.5 % 2 }} {{ 2**-1 }} {{ 3 * 'ab' }} {{ [1] * 3 }} {{ 'ab' * 0 }}"
    "{{ 'a' ~ 1 ~ none ~ true }} {{ 1 + true }} {{ 1 + 1.5 }} {{ -x }} {{ +x }} {{ -(-2.5) }}",
    "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} "
    "{{ (1, 2) == (1, 2) }} {{ [1] == (1,) }} {{ none == none }} {{ 1 != 'a' }} {{ true == 1 }} "
    "{{ 'é' > 'z' }} {{ [1, 2] <= [1] }}",
    "{{ 'a' in 'cat' }} {{ 1 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }} "
    "{{ 'x' in undefined_var }} {{ 1.0 in [1] }} {{ (1, 2) in [(1, 2)] }} {{ '' in 'abc' }}",
    "{{ 0 or 'x' }} {{ 1 and 'y' }} [{{ '' and 'z' }}] {{ none or [] }} {{ not 0 }} {{ not 'a' }} "
    "{{ not x is defined }} {{ x and not nil }}",
    "{{ 'y' if x else 'n' }} [{{ 'y' if not x }}] {{ 1 if false else 2 if false else 3 }}",
    "{{ (1, 2) + (3,) }}{{ [1] + [2] }}{{ 'a' + 'b' }}",
    "{{ '%s' }} {{ '{}'  }}",
    # Tests.
    "{{ x is defined }} {{ y is undefined }} {{ none is none }} {{ 'a' is string }} "
    "{{ 1 is number }} {{ true is number }} {{ 1 is integer }} {{ true is integer }} "
    "{{ 1.0 is float }} {{ {} is mapping }} {{ [] is sequence }} {{ 'a' is sequence }} "
    "{{ {} is sequence }} {{ u is sequence }} {{ 1 is iterable }} {{ u is iterable }}",
    "{{ true is boolean }} {{ 1 is boolean }} {{ true is true }} {{ 1 is true }} "
    "{{ false is false }} {{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} "
    "{{ 9 is divisibleby(4) }} {{ 'a' is equalto 'a' }} {{ 1 is eq 1 }} {{ 2 is gt 1 }} "
    "{{ 2 is lessthan 1 }} {{ 2 is ge 2 }} {{ 1 is ne 1 }} {{ 1 is sameas(true) }}",
    "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aB' is lower }} {{ range is callable }} "
    "{{ u is callable }} {{ 1 is callable }} {{ 'upper' is filter }} {{ 'odd' is test }} "
    "{{ 'nope' is filter }} {{ 2 is in [1, 2] }} {{ x is not none }} {{ none is sameas none }} "
    "{{ true is sameas true }} {{ ('a'|safe) is escaped }} {{ 'a' is escaped }}",
    "{{ d.items() is sequence }} {{ d.items() is iterable }} {{ (l|map('string')) is iterable }} "
    "{{ (l|map('string')) is sequence }} {{ range(3) is sequence }}",
    # Undefined.
    "[{{ u }}][{{ u|default('d') }}][{{ u|length }}][{{ u|list }}][{{ u ~ 'x' }}]"
    "[{% for a in u %}{{ a }}{% endfor %}][{{ u|upper }}][{{ u is defined }}][{{ u == u }}]"
    "[{{ u|string }}][{{ u|trim }}][{{ u|join }}][{{ u|first }}][{{ u|sort }}][{{ u|items|list }}]"
    "[{{ u|map('upper')|list }}][{{ u|select|list }}][{{ u|sum }}][{{ u|safe }}][{{ u|e }}]",
    "[{{ u|last }}][{{ u|reverse|list }}][{{ u|min }}][{{ u|center(3) }}][{{ u|wordcount }}]"
    "[{{ u|batch(2)|list }}][{{ u|unique|list }}][{{ u|count }}][{{ u|replace('a', 'b') }}]",
    "[{{ x if false }}][{{ [1][5] }}][{{ {'a': 1}.b }}][{{ ''.join([]) }}]",
    # tojson.
    "{{ d|tojson }}|{{ users[0]|tojson }}|{{ 'a<b>&\\'\"\\\\/'|tojson }}|{{ 'é😀\\u2028'|tojson }}",
    "{{ d|tojson(indent=2) }}|{{ d|tojson(indent='\\t') }}|{{ d|tojson(indent=0) }}",
    "{{ d|tojson(separators=(',', ':')) }}|{{ d|tojson(indent=1, separators=(', ', ' = ')) }}",
    "{{ {'b': 1, 'a': {'d': 1, 'c': 2}}|tojson(sort_keys=true) }}|{{ d|tojson(ensure_ascii=true) }}",
    "{{ 'é😀'|tojson(ensure_ascii=true) }}|{{ 'é'|tojson(4) }}|{{ '\\x00\\x1f\\x7f'|tojson }}",
    "{{ [1.0, 1e20, 1e-7, -0.0, 3, f, big, one, 0.1 + 0.2] |tojson }}",
    "{{ {}|tojson(indent=2) }}{{ []|tojson(indent=2) }}{{ (1, 'a')|tojson }}{{ none|tojson }}",
    "{{ {1: 'a', 2.5: 'b', none: 'd', false: 'f'}|tojson }}|{{ ('<b>'|safe)|tojson }}",
    "{{ {'k': [{'x': none}, [], {}]}|tojson(indent=2, sort_keys=true) }}",
    "{{ d|tojson(true) }}|{{ d|tojson(indent=true) }}|{{ d|tojson(indent=false) }}",
    # String filters.
    "{{ '  a b  '|trim }}|{{ 'xxaxx'|trim('x') }}|{{ '\\u3000a\\n'|trim }}|{{ 5|trim }}",
    "{{ 'héllo'|length }} {{ [1,2]|count }} {{ {'a':1}|length }} {{ ''|length }}",
    "{{ 'hello wORLD-foo(bar'|title }} {{ 'ß straße'|upper }} {{ 'ǅ ÀÉ'|lower }} "
    "{{ 'hELLO'|capitalize }} {{ 'ΟΔΟΣ ΟΔΟΣ.'|lower }} {{ 'ΣΑ Σ'|lower }} {{ 'ﬁnal'|title }}",
    "{{ 'hello world'.title() }} {{ \"they're bill's 2nd\".title() }} {{ 'ǆemal'.capitalize() }} "
    "{{ 'Hello'.swapcase() }} {{ 'İstanbul'.lower() }} {{ 'ŉ'.upper() }} {{ 'Σ'.lower() }}",
    "{% for k, v in d|items %}{{ k }}={{ v }};{% endfor %}",
    "{{ [1, 'a', none]|join(', ') }}|{{ users|join(', ', attribute='name') }}|{{ 'abc'|join('-') }}",
    "{{ ''|default('e') }}{{ ''|default('e', true) }}{{ nil|d('n') }}{{ 0|d(5, boolean=true) }}",
    "{{ [3,1,2]|first }}{{ [3,1,2]|last }}{{ 'abc'|first }}{{ 'abc'|last }}[{{ []|first }}]"
    "{{ d|first }}{{ d|last }}",
    "{{ 'aaa'|replace('a', 'b', 2) }}|{{ 'abc'|replace('', '-') }}|{{ 5|replace('5', 'five') }}|"
    "{{ 'abc'|replace('', '-', 2) }}|{{ 'héllo'|replace('l', 'L') }}",
    "{{ ('<b>'|safe) ~ '<i>' }}|{{ ('<b>'|safe) + '<i>' }}|{{ '<i>' + ('<b>'|safe) }}|"
    "{{ '<x>'|e }}|{{ ('<b>'|safe)|e }}|{{ '<x>'|forceescape }}|{{ ('a<'|safe) * 2 }}",
    "{{ ('<b> '|safe).strip() ~ '|' }}{{ (' <b>'|safe)|trim + '<' }}|{{ ('a'|safe).upper() + '&' }}",
    "{{ 42|string ~ 1 }} {{ ' 42 '|int + 1 }} {{ '4_2'|int }} {{ '42.7'|int }} {{ 'x'|int }} "
    "{{ 'x'|int(7) }} {{ '0x1F'|int(base=16) }} {{ 3.9|int }} {{ -3.9|int }} {{ true|int }} "
    "{{ '1e3'|int }} {{ nil|int }} {{ '-12'|int }}",
    "{{ '1e3'|float }} {{ ' inf '|float }} {{ 'bad'|float }} {{ 2|float }} {{ '1_0.5'|float }} "
    "{{ '-nan'|float }} {{ 'x'|float(1.5) }} {{ true|float }}",
    "{{ 'abc'|list }}{{ {'a': 1, 'b': 2}|list }}{{ range(3)|list }}{{ (1, 2)|list }}",
    "{{ users|map(attribute='name')|list }}{{ ['a','b']|map('upper')|join }}"
    "{{ users|map(attribute='nick', default='?')|list }}{{ [1.5, 2.5]|map('round')|list }}"
    "{{ ['3','4']|map('int')|sum }}{{ a|map(attribute='1')|list }}",
    "{{ msgs|selectattr('role', 'equalto', 'user')|map(attribute='content')|list }}"
    "{{ msgs|rejectattr('role', 'eq', 'user')|list|length }}{{ [1,2,3,4]|select('odd')|list }}"
    "{{ [1,2,3,4]|reject('divisibleby', 2)|list }}{{ [0, 1, '', 'a', none]|select|list }}"
    "{{ users|selectattr('admin')|map(attribute='name')|first }}"
    "{{ users|selectattr('age', 'gt', 30)|list|length }}{{ users|rejectattr('admin')|list|length }}",
    "{{ ['a', 'A', 'b', 'a']|unique|list }}{{ ['a', 'A']|unique(case_sensitive=true)|list }}"
    "{{ users|unique(attribute='admin')|map(attribute='name')|list }}{{ [1, 1.0, true]|unique|list }}",
    "{{ [3, 1, 2]|sort }}{{ ['b', 'A', 'c']|sort }}{{ ['b', 'A', 'c']|sort(case_sensitive=true) }}"
    "{{ users|sort(attribute='age')|map(attribute='name')|join(',') }}"
    "{{ users|sort(attribute='age', reverse=true)|map(attribute='name')|join(',') }}"
    "{{ users|sort(attribute='admin,name')|map(attribute='name')|join(',') }}"
    "{{ [[2, 'b'], [1, 'z'], [2, 'a']]|sort }}{{ [1, 2, 1]|sort(true) }}",
    "{{ 'abc'|reverse }}{{ [1,2,3]|reverse|list }}{{ d|reverse|list }}{{ ('ab'|safe)|reverse }}",
    "{{ -3|abs }} {{ -2.5|abs }} {{ 2.675|round(2) }} {{ 2.5|round }} {{ 3.5|round }} "
    "{{ 42|round }} {{ 4.21|round(1, 'ceil') }} {{ 4.29|round(1, 'floor') }} "
    "{{ 1.23456|round(3) }} {{ 0.5|round }} {{ -0.5|round }} {{ 1.0000001|round(5) }}",
    "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent('> ', blank=true) }}"
    "|{{ 'x\\r\\ny\\u2028z'|indent(1) }}|{{ ''|indent(first=true) }}|{{ 'a\\n'|indent }}",
    "[{{ 'ab'|center(7) }}][{{ 'abc'|center(6) }}][{{ 'a'|center(4) }}][{{ 'abcdef'|center(2) }}]",
    "{{ 'hello big_world, 42 times'|wordcount }}",
    "{{ {'b': 1, 'A': 2, 'c': 0}|dictsort }}{{ {'b': 1, 'A': 2, 'c': 0}|dictsort(true) }}"
    "{{ {'b': 1, 'A': 2, 'c': 0}|dictsort(by='value', reverse=true) }}",
    "{{ [1,2,3,4,5]|batch(2)|list }}{{ [1,2,3]|batch(2, 'x')|list }}",
    "{{ [3,1,2]|min }}{{ [3,1,2]|max }}{{ ['b','A']|min }}{{ (users|max(attribute='age')).name }}"
    "{{ [1,2,3]|sum }} {{ users|sum(attribute='age') }} {{ [0.1, 0.2]|sum }} {{ [[1], [2]]|sum(start=[]) }}",
    "{{ d|attr('a') }}|{{ d|attr('items') is defined }}|{{ users[0]|attr('name') }}",
    "{% filter upper %}hello {{ name }}{% endfilter %}|{% filter trim|upper %}  x  {% endfilter %}",
    # String methods.
    "{{ '  a  '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '  a '.lstrip() }}|{{ ' a  '.rstrip() }}|"
    "{{ 'abcba'.rstrip('ab') }}|{{ '<think>x'.lstrip('<think>') }}|{{ '\\n\\na\\n'.strip('\\n') }}",
    "{{ 'a,b,,c'.split(',') }}{{ ' a  b '.split() }}{{ 'a b c'.split(' ', 1) }}"
    "{{ 'a b c'.rsplit(' ', 1) }}{{ '  a b c  '.split(None, 1) }}{{ '  a b c  '.rsplit(None, 1) }}"
    "{{ 'a<think>b</think>c'.split('</think>')[-1] }}{{ ''.split(',') }}{{ ''.split() }}"
    "{{ 'a\\nb\\r\\nc\\x0bd'.splitlines() }}{{ 'a\\nb'.splitlines(true) }}{{ 'a b'.split(maxsplit=0) }}"
    "{{ 'a,b,c'.rsplit(',', maxsplit=1) }}{{ 'x\\u3000y'.split() }}",
    "{{ 'hello'.startswith('he') }}{{ 'hello'.startswith(('x', 'h')) }}{{ 'hello'.endswith('lo') }}"
    "{{ 'hello'.endswith(('a','b')) }}{{ 'hello'.startswith('l', 2) }}{{ 'hello'.endswith('l', 0, 4) }}"
    "{{ 'hello'.startswith('') }}{{ 'hi'.startswith('', 5) }}",
    "{{ 'hello'.find('l') }}{{ 'hello'.rfind('l') }}{{ 'hello'.find('z') }}{{ 'héllo'.find('l') }}"
    "{{ 'hello'.count('l') }}{{ 'aaaa'.count('aa') }}{{ 'abc'.count('') }}{{ 'hello'.index('e') }}"
    "{{ 'hello'.find('l', 3) }}{{ 'hello'.find('', 9) }}{{ 'hello'.rindex('l') }}{{ 'hello'.find('l', -2) }}",
    "{{ 'a-b-c'.replace('-', '+') }}{{ 'a-b-c'.replace('-', '', 1) }}{{ 'aaa'.replace('a', 'bb') }}",
    "{{ 'Straße'.upper() }}{{ 'İ'.lower()|length }}{{ 'hello WORLD'.capitalize() }}{{ 'ABC'.lower() }}",
    "{{ ', '.join(['a', 'b']) }}{{ '-'.join('abc') }}{{ ''.join(('x', 'y')) }}",
    "{{ '123'.isdigit() }}{{ 'abc'.isalpha() }}{{ ' \\t'.isspace() }}{{ 'abc'.islower() }}"
    "{{ 'ABC'.isupper() }}{{ 'Hello World'.istitle() }}{{ ''.isdigit() }}{{ 'a1'.isalnum() }}"
    "{{ 'Hello world'.istitle() }}{{ '한국'.islower() }}{{ ''.isspace() }}",
    "{{ 'a=b=c'.partition('=') }}{{ 'a=b=c'.rpartition('=') }}{{ 'abc'.partition('x') }}"
    "{{ 'prefix_x'.removeprefix('prefix_') }}{{ 'x.txt'.removesuffix('.txt') }}"
    "[{{ 'ab'.ljust(5, '*') }}][{{ 'ab'.rjust(5) }}][{{ 'ab'.center(6, '.') }}]",
    "{% for k, v in d.items() %}{{ k }}:{{ v }},{% endfor %}|{{ d.keys()|list }}|"
    "{{ d.values()|list }}|{{ d.items() }}|{{ d.keys() }}|{{ d.items()|length }}|{{ d.values() }}",
    "{{ [1,2,1].count(1) }}{{ [1,2,3].index(2) }}{{ (1,2).count(2) }}{{ [1, 2].copy() }}"
    "{{ d.copy() }}",
    "[{{ [1,2].append }}][{{ d.update }}][{{ [1].pop is defined }}][{{ d.get is defined }}]",
    # Statements.
    "{% for x in [1, 2, 3, 4] %}{% if x == 1 %}one{% elif x == 2 %}two{% elif x == 3 %}three"
    "{% else %}other{% endif %},{% endfor %}",
    "{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}"
    "{{ loop.length }}{{ loop.revindex }}{{ loop.revindex0 }}[{{ loop.previtem }}|{{ loop.nextitem }}]"
    "{{ loop.cycle('x','y') }}{{ loop.depth }}{{ loop.depth0 }};{% endfor %}",
    "{% for x in [1,2,3,4,5] if x is odd %}{{ x }}{{ loop.index }}/{{ loop.length }} {% endfor %}",
    "{% for x in [] %}x{% else %}empty{% endfor %}{% for x in [1] if false %}x{% else %}filtered"
    "{% endfor %}{% for x in [1] %}{% else %}never{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}{{ v }}{% endfor %}{% for a, (b, c) in [[1, [2, 3]]] %}"
    "{{ a }}{{ b }}{{ c }}{% endfor %}",
    "{% for k in d %}{{ k }}{% endfor %}{% for c in 'héllo' %}[{{ c }}]{% endfor %}"
    "{% for i in range(2, 8, 3) %}{{ i }}{% endfor %}",
    "{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 5 %}{% break %}"
    "{% endif %}{{ x }}{% endfor %}",
    "{% for i in [1,2] %}{% for j in 'ab' %}{{ loop.index }}{{ i }}{{ j }}{% endfor %}"
    "{{ loop.index }}{% endfor %}",
    "{% for x in [1,1,2,2,1] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}",
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c = [1, 2] %}{{ c }}{% set x = 5 %}"
    "{% for i in [1] %}{% set x = 6 %}{{ x }}{% endfor %}{{ x }}",
    "{% set x = 1 %}{% for i in range(2) %}{{ x }}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}",
    "{% for i in range(3) %}{{ y is defined }}{% set y = i %}{% endfor %}{{ y is defined }}",
    "{% if true %}{% set z = 3 %}{% endif %}{{ z }}",
    "{% set ns = namespace(count=0, items=[]) %}{% for x in [1,2,3] %}"
    "{% set ns.count = ns.count + x %}{% set ns.items = ns.items + [x] %}{% endfor %}"
    "{{ ns.count }}{{ ns.items }}{{ ns }}{{ ns.missing is defined }}{{ ns['count'] }}",
    "{% set ns = namespace(d) %}{{ ns.b }}{% set ns2 = namespace() %}{% set ns2.x = 1 %}{{ ns2.x }}",
    "{% set block %}Hello {{ 'world' }}!{% endset %}[{{ block }}]{% set up | upper %}shout"
    "{% endset %}{{ up }}{% set t | trim | replace('a', 'b') %}  aa  {% endset %}[{{ t }}]",
    "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}"
    "{{ greet('A') }} {{ greet('B', 'Hi') }} {{ greet(name='C', greeting='Yo') }} "
    "{{ greet(greeting='Hey', name='D') }}",
    "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}{{ m() }}",
    "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1)|int }}{% endif %}{% endmacro %}"
    "{{ fact(5) }}",
    "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}"
    "inner {{ 1 + 1 }}{% endcall %}",
    "{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}"
    "{% call(item) each([1, 2]) %}[{{ item }}]{% endcall %}",
    "{% macro m(a, b) %}{{ a }}|{{ b }}|{% endmacro %}{{ m(1) }}",
    "{% macro m(a, b=a * 2) %}{{ b }}{% endmacro %}{{ m(3) }}{{ m(3, 1) }}",
    "{% macro m() %}{% endmacro %}{{ m }}{{ m() }}|{{ m() is string }}",
    "{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ m() }}"
    "{% for x in [7] %}{{ m() }}{% endfor %}",
    "{% macro outer() %}{% macro inner() %}in{% endmacro %}{{ inner() }}{% endmacro %}{{ outer() }}",
    "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]",
    "{% generation %}gen {{ 1 }}{% endgeneration %}|{% generation %}{% set g = 1 %}{% endgeneration %}"
    "[{{ g }}]",
    "{% print 'a', 1 %}",
    "{{ dict(a=1, b=2) }}{{ dict([('x', 1)]) }}{{ dict({'k': 'v'}, z=0) }}{{ dict() }}",
    "{{ range(3)|list }}{{ range(3) }}{{ range(-3)|list }}{{ range(0, 10, 4).step }}",
    "{% for m in msgs %}{% if m.role == 'user' %}{{ loop.index0 }}{% endif %}{% endfor %}|"
    "{% for m in msgs[::-1] %}{{ m.role[0] }}{% endfor %}",
    "{% set ns = namespace(found=false) %}{% for m in msgs %}{% if m.role == 'assistant' %}"
    "{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
    # Errors jinja2 raises; the engine must raise too.
    "{{ u.y }}",
    "{{ u.y.z }}",
    "{{ 1 + 'a' }}",
    "{{ 1 / 0 }}",
    "{{ 1 // 0 }}",
    "{{ 1.5 % 0 }}",
    "{{ [1] + (2,) }}",
    "{{ {}|dictsort(by='x') }}",
    "{{ 'a' < 1 }}",
    "{{ [1].append(2) }}",
    "{{ d.update({'x': 1}) }}",
    "{{ raise_exception('custom failure: ' ~ x) }}",
    "{% set a, b = [1] %}",
    "{% set a, b = [1, 2, 3] %}",
    "{{ range(100001)|length }}",
    "{{ 'abc'.split('') }}",
    "{% for x in 5 %}{% endfor %}",
    "{% for x in nil %}{% endfor %}",
    "{{ u|tojson }}",
    "{{ {[1]: 2} }}",
    "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}",
    "{% macro m(a) %}{% endmacro %}{{ m(b=1) }}",
    "{{ nil|length }}",
    "{{ l[::0] }}",
    "{{ u() }}",
    "{{ 'a' in 1 }}",
    "{{ 1 in 'abc' }}",
    "{% set x = 1 %}{% set x.y = 2 %}",
    "{% set ns = namespace(_a=1) %}",
    "{% set ns = namespace() %}{% set ns._b = 1 %}",
    "{{ 'a'.index('z') }}",
    "{{ [1].index(5) }}",
    "{{ x|indent }}",
    "{{ l|items|list }}",
    "{{ {'a': 1}|tojson(indent=2.5) }}",
    "{{ 'ab'.center(5, 'xy') }}",
    "{{ u|int }}",
    "{{ (l|map('string'))|last }}",
    "{{ [1, 'a']|sort }}",
    "{{ 2 ** 0.5 ** -1 }}{{ 0 ** -1 }}",
    "{{ users|map('nonexistent_filter')|list }}",
    "{{ l|select('nonexistent_test')|list }}",
    "{{ x|nonexistent }}",
    "{{ x is nonexistent }}",
    "{{ {'a': u}|tojson }}",
    "{{ {(1, 2): 3}|tojson }}",
    "{{ {1: 1, 'a': 2}|tojson(sort_keys=true) }}",
    "{{ ''.join([1, 2]) }}",
    "{% for a, b in [[1, 2], [3]] %}{% endfor %}",
    # Syntax errors.
    "{% if %}{% endif %}",
    "{% for x in %}{% endfor %}",
    "{{ 1 + }}",
    "{% endif %}",
    "{% if true %}",
    "{{ 'unterminated }}",
    "{% unknown %}",
    "{{ a b }}",
    "{% break %}",
    "{{ x ",
    "{# unclosed comment",
    "{% raw %}unclosed",
    "{{ (1, 2 }}",
    "{{ [1, 2) }}",
    "{% macro m(a=1, b) %}{% endmacro %}",
    "{% set 1 = 2 %}",
    "{{ x is is defined }}",
    "{{ f(a=1, 2) }}",
    "{{ '\\x4' }}",
    "{% for x in l %}{% macro m() %}{% break %}{% endmacro %}{% endfor %}",
]


def write_engine_cases(env):
    path = os.path.join(FIXTURES, "engine.jsonl")
    errors = 0
    with open(path, "w", encoding="utf-8") as out:
        for source in ENGINE_CASES:
            row = {"source": source}
            try:
                row["expected"] = env.from_string(source).render(**ENGINE_CONTEXT)
            except Exception as e:
                row.update(error=True, message=f"{type(e).__name__}: {e}")
                errors += 1
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(os.path.join(FIXTURES, "engine_context.json"), "w", encoding="utf-8") as out:
        json.dump(ENGINE_CONTEXT, out, ensure_ascii=False, indent=1)
        out.write("\n")
    print(f"{path}: {len(ENGINE_CASES)} cases, {errors} raise", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--unicode", action="store_true",
                        help="write src/template/unicode_data.inc instead of the fixtures")
    args = parser.parse_args()
    if args.unicode:
        write_unicode_tables(args)
    else:
        write_fixtures(args)


if __name__ == "__main__":
    main()

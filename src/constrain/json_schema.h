// JSON and JSON Schema as grammars for constrained decoding.
//
// AnyJsonGrammar: any JSON value. JsonSchemaGrammar: the JSON values a schema accepts, for the
// keywords listed in docs/constrained.md (types, properties / required / additionalProperties,
// enum, const, items, prefixItems, minItems / maxItems, anyOf, oneOf with disjoint branches,
// allOf of mergeable parts, $ref / $defs, string length and integer / number bounds). A keyword
// outside that list is an error naming it and its JSON path, never silently ignored.
//
// Output shape: members in the order the schema lists them (required ones always, the others
// optionally), extra members (additionalProperties true or a schema) named with 1 to 64 of
// [A-Za-z0-9_-] and never a listed name; whitespace, numbers and strings as json_rules.h says.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "constrain/grammar.h"

namespace exaone::constrain {

std::shared_ptr<Grammar> AnyJsonGrammar();

// Schemas keep their members' order (nlohmann's ordered_json): it is the order of the output.
using SchemaJson = nlohmann::ordered_json;

// Throws Error (kInvalidArgument) with the JSON path for unsupported or contradictory schemas.
std::shared_ptr<Grammar> JsonSchemaGrammar(const SchemaJson& schema);

// The same, added to a grammar that embeds the value (a tool call's arguments): returns the
// rule of the schema's values. `path` names the schema in errors. `schema` must outlive the call.
uint32_t CompileJsonSchema(Grammar& g, const SchemaJson& schema, const std::string& path = "$");
// Any JSON object (JSON mode), added to `g`.
uint32_t CompileAnyJsonObject(Grammar& g);

}  // namespace exaone::constrain

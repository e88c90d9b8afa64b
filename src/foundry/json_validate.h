// JSON Schema validation (draft 2020-12 semantics) for the foundry's verifiers and judge
// verdicts: does a model's JSON output satisfy the schema a recipe gives?
//
// Supported keywords: type, properties, required, additionalProperties, enum, const, items,
// prefixItems, minItems, maxItems, uniqueItems, minLength, maxLength (in code points), minimum,
// maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minProperties, maxProperties, anyOf,
// oneOf, allOf, not, $ref (local JSON pointers: "#", "#/$defs/x", with ~0 ~1 and %XX escapes),
// $defs, definitions, pattern (ECMAScript-style regex through PCRE2, unanchored search) and
// format for date, time, date-time (RFC 3339), email (RFC 5321 mailbox) and uuid (RFC 4122
// text form); other formats and annotation keywords (title, description, default, examples,
// $schema, $id, $comment, deprecated, readOnly, writeOnly) are ignored. Any other keyword is
// an error naming it, never silently ignored.
//
// Numbers compare by mathematical value: 1 == 1.0, integers beyond 2^53 compare exactly against
// each other and against doubles, and multipleOf works on the numbers' shortest decimal form, so
// 19.99 is a multiple of 0.01 (binary floating point division would say it is not).
#pragma once

#include <memory>
#include <string>

#include "foundry/record.h"

namespace exaone::foundry {

// A schema checked and compiled once (patterns compiled, $refs resolved), for validating many
// values. Immutable after construction: Validate may run on several threads at once.
class JsonSchema {
 public:
  // Throws Error(kInvalidArgument, "JSON schema at PATH: ...") for a malformed schema or one
  // using an unsupported keyword; PATH is a JSON pointer into the schema ("#/properties/a").
  explicit JsonSchema(const Json& schema);
  ~JsonSchema();
  JsonSchema(JsonSchema&&) noexcept;
  JsonSchema& operator=(JsonSchema&&) noexcept;

  // Empty when `value` satisfies the schema; otherwise the first violation found, as
  // "PATH: message" with PATH a JSON path into the value ($.items[2].name). Values nested so
  // deep that more than 256 $ref hops are needed are invalid ("$ref recursion deeper than 256
  // levels").
  std::string Validate(const Json& value) const;
  bool IsValid(const Json& value) const;

  struct Compiled;

 private:
  std::unique_ptr<const Compiled> compiled_;
};

// One-off forms of the above (the schema is compiled on every call; compiled patterns are
// cached process-wide). Empty when `value` satisfies `schema`; otherwise "PATH: message".
// Throws like CheckSchema when the schema itself is bad.
std::string ValidateJson(const Json& value, const Json& schema);
// Throws Error(kInvalidArgument, "JSON schema at PATH: ...") for a schema using a keyword
// outside the supported list or malformed (minimum not a number, $ref to nowhere, a pattern
// that does not compile, a $ref cycle that would apply a schema to the same value forever).
// Call once when loading a recipe.
void CheckSchema(const Json& schema);

}  // namespace exaone::foundry

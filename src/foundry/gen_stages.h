// The foundry's generation stages: prompts over record fields answered by a model (generate),
// new tasks from seed tasks (self_instruct), LLM-as-judge scoring with a JSON Schema verdict
// (judge), answer checks (verify), rejection sampling (select_best) and one record per list
// element (explode). See docs/foundry.md.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "foundry/stage.h"

namespace exaone::foundry {

std::unique_ptr<Stage> MakeGenerateStage(const StageSpec&, const Recipe&, Settings&);
std::unique_ptr<Stage> MakeSelfInstructStage(const StageSpec&, const Recipe&, Settings&);
std::unique_ptr<Stage> MakeJudgeStage(const StageSpec&, const Recipe&, Settings&);
std::unique_ptr<Stage> MakeVerifyStage(const StageSpec&, const Recipe&, Settings&);
std::unique_ptr<Stage> MakeSelectBestStage(const StageSpec&, const Recipe&, Settings&);
std::unique_ptr<Stage> MakeExplodeStage(const StageSpec&, const Recipe&, Settings&);

// "{field}" replaced by the record's field (strings as they are, other values as JSON), "{{" and
// "}}" by braces. Returns false with the missing field's name in `missing`.
bool RenderTemplate(const std::string& tmpl, const Json& fields, std::string& out,
                    std::string& missing);

// The answer a verifier compares: the content of the last \boxed{...} (nested braces kept),
// or empty when there is none.
std::string LastBoxed(std::string_view text);
// The last number in the text ("-1,234.5e3" forms; commas between digit groups allowed).
std::optional<double> LastNumber(std::string_view text);

}  // namespace exaone::foundry

#include "foundry/gen_stages.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "base/error.h"
#include "foundry/json_validate.h"
#include "foundry/llm.h"

namespace exaone::foundry {
namespace {

// A seed for one request: the stage's seed, the record and the sample, mixed.
uint64_t RequestSeed(uint64_t seed, const std::string& id, int sample) {
  uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;
  for (unsigned char c : id) h = (h ^ c) * 0x100000001b3ull;
  h ^= static_cast<uint64_t>(sample) * 0xbf58476d1ce4e5b9ull;
  h ^= h >> 31;
  return h & 0x7fffffff;  // servers take seeds as positive integers
}

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// What every stage that asks a model shares: the model, sampling, thinking, the cache.
class ModelStage : public Stage {
 public:
  ModelStage(const StageSpec& spec, const Recipe& recipe, Settings& s) : Stage(spec) {
    model_ = ModelSpec::Parse(s, recipe);
    const Json* sp = s.Raw("sampling");
    Json none = Json::object();
    Settings ss(sp ? *sp : none, s.At("sampling"));
    temperature_ = ss.Number("temperature", 0.7, 0, 2);
    top_p_ = ss.Number("top_p", 1.0, 0, 1);
    max_tokens_ = ss.Int("max_tokens", 1024, 1, 1 << 20);
    seed_ = static_cast<uint64_t>(ss.Int("seed", 0, 0, INT64_MAX));
    ss.Finish();
    thinking_ = s.Bool("thinking", false);
    system_ = s.String("system", "");
  }
  void Bind(const std::string& state_dir, int task) override {
    cache_ =
        std::make_unique<RequestCache>(state_dir + "/" + name(), "task-" + std::to_string(task));
  }
  void Flush() override {
    if (cache_) cache_->Sync();
  }

 protected:
  Json Body(const std::string& prompt, const std::string& system, const Json& schema,
            uint64_t seed) const {
    Json messages = Json::array();
    if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
    messages.push_back({{"role", "user"}, {"content", prompt}});
    Json b = {{"messages", messages}, {"temperature", temperature_},
              {"top_p", top_p_},      {"max_tokens", max_tokens_},
              {"seed", seed},         {"chat_template_kwargs", {{"enable_thinking", thinking_}}}};
    if (!schema.is_null()) {
      b["response_format"] = {
          {"type", "json_schema"},
          {"json_schema", {{"name", "output"}, {"schema", schema}, {"strict", true}}}};
    }
    return b;
  }
  // Answers for `bodies`, from the cache where it has them.
  std::vector<LlmAnswer> Ask(const std::vector<Json>& bodies) {
    std::vector<LlmAnswer> out(bodies.size());
    std::vector<std::string> keys(bodies.size());
    std::vector<Json> todo;
    std::vector<size_t> where;
    for (size_t i = 0; i < bodies.size(); ++i) {
      keys[i] = HashHex(model_.Key() + "\n" + Dump(bodies[i]));
      if (!cache_ || !cache_->Find(keys[i], out[i])) {
        todo.push_back(bodies[i]);
        where.push_back(i);
      }
    }
    if (!todo.empty()) {
      if (!llm_) llm_ = Llm::Get(model_);
      std::vector<LlmAnswer> got = llm_->Chat(todo);
      for (size_t k = 0; k < got.size(); ++k) {
        if (got[k].error.empty() && cache_) cache_->Put(keys[where[k]], got[k]);
        out[where[k]] = std::move(got[k]);
      }
    }
    return out;
  }
  Json Provenance(const std::vector<uint64_t>& seeds) const {
    Json j = {{"model", model_.endpoint.empty() ? model_.Key() : model_.endpoint},
              {"sampling",
               {{"temperature", temperature_},
                {"top_p", top_p_},
                {"max_tokens", max_tokens_},
                {"thinking", thinking_}}},
              {"seeds", seeds}};
    if (!model_.model.empty()) j["model_id"] = model_.model;
    return j;
  }

  ModelSpec model_;
  double temperature_, top_p_;
  int64_t max_tokens_;
  uint64_t seed_;
  bool thinking_;
  std::string system_;
  std::shared_ptr<Llm> llm_;
  std::unique_ptr<RequestCache> cache_;
};

// generate: a prompt per record (samples of it), the answer into output_field.
class GenerateStage : public ModelStage {
 public:
  GenerateStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : ModelStage(spec, recipe, s) {
    const auto p = s.String("prompt");
    if (!p || p->empty())
      RecipeError(s.At("prompt"), "needs a prompt template (\"... {field} ...\")");
    prompt_ = *p;
    output_ = s.String("output_field", "output");
    reasoning_ = s.String("reasoning_field", "reasoning");
    samples_ = static_cast<int>(s.Int("samples", 1, 1, 1024));
    if (const Json* schema = s.Raw("response_format")) {
      try {
        CheckSchema(*schema);
      } catch (const Error& e) {
        RecipeError(s.At("response_format"), e.what());
      }
      schema_ = *schema;
      parse_json_ = true;
    }
  }
  Verdict Process(Record&) override { return Verdict::Keep(); }
  void ProcessBlock(const std::vector<Record*>& records, std::vector<Verdict>& verdicts) override {
    verdicts.assign(records.size(), Verdict::Keep());
    std::vector<Json> bodies;
    std::vector<std::pair<size_t, int>> of;  // (record, sample)
    std::vector<std::vector<uint64_t>> seeds(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      std::string prompt, system, missing;
      if (!RenderTemplate(prompt_, records[i]->data, prompt, missing) ||
          !RenderTemplate(system_, records[i]->data, system, missing)) {
        verdicts[i] = Verdict::Drop("missing_field", {{"field", missing}});
        continue;
      }
      for (int k = 0; k < samples_; ++k) {
        const uint64_t seed = RequestSeed(seed_, records[i]->id, k);
        seeds[i].push_back(seed);
        bodies.push_back(Body(prompt, system, schema_, seed));
        of.emplace_back(i, k);
      }
    }
    const std::vector<LlmAnswer> answers = Ask(bodies);
    std::vector<Json> outputs(records.size(), Json::array()),
        thoughts(records.size(), Json::array());
    for (size_t j = 0; j < answers.size(); ++j) {
      const size_t i = of[j].first;
      if (!verdicts[i].keep) continue;
      const LlmAnswer& a = answers[j];
      if (!a.error.empty()) {
        verdicts[i] = Verdict::Drop("generation_error", {{"error", a.error}});
        continue;
      }
      Json value = a.content;
      if (parse_json_) {
        try {
          value = Json::parse(a.content);
        } catch (const Json::exception&) {
          verdicts[i] = Verdict::Drop("invalid_json", {{"content", a.content.substr(0, 200)},
                                                       {"finish_reason", a.finish_reason}});
          continue;
        }
        const std::string err = ValidateJson(value, schema_);
        if (!err.empty()) {
          verdicts[i] = Verdict::Drop("schema_violation", {{"error", err}});
          continue;
        }
      }
      outputs[i].push_back(std::move(value));
      thoughts[i].push_back(a.reasoning);
    }
    for (size_t i = 0; i < records.size(); ++i) {
      if (!verdicts[i].keep) continue;
      Record& r = *records[i];
      const bool any_reasoning =
          std::any_of(thoughts[i].begin(), thoughts[i].end(),
                      [](const Json& t) { return !t.get<std::string>().empty(); });
      if (samples_ == 1) {
        r.data[output_] = outputs[i][0];
        if (any_reasoning) r.data[reasoning_] = thoughts[i][0];
      } else {
        r.data[output_] = outputs[i];
        if (any_reasoning) r.data[reasoning_] = thoughts[i];
      }
      r.generation[name()] = Provenance(seeds[i]);
    }
  }

 protected:
  std::string prompt_, output_, reasoning_;
  int samples_;
  Json schema_;
  bool parse_json_ = false;
};

const char* kSelfInstructPrompt =
    "Here are examples of tasks:\n\n{examples}\n\nWrite {count} new tasks of the same kind that "
    "are different from the examples and from each other. Answer with a JSON array of strings.";

// self_instruct: from each seed task and a few others of its block, new tasks; each new task
// becomes a record of its own.
class SelfInstructStage : public ModelStage {
 public:
  SelfInstructStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : ModelStage(spec, recipe, s) {
    field_ = s.String("field", "instruction");
    examples_ = static_cast<int>(s.Int("examples", 3, 1, 20));
    count_ = static_cast<int>(s.Int("new_tasks", 4, 1, 100));
    prompt_ = s.String("prompt", kSelfInstructPrompt);
    max_chars_ = static_cast<int>(s.Int("max_task_chars", 2000, 10, 1 << 20));
  }
  Verdict Process(Record&) override { return Verdict::Keep(); }
  bool expands() const override { return true; }
  void ProcessBlock(const std::vector<Record*>& records, std::vector<Verdict>& verdicts) override {
    verdicts.assign(records.size(), Verdict::Keep());
    made_.assign(records.size(), {});
    const Json schema = {
        {"type", "array"},
        {"items", {{"type", "string"}, {"minLength", 1}, {"maxLength", max_chars_}}},
        {"minItems", 1},
        {"maxItems", count_}};
    std::vector<Json> bodies;
    std::vector<size_t> of;
    std::vector<uint64_t> seeds(records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      std::string examples;
      for (int k = 0; k < examples_ && k < static_cast<int>(records.size()); ++k) {
        const Record& e = *records[(i + static_cast<size_t>(k)) % records.size()];
        auto it = e.data.find(field_);
        if (it == e.data.end() || !it->is_string()) continue;
        examples += "- " + it->get<std::string>() + "\n";
      }
      if (examples.empty()) {
        verdicts[i] = Verdict::Drop("missing_field", {{"field", field_}});
        continue;
      }
      Json fields = records[i]->data;
      fields["examples"] = examples;
      fields["count"] = count_;
      std::string prompt, missing;
      if (!RenderTemplate(prompt_, fields, prompt, missing)) {
        verdicts[i] = Verdict::Drop("missing_field", {{"field", missing}});
        continue;
      }
      seeds[i] = RequestSeed(seed_, records[i]->id, 0);
      bodies.push_back(Body(prompt, system_, schema, seeds[i]));
      of.push_back(i);
    }
    const std::vector<LlmAnswer> answers = Ask(bodies);
    for (size_t j = 0; j < answers.size(); ++j) {
      const size_t i = of[j];
      const LlmAnswer& a = answers[j];
      if (!a.error.empty()) {
        verdicts[i] = Verdict::Drop("generation_error", {{"error", a.error}});
        continue;
      }
      Json tasks;
      try {
        tasks = Json::parse(a.content);
      } catch (const Json::exception&) {
        verdicts[i] = Verdict::Drop("invalid_json", {{"finish_reason", a.finish_reason}});
        continue;
      }
      if (!ValidateJson(tasks, schema).empty()) {
        verdicts[i] = Verdict::Drop("schema_violation");
        continue;
      }
      const Record& seed = *records[i];
      for (size_t k = 0; k < tasks.size(); ++k) {
        Record r;
        r.id = seed.id + "#" + std::to_string(k);
        r.source = seed.source;
        r.line = seed.line;
        r.data = {{field_, tasks[k]}, {"seed_task", seed.data[field_]}};
        r.generation = seed.generation;
        r.generation[name()] = Provenance({seeds[i]});
        made_[i].push_back(std::move(r));
      }
    }
    block_ = records;
  }
  std::vector<Record> Expand(const Record& r) override {
    for (size_t i = 0; i < block_.size(); ++i) {
      if (block_[i] == &r) {
        std::vector<Record> out = std::move(made_[i]);
        for (Record& o : out) o.stages = r.stages;
        return out;
      }
    }
    return {};
  }

 private:
  std::string field_, prompt_;
  int examples_, count_, max_chars_;
  std::vector<Record*> block_;
  std::vector<std::vector<Record>> made_;
};

const char* kJudgePrompt =
    "You are a strict judge. Rate the answer to the task below on a scale from 1 (useless) to "
    "10 (excellent) following this rubric:\n{rubric}\n\nTask:\n{task}\n\nAnswer:\n{answer}\n\n"
    "Reply with a JSON object with an integer \"score\" and a short \"reason\".";

// judge: a model rates each answer (or each sample) with a verdict that follows a JSON Schema.
class JudgeStage : public ModelStage {
 public:
  JudgeStage(const StageSpec& spec, const Recipe& recipe, Settings& s)
      : ModelStage(spec, recipe, s) {
    task_field_ = s.String("task_field", "instruction");
    answer_field_ = s.String("answer_field", "output");
    output_ = s.String("output_field", "judgement");
    rubric_ = s.String("rubric", "Correct, complete, clear and safe answers score high.");
    prompt_ = s.String("prompt", kJudgePrompt);
    schema_ = {{"type", "object"},
               {"properties",
                {{"score", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10}}},
                 {"reason", {{"type", "string"}, {"maxLength", 600}}}}},
               {"required", {"score", "reason"}},
               {"additionalProperties", false}};
    if (const Json* v = s.Raw("verdict_schema")) {
      try {
        CheckSchema(*v);
      } catch (const Error& e) {
        RecipeError(s.At("verdict_schema"), e.what());
      }
      schema_ = *v;
    }
    score_field_ = s.String("score_field", "score");
    if (auto m = s.Number("min_score", -1e300, 1e300)) min_score_ = *m;
  }
  Verdict Process(Record&) override { return Verdict::Keep(); }
  void ProcessBlock(const std::vector<Record*>& records, std::vector<Verdict>& verdicts) override {
    verdicts.assign(records.size(), Verdict::Keep());
    std::vector<Json> bodies;
    std::vector<std::pair<size_t, size_t>> of;
    std::vector<std::vector<uint64_t>> seeds(records.size());
    std::vector<bool> is_list(records.size(), false);
    for (size_t i = 0; i < records.size(); ++i) {
      const Json& d = records[i]->data;
      if (!d.contains(answer_field_)) {
        verdicts[i] = Verdict::Drop("missing_field", {{"field", answer_field_}});
        continue;
      }
      Json answers = d[answer_field_];
      is_list[i] = answers.is_array();
      if (!is_list[i]) answers = Json::array({answers});
      for (size_t k = 0; k < answers.size(); ++k) {
        Json fields = d;
        fields["task"] = d.contains(task_field_) ? d[task_field_] : Json("");
        fields["answer"] = answers[k];
        fields["rubric"] = rubric_;
        std::string prompt, missing;
        if (!RenderTemplate(prompt_, fields, prompt, missing)) {
          verdicts[i] = Verdict::Drop("missing_field", {{"field", missing}});
          break;
        }
        const uint64_t seed = RequestSeed(seed_, records[i]->id, static_cast<int>(k));
        seeds[i].push_back(seed);
        bodies.push_back(Body(prompt, system_, schema_, seed));
        of.emplace_back(i, k);
      }
    }
    const std::vector<LlmAnswer> answers = Ask(bodies);
    std::vector<Json> out(records.size(), Json::array());
    for (size_t j = 0; j < answers.size(); ++j) {
      const size_t i = of[j].first;
      if (!verdicts[i].keep) continue;
      const LlmAnswer& a = answers[j];
      if (!a.error.empty()) {
        verdicts[i] = Verdict::Drop("judge_error", {{"error", a.error}});
        continue;
      }
      Json v;
      try {
        v = Json::parse(a.content);
      } catch (const Json::exception&) {
        verdicts[i] = Verdict::Drop("invalid_verdict", {{"finish_reason", a.finish_reason}});
        continue;
      }
      const std::string err = ValidateJson(v, schema_);
      if (!err.empty()) {
        verdicts[i] = Verdict::Drop("invalid_verdict", {{"error", err}});
        continue;
      }
      out[i].push_back(std::move(v));
    }
    for (size_t i = 0; i < records.size(); ++i) {
      if (!verdicts[i].keep) continue;
      Record& r = *records[i];
      r.data[output_] = is_list[i] ? out[i] : out[i][0];
      r.generation[name()] = Provenance(seeds[i]);
      if (min_score_) {
        double best = -1e300;
        for (const Json& v : out[i]) {
          if (v.contains(score_field_) && v[score_field_].is_number()) {
            best = std::max(best, v[score_field_].get<double>());
          }
        }
        if (best < *min_score_) {
          verdicts[i] = Verdict::Drop("judge_score", {{"value", best}, {"limit", *min_score_}});
        }
      }
    }
  }

 private:
  std::string task_field_, answer_field_, output_, rubric_, prompt_, score_field_;
  Json schema_;
  std::optional<double> min_score_;
};

// verify: checks each answer (or each sample): exact, numeric or \boxed{} match with an expected
// field, JSON Schema validity, or a full regular-expression match.
class VerifyStage : public Stage {
 public:
  VerifyStage(const StageSpec& spec, const Recipe&, Settings& s) : Stage(spec) {
    kind_ = s.String("kind", "");
    static const std::vector<std::string> kKinds = {"exact", "numeric", "boxed", "json_schema",
                                                    "regex"};
    if (std::find(kKinds.begin(), kKinds.end(), kind_) == kKinds.end()) {
      RecipeError(s.At("kind"), "must be one of exact, numeric, boxed, json_schema, regex");
    }
    field_ = s.String("field", "output");
    expected_ = s.String("expected_field", "answer");
    output_ = s.String("output_field", "verified");
    tolerance_ = s.Number("tolerance", 1e-6, 0, 1e300);
    drop_ = s.Bool("drop", true);
    if (kind_ == "json_schema") {
      const Json* sc = s.Raw("schema");
      if (!sc) RecipeError(s.At("schema"), "a json_schema verifier needs a schema");
      try {
        CheckSchema(*sc);
      } catch (const Error& e) {
        RecipeError(s.At("schema"), e.what());
      }
      schema_ = *sc;
    }
    if (kind_ == "regex") {
      const auto p = s.String("pattern");
      if (!p) RecipeError(s.At("pattern"), "a regex verifier needs a pattern");
      schema_ = {{"type", "string"}, {"pattern", "^(?:" + *p + ")$"}};
      try {
        CheckSchema(schema_);
        (void)ValidateJson(Json(""), schema_);
      } catch (const Error& e) {
        RecipeError(s.At("pattern"), e.what());
      }
    }
  }
  Verdict Process(Record& r) override {
    if (!r.data.contains(field_)) return Verdict::Drop("missing_field", {{"field", field_}});
    const Json& v = r.data[field_];
    const bool list = v.is_array() && kind_ != "json_schema";
    Json results = Json::array();
    bool any = false;
    for (const Json& one : list ? v : Json::array({v})) {
      const bool ok = Check(one, r.data);
      any = any || ok;
      results.push_back(ok);
    }
    r.data[output_] = list ? results : results[0];
    if (drop_ && !any) return Verdict::Drop("verify_" + kind_);
    return Verdict::Keep();
  }

 private:
  static std::string Norm(std::string s) {
    std::string out;
    for (char c : s) {
      if (!std::isspace(static_cast<unsigned char>(c)) && c != '$') out += c;
    }
    return out;
  }
  bool Check(const Json& value, const Json& data) const {
    if (kind_ == "json_schema") {
      Json v = value;
      if (v.is_string()) {
        try {
          v = Json::parse(v.get<std::string>());
        } catch (const Json::exception&) {
          return false;
        }
      }
      return ValidateJson(v, schema_).empty();
    }
    const std::string text = value.is_string() ? value.get<std::string>() : Dump(value);
    if (kind_ == "regex") return ValidateJson(Json(text), schema_).empty();
    if (!data.contains(expected_)) return false;
    const Json& e = data[expected_];
    const std::string want = e.is_string() ? e.get<std::string>() : Dump(e);
    if (kind_ == "exact") return Norm(text) == Norm(want);
    std::string got = text;
    if (kind_ == "boxed") {
      got = LastBoxed(text);
      if (got.empty()) return false;
      if (Norm(got) == Norm(LastBoxed(want).empty() ? want : LastBoxed(want))) return true;
    }
    const auto a = LastNumber(got), b = LastNumber(want);
    if (!a || !b) return false;
    return std::fabs(*a - *b) <= tolerance_ * std::max(1.0, std::fabs(*b));
  }
  std::string kind_, field_, expected_, output_;
  double tolerance_;
  bool drop_;
  Json schema_;
};

// select_best: rejection sampling. Of a record's samples, those that passed the verifier (when
// a verified field is given) and scored highest with the judge (when a judgement field is
// given); the first such one is kept.
class SelectBestStage : public Stage {
 public:
  SelectBestStage(const StageSpec& spec, const Recipe&, Settings& s) : Stage(spec) {
    field_ = s.String("field", "output");
    verified_ = s.String("verified_field", "");
    judgement_ = s.String("judgement_field", "");
    score_ = s.String("score_field", "score");
    output_ = s.String("output_field", field_);
    if (verified_.empty() && judgement_.empty()) {
      RecipeError(s.path(), "select_best needs a verified_field, a judgement_field or both");
    }
  }
  Verdict Process(Record& r) override {
    if (!r.data.contains(field_) || !r.data[field_].is_array()) {
      return Verdict::Drop("missing_field", {{"field", field_}});
    }
    const Json samples = r.data[field_];
    int best = -1;
    double best_score = -1e300;
    for (size_t k = 0; k < samples.size(); ++k) {
      if (!verified_.empty()) {
        const Json& v = r.data.contains(verified_) ? r.data[verified_] : Json();
        if (!v.is_array() || k >= v.size() || !v[k].is_boolean() || !v[k].get<bool>()) continue;
      }
      double score = 0;
      if (!judgement_.empty()) {
        const Json& j = r.data.contains(judgement_) ? r.data[judgement_] : Json();
        if (!j.is_array() || k >= j.size() || !j[k].contains(score_) || !j[k][score_].is_number()) {
          continue;
        }
        score = j[k][score_].get<double>();
      }
      if (best < 0 || score > best_score) {
        best = static_cast<int>(k);
        best_score = score;
      }
    }
    if (best < 0) return Verdict::Drop("no_passing_sample");
    r.data[output_] = samples[static_cast<size_t>(best)];
    r.data["selected_sample"] = best;
    return Verdict::Keep();
  }

 private:
  std::string field_, verified_, judgement_, score_, output_;
};

// explode: one record per element of a list field.
class ExplodeStage : public Stage {
 public:
  ExplodeStage(const StageSpec& spec, const Recipe&, Settings& s) : Stage(spec) {
    field_ = s.String("field", "");
    if (field_.empty()) RecipeError(s.At("field"), "needs the list field to split");
    into_ = s.String("into", field_);
  }
  Verdict Process(Record& r) override {
    if (!r.data.contains(field_) || !r.data[field_].is_array() || r.data[field_].empty()) {
      return Verdict::Drop("missing_field", {{"field", field_}});
    }
    return Verdict::Keep();
  }
  bool expands() const override { return true; }
  std::vector<Record> Expand(const Record& r) override {
    std::vector<Record> out;
    const Json list = r.data[field_];
    for (size_t k = 0; k < list.size(); ++k) {
      Record e = r;
      e.id = r.id + "#" + std::to_string(k);
      e.data.erase(field_);
      e.data[into_] = list[k];
      out.push_back(std::move(e));
    }
    return out;
  }

 private:
  std::string field_, into_;
};

}  // namespace

bool RenderTemplate(const std::string& tmpl, const Json& fields, std::string& out,
                    std::string& missing) {
  out.clear();
  for (size_t i = 0; i < tmpl.size();) {
    const char c = tmpl[i];
    if ((c == '{' || c == '}') && i + 1 < tmpl.size() && tmpl[i + 1] == c) {
      out += c;
      i += 2;
      continue;
    }
    if (c == '{') {
      const size_t end = tmpl.find('}', i + 1);
      if (end != std::string::npos) {
        const std::string key = tmpl.substr(i + 1, end - i - 1);
        auto it = fields.find(key);
        if (it == fields.end()) {
          missing = key;
          return false;
        }
        out += it->is_string() ? it->get<std::string>() : Dump(*it);
        i = end + 1;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return true;
}

std::string LastBoxed(std::string_view text) {
  const size_t at = text.rfind("\\boxed{");
  if (at == std::string_view::npos) return "";
  size_t i = at + 7;
  int depth = 1;
  const size_t start = i;
  for (; i < text.size(); ++i) {
    if (text[i] == '{') ++depth;
    if (text[i] == '}' && --depth == 0) return std::string(text.substr(start, i - start));
  }
  return "";
}

std::optional<double> LastNumber(std::string_view text) {
  std::optional<double> last;
  for (size_t i = 0; i < text.size();) {
    const bool sign = (text[i] == '-' || text[i] == '+') && i + 1 < text.size() &&
                      std::isdigit(static_cast<unsigned char>(text[i + 1]));
    if (!sign && !std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    if (i > 0 && std::isalpha(static_cast<unsigned char>(text[i - 1]))) {
      ++i;
      continue;
    }
    std::string num;
    size_t j = i;
    if (sign) num += text[j++];
    while (j < text.size()) {
      const char c = text[j];
      if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
        num += c;
      } else if (c == ',' && j + 3 < text.size() + 0 && j + 1 < text.size() &&
                 std::isdigit(static_cast<unsigned char>(text[j + 1]))) {
        // thousands separator
      } else if ((c == 'e' || c == 'E') && j + 1 < text.size() &&
                 (std::isdigit(static_cast<unsigned char>(text[j + 1])) ||
                  ((text[j + 1] == '-' || text[j + 1] == '+') && j + 2 < text.size() &&
                   std::isdigit(static_cast<unsigned char>(text[j + 2]))))) {
        num += c;
        num += text[++j];
      } else {
        break;
      }
      ++j;
    }
    while (!num.empty() && num.back() == '.') num.pop_back();
    char* end = nullptr;
    const double v = std::strtod(num.c_str(), &end);
    if (end && *end == '\0' && std::isfinite(v)) last = v;
    i = j;
  }
  return last;
}

std::unique_ptr<Stage> MakeGenerateStage(const StageSpec& spec, const Recipe& r, Settings& s) {
  return std::make_unique<GenerateStage>(spec, r, s);
}
std::unique_ptr<Stage> MakeSelfInstructStage(const StageSpec& spec, const Recipe& r, Settings& s) {
  return std::make_unique<SelfInstructStage>(spec, r, s);
}
std::unique_ptr<Stage> MakeJudgeStage(const StageSpec& spec, const Recipe& r, Settings& s) {
  return std::make_unique<JudgeStage>(spec, r, s);
}
std::unique_ptr<Stage> MakeVerifyStage(const StageSpec& spec, const Recipe& r, Settings& s) {
  return std::make_unique<VerifyStage>(spec, r, s);
}
std::unique_ptr<Stage> MakeSelectBestStage(const StageSpec& spec, const Recipe& r, Settings& s) {
  return std::make_unique<SelectBestStage>(spec, r, s);
}
std::unique_ptr<Stage> MakeExplodeStage(const StageSpec& spec, const Recipe& r, Settings& s) {
  return std::make_unique<ExplodeStage>(spec, r, s);
}

}  // namespace exaone::foundry

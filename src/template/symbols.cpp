// ref: jinja2/idtracking.py (Symbols, RootVisitor, FrameSymbolVisitor) and the frame handling of
// jinja2/compiler.py (visit_For, macro_body, visit_With, visit_FilterBlock, visit_AssignBlock).
#include "template/symbols.h"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace exaone::tmpl {
namespace {

class Symbols {
 public:
  explicit Symbols(const Symbols* parent) : parent_(parent) {}

  bool FindRef(const std::string& name) const {
    for (const Symbols* s = this; s; s = s->parent_) {
      if (s->refs_.count(name)) return true;
    }
    return false;
  }

  void Store(const std::string& name) {
    stores_.insert(name);
    if (refs_.count(name)) return;
    refs_[name] = parent_ && parent_->FindRef(name) ? LoadKind::kAlias : LoadKind::kUndefined;
  }

  void DeclareParameter(const std::string& name) {
    stores_.insert(name);
    refs_[name] = LoadKind::kParameter;
  }

  void Load(const std::string& name) {
    if (!FindRef(name)) refs_[name] = LoadKind::kResolve;
  }

  // Names stored in only some branches of an if start from the enclosing value (or the render
  // variables), since the branch that stores them may not run.
  void BranchUpdate(const std::vector<Symbols>& branches) {
    std::set<std::string> stores;
    for (const Symbols& b : branches) stores.insert(b.stores_.begin(), b.stores_.end());
    for (const std::string& s : stores_) stores.erase(s);
    for (const Symbols& b : branches) {
      for (const auto& [name, kind] : b.refs_) refs_[name] = kind;
      stores_.insert(b.stores_.begin(), b.stores_.end());
    }
    for (const std::string& name : stores) {
      refs_[name] = parent_ && parent_->FindRef(name) ? LoadKind::kAlias : LoadKind::kResolve;
    }
  }

  std::shared_ptr<FrameInfo> ToFrameInfo() const {
    auto info = std::make_shared<FrameInfo>();
    for (const auto& [name, kind] : refs_) {
      info->loads.emplace_back(name, kind);
      info->refs.insert(name);
    }
    return info;
  }

 private:
  const Symbols* parent_;
  std::map<std::string, LoadKind> refs_;
  std::set<std::string> stores_;
};

// Visits the nodes that belong to one frame (FrameSymbolVisitor): nested frames contribute only
// what the enclosing frame evaluates (a loop's iterable, a macro's name, ...). Their own
// statements are collected and analysed afterwards, once this frame's symbols are complete.
class FrameVisitor {
 public:
  FrameVisitor(Symbols* symbols, std::vector<tmpl::Stmt*>* children)
      : symbols_(symbols), children_(children) {}

  void Expr(const tmpl::Expr* e) {
    if (!e) return;
    if (e->kind == ExprKind::kName) {
      symbols_->Load(e->name);
      return;
    }
    for (const auto& a : e->args) Expr(a.get());
    for (const auto& [k, v] : e->kwargs) Expr(v.get());
  }

  void Target(const tmpl::Target& t, bool as_param) {
    switch (t.type) {
      case Target::Type::kName:
        as_param ? symbols_->DeclareParameter(t.name) : symbols_->Store(t.name);
        return;
      case Target::Type::kTuple:
        for (const auto& item : t.items) Target(item, as_param);
        return;
      case Target::Type::kNamespaceAttr:
        symbols_->Load(t.name);
        return;
    }
  }

  void Stmts(const StmtList& body) {
    for (const StmtPtr& s : body) Stmt(*s);
  }

  void Stmt(tmpl::Stmt& s) {
    switch (s.kind) {
      case StmtKind::kPrint:
        Expr(s.expr.get());
        return;
      case StmtKind::kIf: {
        Expr(s.expr.get());
        Symbols* original = symbols_;
        std::vector<Symbols> branches(2, *original);
        symbols_ = &branches[0];
        Stmts(*s.body);
        symbols_ = &branches[1];
        Stmts(s.else_body);
        symbols_ = original;
        symbols_->BranchUpdate(branches);
        return;
      }
      case StmtKind::kFor:
        Expr(s.expr.get());
        break;
      case StmtKind::kSet:
        Expr(s.expr.get());
        Target(s.target, false);
        return;
      case StmtKind::kSetBlock:
        Target(s.target, false);
        break;
      case StmtKind::kMacro:
        symbols_->Store(s.name);
        break;
      case StmtKind::kCallBlock:
        Expr(s.expr.get());
        break;
      case StmtKind::kFilterBlock:
        Expr(s.filter.get());
        break;
      case StmtKind::kWith:
        for (const auto& v : s.values) Expr(v.get());
        break;
      case StmtKind::kGeneration:
        break;
      case StmtKind::kData:
      case StmtKind::kBreak:
      case StmtKind::kContinue:
        return;
    }
    children_->push_back(&s);
  }

 private:
  Symbols* symbols_;
  std::vector<tmpl::Stmt*>* children_;
};

void AnalyzeFrames(const std::vector<Stmt*>& frames, const Symbols& parent);

// Analyses one frame: `fill` visits its nodes; then its nested frames are analysed in turn.
template <typename Fill>
std::shared_ptr<FrameInfo> Frame(const Symbols& parent, Fill fill) {
  Symbols symbols(&parent);
  std::vector<Stmt*> children;
  FrameVisitor visitor(&symbols, &children);
  fill(symbols, visitor);
  AnalyzeFrames(children, symbols);
  return symbols.ToFrameInfo();
}

void DeclareMacroParams(Symbols& symbols, FrameVisitor& v, const MacroSignature& sig) {
  for (const std::string& p : sig.params) symbols.DeclareParameter(p);
  for (const auto& d : sig.defaults) v.Expr(d.get());
}

void DeclareSpecialParams(Symbols& symbols, const MacroSignature& sig) {
  if (sig.uses_caller) symbols.DeclareParameter("caller");
  if (sig.uses_kwargs) symbols.DeclareParameter("kwargs");
  if (sig.uses_varargs) symbols.DeclareParameter("varargs");
}

void AnalyzeFrames(const std::vector<Stmt*>& frames, const Symbols& parent) {
  for (Stmt* sp : frames) {
    Stmt& s = *sp;
    switch (s.kind) {
      case StmtKind::kFor:
        s.frame = Frame(parent, [&](Symbols& sym, FrameVisitor& v) {
          v.Target(s.target, true);
          sym.DeclareParameter("loop");
          v.Stmts(*s.body);
        });
        s.test_frame = Frame(parent, [&](Symbols&, FrameVisitor& v) {
          v.Target(s.target, true);
          v.Expr(s.cond.get());
        });
        s.else_frame = Frame(parent, [&](Symbols&, FrameVisitor& v) { v.Stmts(s.else_body); });
        break;
      case StmtKind::kMacro:
      case StmtKind::kCallBlock:
        s.frame = Frame(parent, [&](Symbols& sym, FrameVisitor& v) {
          DeclareMacroParams(sym, v, *s.signature);
          v.Stmts(*s.body);
          DeclareSpecialParams(sym, *s.signature);
        });
        break;
      case StmtKind::kFilterBlock:
        s.frame = Frame(parent, [&](Symbols&, FrameVisitor& v) {
          v.Stmts(*s.body);
          v.Expr(s.filter.get());
        });
        break;
      case StmtKind::kWith:
        s.frame = Frame(parent, [&](Symbols&, FrameVisitor& v) {
          for (const auto& t : s.targets) v.Target(t, true);
          v.Stmts(*s.body);
        });
        break;
      case StmtKind::kSetBlock:
      case StmtKind::kGeneration:
        s.frame = Frame(parent, [&](Symbols&, FrameVisitor& v) { v.Stmts(*s.body); });
        break;
      default:
        break;
    }
  }
}

}  // namespace

std::shared_ptr<FrameInfo> AnalyzeScopes(StmtList& body) {
  // The root frame has no parent frame: its stores start undefined, its loads resolve.
  Symbols root(nullptr);
  std::vector<Stmt*> children;
  FrameVisitor visitor(&root, &children);
  visitor.Stmts(body);
  AnalyzeFrames(children, root);
  return root.ToFrameInfo();
}

}  // namespace exaone::tmpl

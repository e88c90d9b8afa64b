#!/usr/bin/env python3
"""Side-by-side speed of `exaone foundry` against datatrove on one core, in one run, on the same
input. Usage:

  .venv/bin/python bench/compare_foundry.py [--mb 20] [--out FILE] [--repeat 3]
      [--datatrove spacy|split|both] [--exaone build/release/cli/exaone] [--workdir DIR]

Input: --mb megabytes of English-like JSONL ({"id", "text"}) made deterministically here (a fixed
seed, a built-in vocabulary and sentence templates): documents of 200-2000 words in lines and
paragraphs, most of them clean prose, the rest web pages with navigation / cookie / JavaScript
lines and citation marks, bullet lists, pages repeating a paragraph, code with braces, lorem ipsum
and near-duplicates of earlier documents (about 1% of the words changed), so that every filter
and the deduplication have work to do.

What is measured (each side single-threaded: `exaone foundry run -j 1` on one input file, i.e. one
task; datatrove's LocalPipelineExecutor with tasks=1, workers=1, in one process):

1. MinHash signatures, 5-word shingles, 14 bands x 8 rows of 64-bit hashes.
   datatrove: MinhashDedupSignature (xxhash64, its default text normalization and English word
   tokenizer), the step alone: CPU time of the whole pipeline minus the time spent upstream in
   JsonlReader (a probe between the two measures it), so JSON parsing is excluded; the step's
   signature files and their sorting are included.
   ours: the signature phase of a recipe with only minhash_dedup (phase 0: read, parse, shingle,
   sign, write the hand-off), run alone with `--tasks 1 --phase 0 --task-index 0`, minus the same
   phase of a recipe with only exact_dedup (same reading, parsing and hand-off; a 128-bit hash as
   key): what remains is canonicalization + shingling + MinHash. CPU seconds (user + sys).
   Also end to end: ours `run -j 1` of the minhash recipe (all phases, output written);
   datatrove's four stages (signatures incl. reading, buckets, clusters, filter with JsonlWriter).
2. The quality filter chain: ours gopher (quality + repetition), c4, fineweb stages with their
   default (published) thresholds; datatrove GopherRepetitionFilter, GopherQualityFilter,
   C4QualityFilter, FineWebQualityFilter with their defaults (the same thresholds). Stage time:
   ours the stages' seconds from stats.json (wall clock, so time lost to other processes on a
   shared machine counts against ours), datatrove CPU time spent inside the four filters (probes
   before and after them). Also end to end: read -> filters -> uncompressed JSONL out.
3. Peak memory: each process's maximum resident set (getrusage of the child, via wait4).

Tokenizers, offline: datatrove's English word tokenizer is spaCy's blank "en" pipeline (rules
shipped in the spacy package, no model download); C4QualityFilter splits lines (split_paragraph=
True, C4's own setting) and counts sentences with the same spaCy sentencizer, so no NLTK data is
needed. Most of datatrove's time goes to spaCy, so it is also run (--datatrove both, the default)
with the cheapest tokenizer its steps accept: words are str.split() pieces, sentences end at
. ! ? before a space (a WordTokenizer defined here, passed as the steps' language): about the
most any tokenizer choice could gain it, at the cost of its word statistics (punctuation stays
on the words).

Needed packages: datatrove, spacy, xxhash < 4, regex, orjson and tokenizers (imported by
datatrove's dedup package); bench/requirements.txt pins them. Not datatrove[processing], which
brings trafilatura, fasttext and more that none of these steps use.

Ours runs --repeat times (the fastest run counts); datatrove once (it takes minutes). MB = 10^6
bytes of input JSONL. Prints a markdown table; --out FILE writes it too (FILE.json: raw numbers).
"""
import argparse
import datetime
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = 20240611

# ---------------------------------------------------------------------------------------------
# Input corpus

NOUNS = """
account action activity address advice afternoon agency agreement air amount analysis animal
answer apartment application approach area argument army article artist aspect assessment
attention audience author authority balance bank basis battle bed behavior benefit bill bird
blood board boat body book border bottle box brain branch bread bridge brother budget building
business camera campaign capital car card career case cause cell center century chain chair
chance change chapter character child choice church city claim class client climate coast code
coffee collection college color committee community company comparison competition computer
concept concern condition conference connection consequence context contract control
conversation country county course court culture customer cycle data database daughter deal
death debate decade decision definition degree department design detail development device
difference dinner direction director discussion disease distance district doctor document door
driver economy edition editor education effect effort election element emotion employee energy
engine environment equipment error event evidence example exchange experience expert factor
failure family farm father feature feedback field figure film finding fire floor flower food
force forest form foundation frame freedom friend function fund future game garden generation
goal government group growth guidance guest hall hand health heart history hole home hospital
hotel house housing idea image impact importance income industry information initiative
instance institution instrument insurance interest interview investment island issue item job
journey judge key kitchen knowledge lab lake land language law leader lesson letter level
library life light line list literature location loss machine management manager market
marriage material matter meal measure media medicine meeting member memory message method
middle mind minute mission model moment money month morning mother mountain movement music
nature network news night number object office officer opinion opportunity option order
organization outcome owner page painting paper parent park part partner party passage path
patient pattern payment people performance period person perspective phase philosophy phone
photo physics picture piece place plan plant platform player poem poet point policy population
position possibility power practice preference presence president pressure price principle
priority problem procedure process product profession professor profit program project
property proposal protection purpose quality question radio range rate reaction reader reality
reason recipe record region relation relationship report republic request research resource
response responsibility result review revolution river road role room rule safety sample scale
scene school science screen season sector security selection sense series service session
setting shape share shop side signal site situation skill society software soil solution son
song sound source space speech sport staff stage standard statement station status step
story strategy street strength structure student studio study style subject success summer
supply support surface survey system table task teacher team technology television term test
text theory thing thought time tool topic town tradition training transport treatment tree
trip truth type unit university user valley value variety version video view village vision
voice volume wall war water wave way weakness wealth weather week weight window winter woman
wood word work worker world writer year youth
""".split()

ADJECTIVES = """
able academic active actual additional administrative afraid aggressive ancient annual
anxious apparent appropriate available aware basic beautiful best better big bitter brief
bright broad busy careful central certain cheap chemical chief civil classic clean clear close
cold comfortable commercial common complete complex concerned confident conscious consistent
constant content cool correct critical cultural curious current dangerous dark dear deep
democratic dependent detailed different difficult digital direct distinct domestic dramatic
early eastern easy economic educational effective efficient elderly electric electronic
emotional empty entire environmental equal essential every exact excellent existing expensive
explicit external extra fair familiar famous far fast federal final financial fine firm
flexible foreign formal former free frequent fresh friendly full fundamental funny general
gentle genuine global golden good grand great green happy hard healthy heavy helpful hidden
high historical honest huge human ideal important impossible impressive independent
individual industrial informal initial inner intelligent interesting internal international
key large late legal likely limited literary little local logical long loud low lucky main
major manual medical mental minor mobile modern moral narrow national natural necessary
negative nervous new nice normal novel obvious official old open operational opposite
original other overall patient perfect personal physical plain pleasant political poor
popular positive possible powerful practical precious present previous primary private
professional proper public pure quick quiet rapid rare raw ready real recent regional regular
relevant remarkable remote responsible rich right rough round rural safe scientific secure
senior sensitive separate serious severe sharp short significant silent similar simple single
slow small smart smooth social soft solid special specific stable standard steady strange
strict strong structural successful sudden sufficient suitable sweet technical temporary
thick thin tiny total tough traditional typical unique united unusual upper urban useful
usual valuable various vast visible visual warm weak wealthy western whole wide wild wise
wonderful wooden young
""".split()

VERBS_PAST = """
accepted achieved acquired added addressed adopted affected allowed analyzed announced
answered appeared applied approached argued arranged asked assumed attended avoided began
believed borrowed brought built called captured carried caught caused changed chose claimed
cleaned closed collected combined compared completed concluded confirmed considered contained
continued contributed controlled covered created crossed defined delivered demonstrated
described designed destroyed determined developed discovered discussed divided doubled drew
earned eliminated emerged encouraged ended enjoyed ensured entered established estimated
examined expanded expected explained explored expressed extended faced finished followed
formed found gained gathered generated grew handled helped identified ignored illustrated
imagined improved included increased indicated influenced informed introduced invited
involved joined kept knew launched learned left lifted limited linked listed lost maintained
managed marked measured met missed mixed moved needed noticed observed obtained offered opened
organized owned painted passed performed picked placed planned played prepared presented
preserved pressed prevented produced promised protected proved provided published pulled
pushed raised reached read received recognized recorded reduced reflected refused released
remained remembered removed repeated replaced reported represented required resolved returned
revealed reviewed saved selected sent served shared showed signed solved spent started stated
stopped studied suggested supported surrounded taught tested thought tracked trained
transformed treated turned understood updated used valued visited walked wanted watched
welcomed wrote
""".split()

ADVERBS = """
actually almost already also always carefully certainly clearly closely completely constantly
currently directly easily effectively especially eventually exactly finally firmly frequently
fully generally gradually greatly heavily highly immediately increasingly initially largely
later likely mainly merely mostly naturally nearly normally obviously occasionally often
partly perhaps possibly previously primarily probably quickly quietly rapidly rarely readily
really recently regularly relatively roughly seriously significantly simply slightly slowly
soon steadily strongly suddenly surely typically ultimately usually widely
""".split()

PREPOSITIONS = """about above across after against along among around at before behind below
beside between beyond by during for from in inside into near of on onto outside over through
toward under until upon with within without""".split()

NAMES = """Anderson Baker Carter Davis Edwards Fischer Garcia Harris Ito Jensen Kim Lee Martin
Nakamura Novak Park Quinn Rossi Silva Tanaka Walker Young Zhang Moreau Schmidt Ahmed Costa
Dubois Hansen Kowalski""".split()

PLACES = """Lisbon Denver Oslo Kyoto Busan Lyon Austin Leeds Porto Seville Tampere Graz Ghent
Utrecht Bergen Malmo Geneva Dresden Bologna Nagoya Incheon Krakow Halifax Perth Adelaide""".split()

TEMPLATES = [
    "The {adj} {noun} {verb} the {noun} {prep} the {adj} {noun}.",
    "In {year}, {name} {verb} a {adj} {noun} that {adv} {verb} the {noun} of {place}.",
    "Many {noun}s {adv} {verb} that the {noun} was {adj} and {adj}.",
    "According to the {noun}, the {adj} {noun} {verb} {num} percent of the {noun}s {prep} {place}.",
    "It is {adj} to see how the {noun} {verb} the {adj} {noun} and the {noun}.",
    "{name} {adv} {verb} the {noun}, but the {noun} {verb} {prep} the {noun}.",
    "This {noun} {verb} a {adj} {noun} for every {noun} {prep} the {noun}.",
    "When the {noun} {verb} the {noun}, the {adj} {noun}s {verb} {adv}.",
    "The {noun} of the {noun} has {verb} the {adj} {noun} since {year}.",
    "Why would a {adj} {noun} {verb_base} the {noun} {prep} the {noun}?",
    "Some {noun}s {verb} the {noun}, while others {verb} a {adj} {noun} instead.",
    "As {name} {verb} in the {noun}, \"the {noun} is {adv} {adj} for the {noun}.\"",
    "With {num} {noun}s and a {adj} {noun}, the {noun} {verb} the {noun} {prep} {place}.",
    "The {adj} {noun} and the {adj} {noun} {verb} {adv}, which {verb} the {noun}.",
    "After the {noun} {verb}, {name} and {name} {verb} a {noun} with the {noun}.",
    "There was a {adj} {noun} {prep} the {noun}, and it {verb} the {noun} {adv}.",
    "Researchers at the {noun} in {place} {verb} that {adj} {noun}s {verb} the {noun}.",
    "The {noun} is {adj}, the {noun} is {adj}, and the {noun} {verb} {prep} the {noun}!",
    "To {verb_base} the {noun}, the {noun} must have a {adj} {noun} and a {adj} {noun}.",
    "Each {noun} {verb} about {num} {noun}s during the {adj} {noun} of {year}.",
]

NAV = ["Home | About | Contact | Blog", "Menu", "Search", "Share this article", "Read more",
       "Sign in | Register", "Previous | Next", "Posted by admin", "Tags: news, updates"]
BOILER = [
    "This website uses cookies to improve your experience.",
    "Please enable JavaScript in your browser to view this page.",
    "By using this site you agree to our terms of use and privacy policy.",
    "Copyright 2023 All rights reserved.",
    "Subscribe to our newsletter for more updates!",
]
LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor "
         "incididunt ut labore et dolore magna aliqua.")


class Writer:
    """Deterministic English-like text from the vocabulary and templates above."""

    def __init__(self, rng):
        self.r = rng

    def sentence(self):
        r = self.r
        t = r.choice(TEMPLATES)
        out = []
        i = 0
        while True:
            j = t.find("{", i)
            if j < 0:
                out.append(t[i:])
                break
            out.append(t[i:j])
            k = t.index("}", j)
            slot = t[j + 1:k]
            if slot == "noun":
                w = r.choice(NOUNS)
            elif slot == "adj":
                w = r.choice(ADJECTIVES)
            elif slot == "verb":
                w = r.choice(VERBS_PAST)
            elif slot == "verb_base":
                w = r.choice(VERBS_PAST)
                w = w[:-2] if w.endswith("ed") else w
            elif slot == "adv":
                w = r.choice(ADVERBS)
            elif slot == "prep":
                w = r.choice(PREPOSITIONS)
            elif slot == "name":
                w = r.choice(NAMES)
            elif slot == "place":
                w = r.choice(PLACES)
            elif slot == "year":
                w = str(r.randint(1950, 2024))
            else:  # num
                w = str(r.randint(2, 99))
            out.append(w)
            i = k + 1
        s = "".join(out)
        return s[0].upper() + s[1:]

    def paragraph(self, lo=2, hi=7, cite=False):
        sents = []
        for _ in range(self.r.randint(lo, hi)):
            s = self.sentence()
            if cite and self.r.random() < 0.15:
                s = s[:-1] + "[" + str(self.r.randint(1, 40)) + "]" + s[-1]
            sents.append(s)
        return " ".join(sents)

    def title(self):
        r = self.r
        return (f"{r.choice(ADJECTIVES).capitalize()} {r.choice(NOUNS)} and the "
                f"{r.choice(NOUNS)} of {r.choice(PLACES)}")

    def prose(self, words, cite=False):
        lines = [self.title()]
        n = 0
        sep = "\n\n" if self.r.random() < 0.4 else "\n"
        while n < words:
            p = self.paragraph(cite=cite)
            n += p.count(" ") + 1
            lines.append(p)
            if self.r.random() < 0.1:
                lines.append(self.title())
        return sep.join(lines)


def make_document(w, kind, words, earlier):
    r = w.r
    if kind == "prose":
        return w.prose(words)
    if kind == "web":
        body = w.prose(words, cite=True).split("\n")
        top = [r.choice(NAV) for _ in range(r.randint(1, 3))]
        mid = r.sample(BOILER, 2)
        bottom = [r.choice(NAV), r.choice(BOILER)]
        at = r.randint(1, max(1, len(body) - 1))
        return "\n".join(top + body[:at] + mid + body[at:] + bottom)
    if kind == "list":
        lines = [w.title()]
        while sum(len(x.split()) for x in lines) < words:
            if r.random() < 0.85:
                lines.append(f"- {r.choice(ADJECTIVES)} {r.choice(NOUNS)} {r.randint(1, 500)}")
            else:
                lines.append(w.sentence())
        return "\n".join(lines)
    if kind == "repetitive":
        para = w.paragraph(3, 5)
        lines = [w.title()]
        while sum(len(x.split()) for x in lines) < words:
            lines.append(para if r.random() < 0.7 else w.paragraph())
        return "\n".join(lines)
    if kind == "code":
        text = w.prose(words // 2)
        code = "\n".join(
            f"int {r.choice(NOUNS)}_{i}(int x) {{ return x * {r.randint(2, 9)}; }}"
            for i in range(r.randint(3, 12)))
        return text + "\n" + code
    if kind == "lorem":
        text = w.prose(words).split("\n")
        text.insert(r.randint(0, len(text)), LOREM)
        return "\n".join(text)
    # near_duplicate: an earlier prose document with about 1% of its words replaced.
    src = r.choice(earlier).split(" ")
    for _ in range(max(1, len(src) // 100)):
        i = r.randrange(len(src))
        src[i] = r.choice(NOUNS)
    return " ".join(src)


KINDS = [("prose", 62), ("web", 14), ("list", 5), ("repetitive", 5), ("code", 3), ("lorem", 2),
         ("near_duplicate", 9)]


def make_corpus(path, mb, seed=SEED):
    """Writes about `mb` * 10^6 bytes of JSONL; returns (documents, bytes, documents per kind)."""
    rng = random.Random(seed)
    w = Writer(rng)
    target = int(mb * 1e6)
    kinds = [k for k, _ in KINDS]
    weights = [p for _, p in KINDS]
    earlier = []
    counts = {}
    size = docs = 0
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        while size < target:
            kind = rng.choices(kinds, weights)[0]
            if kind == "near_duplicate" and not earlier:
                kind = "prose"
            words = int(200 * 10 ** rng.random())  # 200..2000, log-uniform
            text = make_document(w, kind, words, earlier)
            if kind == "prose":
                earlier.append(text)
                if len(earlier) > 300:
                    earlier.pop(rng.randrange(len(earlier)))
            line = json.dumps({"id": f"doc-{docs:07d}", "text": text}, ensure_ascii=False) + "\n"
            f.write(line)
            size += len(line.encode("utf-8"))
            docs += 1
            counts[kind] = counts.get(kind, 0) + 1
    tmp.rename(path)
    return docs, size, counts


# ---------------------------------------------------------------------------------------------
# Running and measuring a process


def measure(cmd, log_path, cwd=None):
    """Runs cmd to completion; returns wall and CPU seconds and the peak RSS (MiB) of that child."""
    t0 = time.perf_counter()
    with open(log_path, "wb") as log:
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        tail = Path(log_path).read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited with {p.returncode}:\n{tail}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "max_rss_mib": ru.ru_maxrss / 1024}


# ---------------------------------------------------------------------------------------------
# Ours


def write_recipe(workdir, name, stages):
    recipe = {
        "name": name,
        "inputs": {"paths": ["input.jsonl"], "text_field": "text", "id_field": "id"},
        "stages": stages,
        "output": {"dir": f"out-{name}", "compression": "none", "rejects": False},
    }
    path = workdir / f"{name}.recipe.json"
    path.write_text(json.dumps(recipe, indent=1))
    return path


def run_ours(exaone, workdir, name, stages, extra=(), repeat=3):
    """Best (least CPU) of `repeat` fresh runs, with every run's stats.json (if written)."""
    recipe = write_recipe(workdir, name, stages)
    best = None
    all_stats = []
    for _ in range(repeat):
        shutil.rmtree(workdir / f"out-{name}", ignore_errors=True)
        m = measure([str(exaone), "foundry", "run", str(recipe), "-j", "1", *extra],
                    workdir / f"{name}.log")
        stats_path = workdir / f"out-{name}" / "stats.json"
        if stats_path.exists():
            all_stats.append(json.loads(stats_path.read_text()))
        if best is None or m["cpu_s"] < best["cpu_s"]:
            best = m
    best["stats"] = all_stats
    return best


def stage_stats(stats, name):
    for s in stats["stages"]:
        if s["stage"] == name:
            return s
    raise KeyError(name)


def measure_ours(exaone, workdir, repeat):
    minhash = [{"type": "minhash_dedup", "ngram": 5, "bands": 14, "rows": 8,
                "verify_threshold": 0}]
    exact = [{"type": "exact_dedup"}]
    filters = [{"type": "gopher"}, {"type": "c4"}, {"type": "fineweb"}]
    phase0 = ["--tasks", "1", "--phase", "0", "--task-index", "0"]
    res = {}
    res["minhash_phase0"] = run_ours(exaone, workdir, "minhash-p0", minhash, phase0, repeat)
    res["exact_phase0"] = run_ours(exaone, workdir, "exact-p0", exact, phase0, repeat)
    res["minhash_run"] = run_ours(exaone, workdir, "minhash", minhash, (), repeat)
    res["filters_run"] = run_ours(exaone, workdir, "filters", filters, (), repeat)
    # Stage seconds of the filters: the least of the runs' sums.
    names = ("gopher", "c4", "fineweb")
    res["filter_stage_s"] = min(sum(stage_stats(st, n)["seconds"] for n in names)
                                for st in res["filters_run"]["stats"])
    st = res["filters_run"]["stats"][0]
    res["filter_kept"] = {n: stage_stats(st, n)["kept"] for n in names}
    res["filter_in"] = stage_stats(st, "gopher")["in"]
    res["filter_dropped"] = {n: stage_stats(st, n)["dropped"] for n in names}
    mh = stage_stats(res["minhash_run"]["stats"][0], "minhash_dedup")
    res["minhash_removed"] = mh["in"] - mh["kept"]
    res["signature_cpu_s"] = res["minhash_phase0"]["cpu_s"] - res["exact_phase0"]["cpu_s"]
    for k in ("minhash_phase0", "exact_phase0", "minhash_run", "filters_run"):
        res[k].pop("stats", None)
    return res


# ---------------------------------------------------------------------------------------------
# datatrove (run in a child process of this script: `--_worker MODE:TOKENIZER`)


def datatrove_worker(mode, variant, workdir):
    import re
    from importlib.metadata import version

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.base import PipelineStep
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.word_tokenizers import WordTokenizer

    class SplitTokenizer(WordTokenizer):
        """The cheapest tokenizer datatrove's steps can be given: words are str.split() pieces,
        sentences end at . ! ? followed by a space or the end (as our c4 stage counts them)."""
        _sentence = re.compile(r"\S.*?(?:[.!?](?=\s|\Z)|\Z)", re.S)

        def __init__(self):
            super().__init__("en")

        def word_tokenize(self, text):
            return text.split()

        def span_tokenize(self, text):
            return [m.span() for m in self._sentence.finditer(text)]

        def sent_tokenize(self, text):
            return [text[a:b].strip() for a, b in self.span_tokenize(text)]

    # "spacy": datatrove's own English tokenizer (spaCy's blank "en" pipeline); "split": the
    # tokenizer above, passed where the steps take a language.
    language = "en" if variant == "spacy" else SplitTokenizer()

    # The executor deep-copies the pipeline before running it: probes report into this dict.
    clock = {}

    class Probe(PipelineStep):
        """Passes documents on, counting them and the time spent upstream producing them."""
        name = "probe"
        type = "bench"

        def __init__(self, label):
            super().__init__()
            self.label = label

        def run(self, data, rank=0, world_size=1):
            c = clock.setdefault(self.label, {"cpu": 0.0, "wall": 0.0, "docs": 0})
            it = iter(data)
            while True:
                c0, w0 = time.process_time(), time.perf_counter()
                try:
                    doc = next(it)
                except StopIteration:
                    doc = None
                c["cpu"] += time.process_time() - c0
                c["wall"] += time.perf_counter() - w0
                if doc is None:
                    return
                c["docs"] += 1
                yield doc

    def execute(pipeline, logs, tasks=1):
        shutil.rmtree(logs, ignore_errors=True)
        c0, w0 = time.process_time(), time.perf_counter()
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=str(logs),
                              skip_completed=False).run()
        return time.process_time() - c0, time.perf_counter() - w0

    def reader():
        return JsonlReader(str(workdir), glob_pattern="input.jsonl", text_key="text",
                           id_key="id", compression=None, file_progress=False, doc_progress=False)

    def count_lines(folder):
        return sum(sum(1 for _ in open(p, "rb")) for p in Path(folder).glob("*.jsonl"))

    dt = workdir / f"dt-{variant}"
    res = {"datatrove": version("datatrove"), "spacy": version("spacy")}
    if mode == "minhash":
        from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets,
                                                      MinhashDedupCluster, MinhashDedupFilter,
                                                      MinhashDedupSignature)
        from datatrove.utils.hashing import HashConfig

        cfg = MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8,
                            hash_config=HashConfig(precision=64, hash_fc="xxhash"))
        for d in ("sigs", "buckets", "remove", "dedup-out"):
            shutil.rmtree(dt / d, ignore_errors=True)
        sig = MinhashDedupSignature(str(dt / "sigs"), config=cfg, language=language)
        cpu, wall = execute([reader(), Probe("read"), sig], dt / "logs-sig")
        res["docs"] = clock["read"]["docs"]
        res["read_cpu_s"] = clock["read"]["cpu"]
        res["signature_cpu_s"] = cpu - clock["read"]["cpu"]
        res["signature_wall_s"] = wall - clock["read"]["wall"]
        res["sig_pipeline_cpu_s"] = cpu
        # The rest of the deduplication, for the end-to-end figure.
        c2, _ = execute([MinhashDedupBuckets(str(dt / "sigs"), str(dt / "buckets"), config=cfg)],
                        dt / "logs-buckets", tasks=cfg.num_buckets)
        c3, _ = execute([MinhashDedupCluster(str(dt / "buckets"), str(dt / "remove"),
                                             config=cfg)], dt / "logs-cluster")
        c4, _ = execute([reader(), MinhashDedupFilter(str(dt / "remove")),
                         JsonlWriter(str(dt / "dedup-out"), compression=None)],
                        dt / "logs-filter")
        res["dedup_cpu_s"] = cpu + c2 + c3 + c4
        res["dedup_kept"] = count_lines(dt / "dedup-out")
    else:
        from datatrove.pipeline.filters import (C4QualityFilter, FineWebQualityFilter,
                                                GopherQualityFilter, GopherRepetitionFilter)

        shutil.rmtree(dt / "filter-out", ignore_errors=True)
        pipeline = [
            reader(), Probe("read"),
            GopherRepetitionFilter(language=language), Probe("gopher_repetition"),
            GopherQualityFilter(language=language), Probe("gopher"),
            C4QualityFilter(split_paragraph=True, language=language), Probe("c4"),
            FineWebQualityFilter(language=language), Probe("fineweb"),
            JsonlWriter(str(dt / "filter-out"), compression=None),
        ]
        cpu, wall = execute(pipeline, dt / "logs-filters")
        res["docs"] = clock["read"]["docs"]
        res["filter_cpu_s"] = clock["fineweb"]["cpu"] - clock["read"]["cpu"]
        res["filter_wall_s"] = clock["fineweb"]["wall"] - clock["read"]["wall"]
        res["filters_pipeline_cpu_s"] = cpu
        steps = ("gopher_repetition", "gopher", "c4", "fineweb")
        res["kept"] = {k: clock[k]["docs"] for k in steps}
        res["dropped"] = {}
        for step in json.loads((dt / "logs-filters" / "stats.json").read_text()):
            if "FILTER" in step["name"]:
                res["dropped"][step["name"].split(": ", 1)[-1]] = {
                    k[len("dropped_"):]: v for k, v in step["stats"].items()
                    if k.startswith("dropped_")}
    (workdir / f"dt-{variant}-{mode}.json").write_text(json.dumps(res, indent=1))


def measure_datatrove(workdir, variant):
    res = {}
    for mode in ("minhash", "filters"):
        m = measure([sys.executable, __file__, "--_worker", f"{mode}:{variant}", "--workdir",
                     str(workdir)], workdir / f"dt-{variant}-{mode}.log")
        r = json.loads((workdir / f"dt-{variant}-{mode}.json").read_text())
        r["process"] = m
        res[mode] = r
    return res


# ---------------------------------------------------------------------------------------------
# Report


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit():
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                              capture_output=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src/foundry", "cli"],
                               cwd=ROOT, text=True, capture_output=True).stdout.strip()
        return head + (" (with uncommitted changes in src/foundry or cli)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def report(corpus, ours, dt):
    """The markdown table and the raw numbers. dt: {variant: {"minhash": ..., "filters": ...}}."""
    mb = corpus["bytes"] / 1e6
    variants = list(dt)
    names = {"spacy": "datatrove", "split": "datatrove, str.split tokenizer"}

    def rate(seconds):
        return mb / seconds if seconds > 0 else float("inf")

    def fmt(x):  # three significant digits, no exponent
        return f"{x:,.0f}" if x >= 100 else f"{x:#.3g}"

    def speed(v, what):
        mh, fl = dt[v]["minhash"], dt[v]["filters"]
        return {"sig": rate(mh["signature_cpu_s"]), "dedup": rate(mh["dedup_cpu_s"]),
                "filt": rate(fl["filter_cpu_s"]), "filt_e2e": rate(fl["filters_pipeline_cpu_s"]),
                "rss_mh": mh["process"]["max_rss_mib"],
                "rss_filt": fl["process"]["max_rss_mib"]}[what]

    mine = {"sig": rate(ours["signature_cpu_s"]), "dedup": rate(ours["minhash_run"]["cpu_s"]),
            "filt": rate(ours["filter_stage_s"]), "filt_e2e": rate(ours["filters_run"]["cpu_s"]),
            "rss_mh": max(ours["minhash_run"]["max_rss_mib"],
                          ours["minhash_phase0"]["max_rss_mib"]),
            "rss_filt": ours["filters_run"]["max_rss_mib"]}
    rows = [("MinHash signatures, step only", "sig", "MB/s"),
            ("MinHash dedup, end to end", "dedup", "MB/s"),
            ("Gopher + C4 + FineWeb, stages only", "filt", "MB/s"),
            ("Gopher + C4 + FineWeb, end to end", "filt_e2e", "MB/s"),
            ("Peak RSS, MinHash dedup", "rss_mh", "MiB"),
            ("Peak RSS, filter chain", "rss_filt", "MiB")]
    first = dt[variants[0]]["minhash"]
    out = [f"Input: {mb:.1f} MB JSONL, {corpus['docs']} documents (generated, seed {SEED}); "
           f"one core each side.",
           f"exaone.cpp {git_commit()}; datatrove {first['datatrove']} (spaCy {first['spacy']}, "
           f"Python {platform.python_version()}); CPU: {cpu_model()} "
           f"({os.cpu_count()} cores, load average {corpus['load']:.1f} at start).", ""]
    head = "| per core | exaone foundry |"
    rule = "|---|---:|"
    for v in variants:
        head += f" {names[v]} | ours / it |"
        rule += "---:|---:|"
    out += [head, rule]
    for what, key, unit in rows:
        line = f"| {what} | {fmt(mine[key])} {unit} |"
        for v in variants:
            theirs = speed(v, key)
            if unit == "MiB":
                ratio = f"{fmt(theirs / mine[key])}x less" if mine[key] else ""
            else:
                ratio = f"{fmt(mine[key] / theirs)}x" if theirs else ""
            line += f" {fmt(theirs)} {unit} | {ratio} |"
        out.append(line)
    out.append("")
    n = corpus["docs"]
    ok = ours["filter_kept"]
    head = f"| documents kept (of {n}) | exaone foundry |"
    rule = "|---|---:|"
    for v in variants:
        head += f" {names[v]} |"
        rule += "---:|"
    out += [head, rule]
    steps = [("after Gopher (quality + repetition)", "gopher"), ("after C4", "c4"),
             ("after FineWeb", "fineweb")]
    for what, key in steps:
        out.append(f"| {what} | {ok[key]} |" +
                   "".join(f" {dt[v]['filters']['kept'][key]} |" for v in variants))
    out.append(f"| after MinHash dedup | {n - ours['minhash_removed']} |" +
               "".join(f" {dt[v]['minhash']['dedup_kept']} |" for v in variants))
    text = "\n".join(out)
    raw = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "corpus": corpus,
           "ours": ours, "datatrove": dt, "commit": git_commit(), "cpu": cpu_model()}
    return text, raw


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, default=20, help="input size in MB (default 20)")
    ap.add_argument("--out", help="also write the table to this file (raw numbers: FILE.json)")
    ap.add_argument("--exaone", default=str(ROOT / "build/release/cli/exaone"))
    ap.add_argument("--workdir",
                    default=os.path.join(tempfile.gettempdir(), "exaone-compare-foundry"))
    ap.add_argument("--repeat", type=int, default=3, help="runs of ours; the fastest counts")
    ap.add_argument("--datatrove", choices=["spacy", "split", "both"], default="both",
                    help="datatrove's word tokenizer: its own (spaCy) and/or str.split")
    ap.add_argument("--_worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    workdir = Path(args.workdir).resolve()
    if args._worker:
        datatrove_worker(*args._worker.split(":"), workdir)
        return
    exaone = Path(args.exaone).resolve()
    if not exaone.exists():
        sys.exit(f"{exaone} not found: build it first (cmake --build build/release)")
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = {"mb": args.mb, "seed": SEED, "load": os.getloadavg()[0]}
    stamp = workdir / "input.meta.json"
    meta = json.loads(stamp.read_text()) if stamp.exists() else {}
    if (workdir / "input.jsonl").exists() and meta.get("mb") == args.mb and \
            meta.get("seed") == SEED:
        corpus.update(docs=meta["docs"], bytes=meta["bytes"], kinds=meta["kinds"])
    else:
        print(f"generating {args.mb} MB of input in {workdir} ...", file=sys.stderr)
        docs, size, kinds = make_corpus(workdir / "input.jsonl", args.mb)
        corpus.update(docs=docs, bytes=size, kinds=kinds)
        stamp.write_text(json.dumps({"mb": args.mb, "seed": SEED, "docs": docs, "bytes": size,
                                     "kinds": kinds}))
    print("exaone foundry ...", file=sys.stderr)
    ours = measure_ours(exaone, workdir, args.repeat)
    dt = {}
    for v in (["spacy", "split"] if args.datatrove == "both" else [args.datatrove]):
        print(f"datatrove ({v} tokenizer; minutes) ...", file=sys.stderr)
        dt[v] = measure_datatrove(workdir, v)
    text, raw = report(corpus, ours, dt)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
        Path(args.out + ".json").write_text(json.dumps(raw, indent=1) + "\n")


if __name__ == "__main__":
    main()

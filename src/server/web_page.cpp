// The chat page served at "/": one self-contained HTML document (no external assets). Model
// output is inserted as text nodes only; the small markdown renderer builds elements with
// textContent, so nothing the model writes can become markup or script.
#include "server/web_page.h"

namespace exaone::server {

const char* ChatPageHtml() {
  return R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>EXAONE chat</title>
<style>
  :root { color-scheme: light dark; --fg: #1d1d1f; --bg: #fafafa; --muted: #6b6b70;
          --user: #e8eefc; --bot: #ffffff; --line: #d9d9de; --accent: #a50034; }
  @media (prefers-color-scheme: dark) {
    :root { --fg: #e8e8ea; --bg: #17171a; --muted: #9a9aa2; --user: #23304d; --bot: #202024;
            --line: #34343a; }
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg);
         display: flex; flex-direction: column; height: 100vh; }
  header { display: flex; gap: 12px; align-items: center; padding: 8px 16px;
           border-bottom: 1px solid var(--line); flex-wrap: wrap; }
  header h1 { font-size: 16px; margin: 0 auto 0 0; color: var(--accent); }
  header label { color: var(--muted); font-size: 13px; display: flex; gap: 4px; align-items: center; }
  header input[type=password] { width: 11em; }
  #log { flex: 1; overflow-y: auto; padding: 16px; }
  .msg { max-width: 860px; margin: 0 auto 12px; padding: 10px 14px; border-radius: 10px;
         border: 1px solid var(--line); white-space: normal; overflow-wrap: anywhere; }
  .user { background: var(--user); }
  .assistant { background: var(--bot); }
  .role { font-size: 12px; color: var(--muted); margin-bottom: 4px; }
  details.reasoning { color: var(--muted); border-left: 3px solid var(--line); padding-left: 8px;
                      margin-bottom: 8px; }
  details.reasoning summary { cursor: pointer; font-size: 13px; }
  pre { background: rgba(127,127,127,.12); padding: 8px; border-radius: 6px; overflow-x: auto; }
  code { font-family: ui-monospace, monospace; font-size: 13px; }
  .error { color: #d33; }
  form { display: flex; gap: 8px; padding: 12px 16px; border-top: 1px solid var(--line);
         max-width: 892px; width: 100%; margin: 0 auto; }
  textarea { flex: 1; resize: vertical; min-height: 44px; font: inherit; padding: 8px;
             border-radius: 8px; border: 1px solid var(--line); background: var(--bot); color: var(--fg); }
  button { font: inherit; padding: 0 16px; border-radius: 8px; border: 1px solid var(--line);
           background: var(--accent); color: #fff; cursor: pointer; }
  button:disabled { opacity: .5; cursor: default; }
  button.secondary { background: transparent; color: var(--fg); }
</style>
</head>
<body>
<header>
  <h1>EXAONE</h1>
  <label><input type="checkbox" id="thinking"> reasoning</label>
  <label>API key <input type="password" id="key" autocomplete="off" placeholder="(none)"></label>
  <button class="secondary" id="clear" type="button">New chat</button>
</header>
<main id="log" aria-live="polite"></main>
<form id="form">
  <textarea id="input" placeholder="Message EXAONE (Enter to send, Shift+Enter for a new line)"></textarea>
  <button id="send" type="submit">Send</button>
  <button id="stop" type="button" class="secondary" disabled>Stop</button>
</form>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const store = window.localStorage;
let history = [];
try { history = JSON.parse(store.getItem("exaone.chat") || "[]"); } catch (e) { history = []; }
$("thinking").checked = store.getItem("exaone.thinking") === "1";
$("key").value = store.getItem("exaone.key") || "";
let controller = null;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

// Inline markdown: `code`, **bold**, *italic*. Builds nodes; never parses HTML.
function inline(parent, text) {
  const re = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*)/g;
  let last = 0, m;
  while ((m = re.exec(text)) !== null) {
    if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
    const t = m[0];
    if (t[0] === "`") parent.appendChild(el("code", "", t.slice(1, -1)));
    else if (t.startsWith("**")) parent.appendChild(el("strong", "", t.slice(2, -2)));
    else parent.appendChild(el("em", "", t.slice(1, -1)));
    last = m.index + t.length;
  }
  if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
}

// Block markdown: ``` fences, headings, bullet and numbered lists, paragraphs.
function markdown(text) {
  const root = document.createDocumentFragment();
  const lines = text.split("\n");
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.startsWith("```")) {
      const code = [];
      i++;
      while (i < lines.length && !lines[i].startsWith("```")) code.push(lines[i++]);
      i++;
      const pre = el("pre");
      pre.appendChild(el("code", "", code.join("\n")));
      root.appendChild(pre);
      continue;
    }
    const h = /^(#{1,4})\s+(.*)$/.exec(line);
    if (h) { const e = el("h" + (h[1].length + 2)); inline(e, h[2]); root.appendChild(e); i++; continue; }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const list = el(ordered ? "ol" : "ul");
      while (i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i])) {
        const li = el("li");
        inline(li, lines[i].replace(/^\s*([-*]|\d+\.)\s+/, ""));
        list.appendChild(li);
        i++;
      }
      root.appendChild(list);
      continue;
    }
    if (line.trim() === "") { i++; continue; }
    const p = el("p");
    const para = [];
    while (i < lines.length && lines[i].trim() !== "" && !lines[i].startsWith("```") &&
           !/^(#{1,4})\s/.test(lines[i]) && !/^\s*([-*]|\d+\.)\s+/.test(lines[i])) para.push(lines[i++]);
    inline(p, para.join("\n"));
    p.style.whiteSpace = "pre-wrap";
    root.appendChild(p);
  }
  return root;
}

function render(msg, node) {
  node = node || el("div");
  node.className = "msg " + msg.role;
  node.replaceChildren(el("div", "role", msg.role === "user" ? "You" : "EXAONE"));
  if (msg.reasoning) {
    const d = el("details", "reasoning");
    d.open = !!msg.streaming && !msg.content;
    d.appendChild(el("summary", "", msg.content || !msg.streaming ? "Reasoning" : "Reasoning…"));
    const body = el("div");
    body.style.whiteSpace = "pre-wrap";
    body.textContent = msg.reasoning;
    d.appendChild(body);
    node.appendChild(d);
  }
  const content = el("div", "content");
  if (msg.role === "user") { content.style.whiteSpace = "pre-wrap"; content.textContent = msg.content; }
  else content.appendChild(markdown(msg.content || ""));
  node.appendChild(content);
  if (msg.error) node.appendChild(el("div", "error", msg.error));
  return node;
}

function redraw() {
  $("log").replaceChildren(...history.map((m) => render(m)));
  $("log").scrollTop = $("log").scrollHeight;
}

function save() {
  store.setItem("exaone.chat", JSON.stringify(history.filter((m) => !m.streaming)));
}

async function send(text) {
  history.push({ role: "user", content: text });
  const reply = { role: "assistant", content: "", reasoning: "", streaming: true };
  history.push(reply);
  redraw();
  const node = $("log").lastChild;
  const messages = history.slice(0, -1).filter((m) => !m.error).map((m) => ({ role: m.role, content: m.content }));
  controller = new AbortController();
  $("send").disabled = true;
  $("stop").disabled = false;
  const headers = { "Content-Type": "application/json" };
  if ($("key").value) headers["Authorization"] = "Bearer " + $("key").value;
  try {
    const res = await fetch("/v1/chat/completions", {
      method: "POST", headers, signal: controller.signal,
      body: JSON.stringify({ messages, stream: true,
                             chat_template_kwargs: { enable_thinking: $("thinking").checked } }),
    });
    if (!res.ok) {
      let message = res.status + " " + res.statusText;
      try { message = (await res.json()).error.message; } catch (e) {}
      throw new Error(message);
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const event = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!event.startsWith("data: ")) continue;
        const data = event.slice(6);
        if (data === "[DONE]") continue;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message);
        const delta = (chunk.choices[0] || {}).delta || {};
        if (delta.reasoning_content) reply.reasoning += delta.reasoning_content;
        if (delta.content) reply.content += delta.content;
        render(reply, node);
        $("log").scrollTop = $("log").scrollHeight;
      }
    }
  } catch (e) {
    if (e.name !== "AbortError") reply.error = String(e.message || e);
  } finally {
    reply.streaming = false;
    render(reply, node);
    controller = null;
    $("send").disabled = false;
    $("stop").disabled = true;
    save();
  }
}

$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value.trim();
  if (!text || controller) return;
  $("input").value = "";
  send(text);
});
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("form").requestSubmit(); }
});
$("stop").addEventListener("click", () => { if (controller) controller.abort(); });
$("clear").addEventListener("click", () => { history = []; save(); redraw(); });
$("thinking").addEventListener("change", () => store.setItem("exaone.thinking", $("thinking").checked ? "1" : "0"));
$("key").addEventListener("change", () => store.setItem("exaone.key", $("key").value));
redraw();
</script>
</body>
</html>
)HTML";
}

}  // namespace exaone::server

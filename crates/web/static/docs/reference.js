// Loket's API reference: reads the service's own OpenAPI document and renders every
// operation (parameters, body, responses with their problem codes) with a form that sends
// the request to this same service. No outside resources; text goes in with textContent.
"use strict";

let doc = null;
let token = "";

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function resolve(schema) {
  let s = schema || {};
  for (let i = 0; s && s.$ref && i < 20; i++) {
    const name = s.$ref.replace("#/components/schemas/", "");
    s = (doc.components && doc.components.schemas && doc.components.schemas[name]) || {};
  }
  return s;
}

function refName(schema) {
  return schema && schema.$ref ? schema.$ref.replace("#/components/schemas/", "") : null;
}

// A one-line description of a schema: type, format, enum, bounds, pattern.
function describe(schema) {
  if (!schema) return "";
  const name = refName(schema);
  const s = resolve(schema);
  if (s.oneOf) return (name ? name + ": " : "") + "one of " + s.oneOf.map(describe).join(" | ");
  if (s.allOf) return s.allOf.map(describe).join(" & ");
  let types = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  let t = types.filter((x) => x !== "null").join(" | ") || (s.properties ? "object" : "any");
  if (t === "array") t = "array of " + describe(s.items);
  const bits = [name && (s.enum || s.properties) ? name : null, t];
  if (s.format) bits.push("(" + s.format + ")");
  if (s.enum) bits.push("one of: " + s.enum.join(", "));
  if (s.pattern) bits.push("pattern " + s.pattern);
  if (s.minimum !== undefined) bits.push("≥ " + s.minimum);
  if (s.maximum !== undefined) bits.push("≤ " + s.maximum);
  if (s.minLength !== undefined) bits.push("min length " + s.minLength);
  if (s.maxLength !== undefined) bits.push("max length " + s.maxLength);
  if (types.includes("null")) bits.push("or null");
  return bits.filter(Boolean).join(" ");
}

function fieldsTable(schema) {
  const s = resolve(schema);
  if (!s.properties) return el("p", {}, el("code", {}, describe(schema)));
  const required = new Set(s.required || []);
  return el("table", {},
    el("tr", {}, el("th", {}, "field"), el("th", {}, "type"), el("th", {}, "about")),
    Object.entries(s.properties).map(([k, v]) =>
      el("tr", {},
        el("td", {}, el("code", {}, k), required.has(k) ? el("span", { class: "req" }, " required") : null),
        el("td", {}, el("code", {}, describe(v))),
        el("td", {}, v.description || resolve(v).description || ""))));
}

// An example value for a schema, to start the body of a request from.
function example(schema, depth) {
  const s = resolve(schema);
  if ((depth || 0) > 4) return null;
  if (s.example !== undefined) return s.example;
  if (s.enum) return s.enum[0];
  if (s.oneOf) return example(s.oneOf[0], (depth || 0) + 1);
  const types = Array.isArray(s.type) ? s.type.filter((x) => x !== "null") : [s.type];
  const t = types[0] || (s.properties ? "object" : "string");
  if (t === "object") {
    const out = {};
    for (const [k, v] of Object.entries(s.properties || {})) out[k] = example(v, (depth || 0) + 1);
    return out;
  }
  if (t === "array") return [example(s.items, (depth || 0) + 1)];
  if (t === "integer" || t === "number") return s.minimum !== undefined ? s.minimum : 1;
  if (t === "boolean") return false;
  if (s.format === "date") {
    const d = new Date(Date.now() + 3 * 86400000);
    return d.toISOString().slice(0, 10);
  }
  if (s.format === "date-time") return new Date().toISOString();
  if (s.format === "uuid") return "00000000-0000-0000-0000-000000000000";
  if (s.format === "email") return "nama@example.test";
  return "";
}

function problemCodes(response) {
  const content = response.content && response.content["application/problem+json"];
  if (!content) return [];
  const parts = (content.schema && content.schema.allOf) || [];
  for (const p of parts) {
    const code = p.properties && p.properties.code;
    if (code && code.enum) return code.enum;
  }
  return [];
}

function responsesTable(responses) {
  return el("table", {},
    el("tr", {}, el("th", {}, "status"), el("th", {}, "body"), el("th", {}, "meaning")),
    Object.entries(responses || {}).map(([status, r]) => {
      const codes = problemCodes(r);
      const media = Object.keys(r.content || {});
      const body = media.length
        ? media.map((m) => el("div", {}, el("code", {}, m), " ", el("span", { class: "muted" },
          codes.length ? "Problem" : describe(r.content[m].schema))))
        : el("span", { class: "muted" }, "empty");
      return el("tr", {},
        el("td", {}, el("code", {}, status)),
        el("td", {}, body),
        el("td", {}, codes.length
          ? el("div", { class: "codes" }, codes.map((c) => el("code", {}, c)), el("div", { class: "muted" }, r.description || ""))
          : r.description || ""));
    }));
}

function tryForm(method, path, op) {
  const params = op.parameters || [];
  const inputs = {};
  const fields = params.map((p) => {
    const id = "p-" + Math.random().toString(36).slice(2);
    const input = el("input", { id, placeholder: describe(p.schema) });
    if (p.in === "path" && p.name === "code") input.value = "palembang";
    inputs[p.name] = { input, where: p.in };
    return el("label", { for: id }, p.name, " ", el("span", { class: "muted" }, "(" + p.in + (p.required ? ", required" : "") + ")"), el("br"), input);
  });
  const bodySchema = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  const textarea = bodySchema ? el("textarea", { spellcheck: "false", "aria-label": "request body" }) : null;
  if (textarea) textarea.value = JSON.stringify(example(bodySchema.schema), null, 2);
  const out = el("pre", { hidden: true });
  const send = async (event) => {
    event.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    const headers = {};
    for (const [name, { input, where }] of Object.entries(inputs)) {
      const v = input.value;
      if (where === "path") url = url.replace("{" + name + "}", encodeURIComponent(v));
      else if (v !== "" && where === "query") query.set(name, v);
      else if (v !== "" && where === "header") headers[name] = v;
    }
    if (query.toString()) url += "?" + query.toString();
    if (token) headers["Authorization"] = "Bearer " + token;
    const init = { method: method.toUpperCase(), headers, credentials: "omit" };
    if (textarea) {
      headers["Content-Type"] = "application/json";
      init.body = textarea.value;
    }
    out.hidden = false;
    out.textContent = init.method + " " + url + "\n…";
    try {
      const res = await fetch(url, init);
      const text = await res.text();
      let shown = text;
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (_) { /* not JSON */ }
      out.textContent = init.method + " " + url + "\n" + res.status + " " + res.statusText +
        "\ncontent-type: " + (res.headers.get("content-type") || "") + "\n\n" + shown;
    } catch (e) {
      out.textContent = init.method + " " + url + "\nrequest failed: " + e;
    }
  };
  return el("form", { class: "try", onsubmit: send },
    el("strong", {}, "Try it"), fields,
    textarea ? el("label", {}, "Body (application/json)", textarea) : null,
    el("div", {}, el("button", { type: "submit" }, "Send")), out);
}

function operation(method, path, op) {
  const id = (method + path).replace(/[^a-zA-Z0-9]+/g, "-");
  const secured = (op.security || []).length > 0;
  const section = el("section", { class: "op closed", id },
    el("h3", { onclick: () => section.classList.toggle("closed") },
      el("span", { class: "method " + method }, method.toUpperCase()),
      el("span", { class: "path" }, path),
      el("span", { class: "summary" }, op.summary || ""),
      secured ? el("span", { class: "badge" }, "bearer") : null),
    el("div", { class: "body" },
      op.description ? el("p", {}, op.description) : null,
      (op.parameters || []).length ? [el("h4", {}, "Parameters"), el("table", {},
        el("tr", {}, el("th", {}, "name"), el("th", {}, "in"), el("th", {}, "type"), el("th", {}, "about")),
        op.parameters.map((p) => el("tr", {},
          el("td", {}, el("code", {}, p.name), p.required ? el("span", { class: "req" }, " required") : null),
          el("td", {}, p.in),
          el("td", {}, el("code", {}, describe(p.schema))),
          el("td", {}, p.description || ""))))] : null,
      op.requestBody ? [el("h4", {}, "Body ", el("span", { class: "muted" }, refName(op.requestBody.content["application/json"].schema) || "")),
        fieldsTable(op.requestBody.content["application/json"].schema)] : null,
      el("h4", {}, "Responses"), responsesTable(op.responses),
      tryForm(method, path, op)));
  return section;
}

function render() {
  const about = document.getElementById("about");
  about.textContent = (doc.info.description || "") + " Version " + doc.info.version + ", OpenAPI " + doc.openapi + ".";
  const byTag = new Map();
  for (const t of doc.tags || []) byTag.set(t.name, { about: t.description, ops: [] });
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ["get", "post", "put", "patch", "delete"]) {
      const op = item[method];
      if (!op) continue;
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, { about: "", ops: [] });
      byTag.get(tag).ops.push([method, path, op]);
    }
  }
  const main = document.getElementById("operations");
  const toc = document.getElementById("toc-list");
  for (const [tag, { about: tagAbout, ops }] of byTag) {
    if (!ops.length) continue;
    main.append(el("h2", { id: "tag-" + tag }, tag, " ", el("span", { class: "muted" }, tagAbout || "")));
    toc.append(el("h2", {}, tag));
    for (const [method, path, op] of ops) {
      const section = operation(method, path, op);
      main.append(section);
      toc.append(el("a", { href: "#" + section.id, "data-text": (method + " " + path + " " + (op.summary || "")).toLowerCase(),
        onclick: () => section.classList.remove("closed") },
      el("span", { class: "method " + method }, method.toUpperCase()), " ", path));
    }
  }
  main.append(el("h2", { id: "schemas" }, "Schemas"));
  for (const [name, schema] of Object.entries((doc.components && doc.components.schemas) || {})) {
    main.append(el("section", { class: "op closed", id: "schema-" + name },
      el("h3", { onclick: (e) => e.currentTarget.parentNode.classList.toggle("closed") }, name,
        el("span", { class: "summary" }, schema.description || "")),
      el("div", { class: "body" }, fieldsTable(schema))));
  }
  if (location.hash) {
    const target = document.getElementById(location.hash.slice(1));
    if (target) { target.classList.remove("closed"); target.scrollIntoView(); }
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  const input = document.getElementById("token");
  const state = document.getElementById("token-state");
  input.addEventListener("input", () => {
    token = input.value.trim();
    state.textContent = token ? "sent as Authorization: Bearer" : "not sent";
  });
  document.getElementById("auth").addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("filter").addEventListener("input", (e) => {
    const q = e.target.value.toLowerCase();
    for (const a of document.querySelectorAll("#toc-list a")) a.hidden = q !== "" && !a.dataset.text.includes(q);
  });
  try {
    const res = await fetch("openapi.json", { credentials: "omit" });
    doc = await res.json();
    render();
  } catch (e) {
    document.getElementById("about").textContent = "The OpenAPI document could not be read: " + e;
  }
});

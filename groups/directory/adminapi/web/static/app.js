// sftpkit admin page: every change goes through the JSON API, with the
// session's CSRF token in a header. No inline script (the page's CSP
// forbids it).
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;

function flash(msg) {
  const el = document.getElementById("flash");
  el.textContent = msg;
  el.hidden = false;
}

async function call(method, url, body) {
  const opts = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(url, opts);
  if (!resp.ok) {
    let msg = resp.status + " " + resp.statusText;
    try {
      const e = await resp.json();
      msg = e.message || e.error || msg;
    } catch (_) {}
    flash(msg);
    return false;
  }
  location.reload();
  return true;
}

// Forms with class "api": fields become the JSON body; ":name" in the URL
// is replaced by the field of that name, which then leaves the body.
for (const form of document.querySelectorAll("form.api")) {
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    let url = form.dataset.url;
    const body = {};
    for (const el of form.elements) {
      if (!el.name) continue;
      let v = el.type === "checkbox" ? el.checked : el.value;
      if (el.dataset.kind === "end-of-day") {
        if (!v) continue;
        // A date means "valid through that day": the key expires at the
        // start of the next day (SPEC 20(d)), in the browser's time zone.
        const d = new Date(v + "T00:00:00");
        d.setDate(d.getDate() + 1);
        v = d.toISOString();
      }
      if (url.includes(":" + el.name)) {
        url = url.replace(":" + el.name, encodeURIComponent(v));
        continue;
      }
      body[el.name] = v;
    }
    call(form.dataset.method, url, body);
  });
}

// Buttons with data-method: a call with the JSON of data-body, if any.
for (const btn of document.querySelectorAll("button[data-method]")) {
  btn.addEventListener("click", () => {
    const body = btn.dataset.body ? JSON.parse(btn.dataset.body) : undefined;
    if (btn.dataset.method === "DELETE" && !confirm("Delete?")) return;
    call(btn.dataset.method, btn.dataset.url, body);
  });
}

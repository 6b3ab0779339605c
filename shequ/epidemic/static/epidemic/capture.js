// 入户排查 offline queue. Each submission gets an id made here (client_uuid) and waits in localStorage until
// the server has it; the server's unique constraint makes a resend harmless (it answers 200 with the first
// record). The queue survives closing the browser; the visitor sees what is still waiting.
(function () {
  var KEY = "shequ.epidemic.capture.queue";
  var sending = false;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function save(queue) { window.localStorage.setItem(KEY, JSON.stringify(queue)); }
  function makeId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { /* fall through */ }
    var m = document.cookie.match(/csrftoken=([^;]+)/);
    return m ? m[1] : "";
  }
  function box() { return document.getElementById("capture-queue"); }

  function render() {
    var el = box();
    if (!el) return;
    var queue = load();
    document.getElementById("queue-count").textContent = String(queue.length);
    var status = document.getElementById("net-status");
    status.textContent = navigator.onLine ? "在线" : "离线";
    var list = document.getElementById("queue-list");
    list.textContent = "";
    queue.forEach(function (entry) {
      var li = document.createElement("li");
      li.textContent = entry.label + " · " + entry.queued_at.slice(11, 16) + (entry.error ? " · 未通过:" + entry.error : " · 等待发送");
      if (entry.error) li.className = "msg-error";
      list.appendChild(li);
    });
  }

  function describe(body) {
    if (!body || typeof body !== "object") return "提交未通过";
    var parts = [];
    Object.keys(body).forEach(function (k) {
      var v = body[k];
      parts.push(Array.isArray(v) ? v.join(";") : String(v));
    });
    return parts.join(";") || "提交未通过";
  }

  function removeEntry(id) { save(load().filter(function (e) { return e.payload.client_uuid !== id; })); }
  function markError(id, message) {
    save(load().map(function (e) { if (e.payload.client_uuid === id) e.error = message; return e; }));
  }

  function sendOne(entry) {
    return fetch(box().dataset.endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), "Accept": "application/json" },
      body: JSON.stringify(entry.payload)
    }).then(function (res) {
      if (res.status === 200 || res.status === 201) { removeEntry(entry.payload.client_uuid); return true; }
      if (res.status >= 500) return false;  // try again later
      return res.json().catch(function () { return {}; }).then(function (body) {
        markError(entry.payload.client_uuid, describe(body));
        return true;
      });
    });
  }

  function flush() {
    if (sending || !box() || !navigator.onLine) { render(); return Promise.resolve(); }
    sending = true;
    var queue = load().filter(function (e) { return !e.error; });
    var chain = Promise.resolve(true);
    queue.forEach(function (entry) {
      chain = chain.then(function (goOn) { return goOn ? sendOne(entry) : false; });
    });
    return chain.catch(function () { /* offline or the connection dropped: keep the queue */ })
      .then(function () { sending = false; render(); });
  }

  function collect(form) {
    var status = form.querySelector("input[name=status]:checked");
    var people = [];
    form.querySelectorAll("fieldset.person").forEach(function (fs) {
      people.push({
        person: Number(fs.dataset.person),
        is_present: fs.querySelector("input[name=present]").checked,
        temperature: fs.querySelector("input[name=temperature]").value.trim() || null,
        has_symptoms: fs.querySelector("input[name=has_symptoms]").checked,
        symptoms: fs.querySelector("input[name=symptoms]").value.trim(),
        needs: fs.querySelector("input[name=needs]").value.trim()
      });
    });
    var own = function (name) {
      var input = Array.prototype.find.call(form.querySelectorAll("input[name=" + name + "]"), function (i) {
        return !i.closest("fieldset.person");
      });
      return input ? input.value.trim() : "";
    };
    return {
      client_uuid: makeId(),
      item: Number(form.dataset.item),
      status: status ? status.value : "",
      people: people,
      needs: own("needs"),
      notes: own("notes"),
      recorded_at: new Date().toISOString()
    };
  }

  function init() {
    if (!box()) return;
    document.querySelectorAll("form.capture-form").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var payload = collect(form);
        var queue = load();
        queue.push({ payload: payload, label: form.dataset.label, queued_at: new Date().toISOString() });
        save(queue);
        form.querySelector(".form-state").textContent = "已保存,待发送";
        form.reset();
        render();
        flush();
      });
    });
    document.getElementById("queue-send").addEventListener("click", function () {
      save(load().map(function (e) { delete e.error; return e; }));
      flush();
    });
    window.addEventListener("online", flush);
    window.addEventListener("offline", render);
    window.setInterval(flush, 15000);
    if ("serviceWorker" in navigator && box().dataset.sw) {
      navigator.serviceWorker.register(box().dataset.sw, { scope: "/epidemic/" }).catch(function () { /* offline reopen unavailable */ });
    }
    render();
    flush();
  }
  document.addEventListener("DOMContentLoaded", init);
})();

/* The Slotwise web chat: talks to POST /chat/messages and renders the bot's replies.
   No dependencies, no build step. Every text from the server goes in via textContent. */
(() => {
  "use strict";

  const $ = (selector) => document.querySelector(selector);
  const body = document.body;
  const endpoint = body.dataset.endpoint;
  const errorText = body.dataset.error;
  const embed = body.classList.contains("embed");
  const log = $("#log");
  const scroller = $("#scroll");
  const typing = $("#typing");
  const form = $("#composer");
  const input = $("#text");
  const sendButton = $("#send");
  const dateLabel = $("#date-label");
  const dateInput = $("#date");

  const KEY = "slotwise.chat";
  const SESSION = /^[A-Za-z0-9_-]{22,64}$/;
  const LOCALE = /^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,5}$/;
  const ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;
  const KEEP = 100; // messages kept for a reload
  const TIMEOUT_MS = 20000;

  // --- storage: the session and the transcript survive a reload -------------------------------
  const store = {
    get(name) {
      try { return window.localStorage.getItem(`${KEY}.${name}`); } catch { return null; }
    },
    set(name, value) {
      try { window.localStorage.setItem(`${KEY}.${name}`, value); } catch { /* private mode */ }
    },
  };

  function newSession() {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
  }

  let session = store.get("session");
  if (!session || !SESSION.test(session)) {
    session = newSession();
    store.set("session", session);
  }

  let transcript = [];
  try {
    const kept = JSON.parse(store.get("log") || "null");
    if (kept && kept.session === session && Array.isArray(kept.entries)) transcript = kept.entries;
  } catch { transcript = []; }

  function remember(entry) {
    transcript.push(entry);
    transcript = transcript.slice(-KEEP);
    store.set("log", JSON.stringify({ session, entries: transcript }));
  }

  // --- rendering --------------------------------------------------------------------------------
  const URLS = /\bhttps?:\/\/[^\s<>"']*[^\s<>"'.,;:!?)\]]/g;

  function safeUrl(url) {
    if (typeof url !== "string" || !url) return null;
    try {
      const parsed = new URL(url, window.location.href);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch { return null; }
  }

  function link(url, label, filename) {
    const href = safeUrl(url);
    if (!href) return null;
    const a = document.createElement("a");
    a.href = href;
    a.textContent = label;
    a.rel = "noopener noreferrer";
    if (filename) a.download = filename;
    if (!filename || embed) a.target = "_blank";
    return a;
  }

  function appendText(parent, text) {
    let last = 0;
    for (const match of text.matchAll(URLS)) {
      parent.append(text.slice(last, match.index));
      parent.append(link(match[0], match[0]) || match[0]);
      last = match.index + match[0].length;
    }
    parent.append(text.slice(last));
  }

  function bubble(kind, text) {
    const div = document.createElement("div");
    div.className = `msg ${kind}`;
    appendText(div, String(text));
    log.append(div);
    return div;
  }

  function showReply(reply, live) {
    const div = bubble("bot", reply.text || "");
    const files = (reply.attachments || [])
      .map((file) => link(file.url, String(file.filename || "file"), String(file.filename || "file")))
      .filter(Boolean);
    if (files.length) {
      const box = document.createElement("div");
      box.className = "attachments";
      box.append(...files);
      div.append(box);
    }
    const options = reply.options || [];
    if (!options.length) return;
    const box = document.createElement("div");
    box.className = "options";
    for (const option of options) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = String(option.label);
      button.disabled = !live;
      button.addEventListener("click", () => choose(button, option));
      box.append(button);
    }
    log.append(box);
  }

  function liveOptions() {
    return [...log.querySelectorAll(".options button:not(:disabled)")];
  }

  function showDate(show) {
    dateLabel.hidden = !show;
    if (show) {
      const today = new Date();
      today.setMinutes(today.getMinutes() - today.getTimezoneOffset());
      dateInput.min = today.toISOString().slice(0, 10);
    }
  }

  /* To the end; or, if the bot's new messages are taller than the view, to their start. */
  function scrollDown(firstNew) {
    requestAnimationFrame(() => {
      const end = scroller.scrollHeight - scroller.clientHeight;
      scroller.scrollTop = firstNew ? Math.min(end, firstNew.offsetTop - 12) : end;
    });
  }

  function setTyping(on) {
    typing.hidden = !on;
    sendButton.disabled = on;
    if (on) scrollDown();
  }

  // --- talking to the server --------------------------------------------------------------------
  async function post(payload) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(payload),
        signal: controller.signal,
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const data = await response.json();
      if (!data || !Array.isArray(data.replies)) throw new Error("unexpected answer");
      return data.replies;
    } finally {
      clearTimeout(timer);
    }
  }

  function timeZone() {
    try {
      const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      return typeof zone === "string" && zone.length <= 64 && ZONE.test(zone) ? zone : null;
    } catch { return null; }
  }

  let busy = false;

  /* Send one message; `echo` is the customer's bubble (null: none). True if the bot answered. */
  async function send(message, echo, focusAfter) {
    if (busy) return false;
    busy = true;
    const stale = liveOptions();
    for (const button of stale) button.disabled = true;
    if (echo !== null) bubble("me", echo);
    const payload = { session, ...message };
    const locale = navigator.language;
    if (locale && locale.length <= 35 && LOCALE.test(locale)) payload.locale = locale;
    const zone = timeZone();
    if (zone) payload.timezone = zone;
    setTyping(true);
    let firstNew = null;
    try {
      const replies = await post(payload);
      setTyping(false);
      // Kept only once answered: after a reload, a message that failed is not shown as sent,
      // and the buttons it would have used up still work.
      if (echo !== null) remember({ who: "me", text: echo });
      const before = log.lastElementChild;
      for (const reply of replies) {
        showReply(reply, true);
        remember({ who: "bot", reply });
      }
      firstNew = before ? before.nextElementSibling : log.firstElementChild;
      showDate(replies.some((reply) => reply.hint === "date"));
      return true;
    } catch {
      setTyping(false);
      bubble("error", errorText);
      for (const button of stale) {
        button.disabled = false;
        button.classList.remove("picked");
      }
      return false;
    } finally {
      busy = false;
      scrollDown(firstNew);
      if (focusAfter) {
        const first = liveOptions()[0];
        (first || input).focus({ preventScroll: true });
      }
    }
  }

  function choose(button, option) {
    if (busy) return;
    button.classList.add("picked");
    send({ choice: String(option.value) }, String(option.label), true);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    const answered = await send({ text }, text, false);
    if (!answered && !input.value) input.value = text;
  });

  dateInput.addEventListener("change", () => {
    const value = dateInput.value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !dateInput.validity.valid || busy) return;
    const [year, month, day] = value.split("-").map(Number);
    const label = new Date(year, month - 1, day).toLocaleDateString(
      document.documentElement.lang || undefined,
      { weekday: "short", day: "numeric", month: "short", year: "numeric" },
    );
    dateInput.value = "";
    send({ text: value }, label, false);
  });

  $("#start-over").addEventListener("click", () => {
    if (busy) return;
    log.replaceChildren();
    transcript = [];
    store.set("log", JSON.stringify({ session, entries: [] }));
    showDate(false);
    send({ text: "start over" }, null, false);
  });

  if (embed) {
    const close = () => window.parent.postMessage({ type: "slotwise:close" }, "*");
    $("#close").addEventListener("click", close);
    document.addEventListener("keydown", (event) => { if (event.key === "Escape") close(); });
  }

  // --- start: the kept conversation, or the bot's greeting ---------------------------------------
  if (transcript.length) {
    let lastMine = -1;
    transcript.forEach((entry, i) => { if (entry.who === "me") lastMine = i; });
    transcript.forEach((entry, i) => {
      if (entry.who === "me") bubble("me", entry.text);
      else if (entry.reply) showReply(entry.reply, i > lastMine);
    });
    showDate(transcript.slice(lastMine + 1).some((entry) => entry.reply && entry.reply.hint === "date"));
    scrollDown();
  } else {
    send({}, null, false);
  }
})();

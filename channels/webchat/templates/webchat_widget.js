/* Slotwise chat widget. On any site: <script src="https://YOUR-HOST/widget.js" async></script>
   adds a floating chat button; it opens the chat page (/?embed=1) in an iframe, so the chat
   keeps its own styles, scripts and origin, and the site's never touch it. */
(() => {
  "use strict";
  const config = {{ config }};
  const script = document.currentScript
    || [...document.scripts].find((s) => /\/widget\.js(?:[?#]|$)/.test(s.src));
  if (!script || window.__slotwiseWidget) return;
  window.__slotwiseWidget = true;
  const chatUrl = new URL("./?embed=1", script.src);
  const chatOrigin = chatUrl.origin;

  const host = document.createElement("div");
  host.setAttribute("data-slotwise-widget", "");
  host.lang = config.lang;
  const root = host.attachShadow({ mode: "open" });
  root.innerHTML = `
<style>
  :host { all: initial; }
  * { box-sizing: border-box; }
  .button {
    position: fixed; right: 20px; bottom: 20px; z-index: 2147483646;
    width: 60px; height: 60px; border-radius: 50%; border: 0; cursor: pointer;
    background: var(--accent); color: var(--on-accent);
    box-shadow: 0 4px 14px rgba(0, 0, 0, .25); display: grid; place-items: center;
    transition: transform .15s ease;
  }
  .button:hover { transform: scale(1.06); }
  .button:focus-visible { outline: 3px solid var(--accent); outline-offset: 3px; }
  .button svg { width: 28px; height: 28px; }
  .button .close-icon, :host(.open) .button .chat-icon { display: none; }
  :host(.open) .button .close-icon { display: block; }
  .panel {
    position: fixed; right: 20px; bottom: 92px; z-index: 2147483647;
    width: min(400px, calc(100vw - 40px)); height: min(640px, calc(100vh - 112px));
    border: 0; border-radius: 14px; overflow: hidden; background: #fff;
    box-shadow: 0 10px 40px rgba(0, 0, 0, .3); display: none;
  }
  :host(.open) .panel { display: block; }
  iframe { width: 100%; height: 100%; border: 0; display: block; }
  @media (max-width: 480px), (max-height: 560px) {
    .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; }
    :host(.open) .button { display: none; }
  }
</style>
<button type="button" class="button" aria-expanded="false">
  <svg class="chat-icon" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H8l-4.5 3.6A.5.5 0 0 1 2.7 21V5a2 2 0 0 1 1.3-2z"/></svg>
  <svg class="close-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" fill="none"/></svg>
</button>
<div class="panel" role="dialog"></div>`;
  host.style.setProperty("--accent", config.accent);
  host.style.setProperty("--on-accent", config.onAccent);
  const button = root.querySelector(".button");
  const panel = root.querySelector(".panel");
  button.setAttribute("aria-label", config.open);
  button.title = config.open;
  panel.setAttribute("aria-label", config.name);
  let frame = null;

  function setOpen(open) {
    host.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
    button.setAttribute("aria-label", open ? config.close : config.open);
    button.title = open ? config.close : config.open;
    if (open && !frame) {
      frame = document.createElement("iframe");
      frame.src = chatUrl.href;
      frame.title = config.name;
      panel.appendChild(frame);
    }
    if (open) frame.focus();
    else button.focus();
  }

  button.addEventListener("click", () => setOpen(!host.classList.contains("open")));
  window.addEventListener("message", (event) => {
    if (event.origin === chatOrigin && event.data && event.data.type === "slotwise:close") {
      setOpen(false);
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && host.classList.contains("open")) setOpen(false);
  });

  const mount = () => document.body.appendChild(host);
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();

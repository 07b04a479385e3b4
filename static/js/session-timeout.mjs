// Warns a signed-in carer before the idle sign-out (herbert/auth/sessions.py) and lets them stay signed in.
// Loaded as a module with the page's CSP nonce; no inline handlers. Without JavaScript the warning stays
// hidden and the server still signs people out after the idle limit.
//
// - Typing, tapping and clicking count as activity: they reset the countdown and, at most once a minute,
//   tell the server (the keep-alive request refreshes the session's idle timer), so nobody is signed out
//   in the middle of writing a long answer.
// - The warning never takes focus from a form field: it is announced (aria-live) and focus moves to it
//   only when nothing else has focus.
// - Just before the idle limit, a question page with changes is saved first: its own form is submitted
//   with idle_save=1, the server saves it as "Save and continue" would, then signs out and asks the carer
//   to sign in again, coming back to the same page (herbert/auth/idle.py). Nothing typed is kept in the
//   browser: no localStorage, no sessionStorage, no cookie.

const banner = document.getElementById("session-timeout");
const TOUCH_EVERY_MS = 60000;
const SAVE_BEFORE_MS = 20000; // the idle save goes this long before the server's limit

function start(banner) {
  const idleMs = Number(banner.dataset.idleSeconds) * 1000;
  const warnMs = Number(banner.dataset.warnSeconds) * 1000;
  const keepAliveUrl = banner.dataset.keepAliveUrl;
  const form = banner.querySelector("form");
  const message = document.getElementById("session-timeout-message");
  const draft = document.querySelector("form[data-idle-save]");
  const draftAtLoad = draft ? serialise(draft) : null;
  let lastActivity = Date.now();
  let lastTouch = Date.now();
  let saving = false;

  function serialise(target) {
    return JSON.stringify([...new FormData(target).entries()].filter(([name]) => name !== "csrf_token"));
  }

  function minutesLeft() {
    return Math.max(0, Math.ceil((lastActivity + idleMs - Date.now()) / 60000));
  }

  function inFormField() {
    const active = document.activeElement;
    return !!active && active !== document.body && active.matches("input, textarea, select, [contenteditable]");
  }

  function show() {
    const left = minutesLeft();
    message.textContent = `You will be signed out in ${left} minute${left === 1 ? "" : "s"}`;
    if (!banner.hidden) {
      return;
    }
    banner.hidden = false;
    if (!inFormField()) {
      banner.focus();
    }
  }

  function hide() {
    banner.hidden = true;
  }

  function signedOut() {
    // Reload this address: the server sees the expired session and shows the sign-in page, which says why.
    window.location.assign(window.location.pathname + window.location.search);
  }

  async function keepAlive() {
    const body = new FormData(form);
    try {
      const response = await fetch(keepAliveUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-Requested-With": "fetch", "X-CSRFToken": body.get("csrf_token") },
      });
      return response.status === 204;
    } catch {
      return false; // a network error: the next check decides
    }
  }

  async function activity() {
    lastActivity = Date.now();
    if (!banner.hidden) {
      hide();
    }
    if (Date.now() - lastTouch >= TOUCH_EVERY_MS) {
      lastTouch = Date.now();
      await keepAlive();
    }
  }

  function saveDraftFirst() {
    if (saving || !draft || serialise(draft) === draftAtLoad) {
      return false;
    }
    saving = true;
    const marker = document.createElement("input");
    marker.type = "hidden";
    marker.name = "idle_save";
    marker.value = "1";
    draft.append(marker);
    HTMLFormElement.prototype.submit.call(draft); // a normal POST of the page, as "Save and continue" is
    return true;
  }

  for (const type of ["input", "keydown", "pointerdown"]) {
    document.addEventListener(type, activity, { passive: true, capture: true });
  }

  // Check every 5 seconds against the clock, so sleeping laptops and throttled tabs still get it right.
  window.setInterval(() => {
    const elapsed = Date.now() - lastActivity;
    if (elapsed >= idleMs - SAVE_BEFORE_MS && saveDraftFirst()) {
      return;
    }
    if (elapsed >= idleMs + 5000) {
      signedOut();
    } else if (elapsed >= idleMs - warnMs) {
      show();
    }
  }, 5000);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await keepAlive()) {
      lastActivity = lastTouch = Date.now();
      hide();
      return;
    }
    signedOut();
  });
}

if (banner) {
  start(banner);
}

// Warns a signed-in carer before the idle sign-out (herbert/auth/sessions.py) and lets them stay signed in.
// Loaded as a module with the page's CSP nonce; no inline handlers. Without JavaScript the warning stays
// hidden and the server still signs people out after the idle limit.

const banner = document.getElementById("session-timeout");

function start(banner) {
  const idleMs = Number(banner.dataset.idleSeconds) * 1000;
  const warnMs = Number(banner.dataset.warnSeconds) * 1000;
  const keepAliveUrl = banner.dataset.keepAliveUrl;
  const form = banner.querySelector("form");
  const message = document.getElementById("session-timeout-message");
  let lastActivity = Date.now();

  function minutesLeft() {
    return Math.max(0, Math.ceil((lastActivity + idleMs - Date.now()) / 60000));
  }

  function show() {
    if (!banner.hidden) {
      const left = minutesLeft();
      message.textContent = `You will be signed out in ${left} minute${left === 1 ? "" : "s"}`;
      return;
    }
    banner.hidden = false;
    const left = minutesLeft();
    message.textContent = `You will be signed out in ${left} minute${left === 1 ? "" : "s"}`;
    banner.focus();
  }

  function hide() {
    banner.hidden = true;
  }

  function signedOut() {
    // Reload this address: the server sees the expired session and shows the sign-in page, which says why.
    window.location.assign(window.location.pathname + window.location.search);
  }

  // Check every 15 seconds against the clock, so sleeping laptops and throttled tabs still get it right.
  window.setInterval(() => {
    const elapsed = Date.now() - lastActivity;
    if (elapsed >= idleMs + 5000) {
      signedOut();
    } else if (elapsed >= idleMs - warnMs) {
      show();
    }
  }, 15000);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData(form);
    try {
      const response = await fetch(keepAliveUrl, {
        method: "POST",
        body,
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-Requested-With": "fetch", "X-CSRFToken": body.get("csrf_token") },
      });
      if (response.status === 204) {
        lastActivity = Date.now();
        hide();
        return;
      }
    } catch {
      // A network error: fall through and let the server decide.
    }
    signedOut();
  });
}

if (banner) {
  start(banner);
}

// The sign-in page.
"use strict";

(function () {
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  // Where to go once signed in: an OAuth authorization waiting for consent, else the overview.
  function nextPage() {
    const next = new URLSearchParams(window.location.search).get("next") || "";
    return next.startsWith("/oauth/authorize?") ? next : "/overview";
  }
  // A browser sent here from another site arrives without its SameSite=Strict cookie: when
  // an OAuth authorization waits and the session is still live, go straight back to it.
  if (nextPage() !== "/overview") {
    A365.api("GET", "/api/v1/me").then(
      () => window.location.replace(nextPage()),
      () => {},
    );
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    A365.showError(error, "");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await A365.api("POST", "/api/v1/session", {
        email: form.email.value,
        password: form.password.value,
      });
      window.location.assign(nextPage());
    } catch (e) {
      A365.showError(error, e.message);
      form.password.value = "";
      form.password.focus();
    } finally {
      button.disabled = false;
    }
  });
})();

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

// Starts GOV.UK Frontend's JavaScript components. Loaded as a module from
// templates/base.html so no inline script is needed (the CSP forbids them).
// The relative import resolves to /static/build/govuk-frontend.min.js (or the
// same path under any URL prefix the app is mounted at).
import { initAll } from "../build/govuk-frontend.min.js";

initAll();

// A page shown in answer to a form post (base.html marks it) becomes an ordinary visit to its
// address in the browser's history. Going back to it, or reloading it, then shows the form
// afresh instead of the browser's "Confirm form resubmission" page, and nothing is resent.
if (document.body.dataset.appFormPost !== undefined) {
  window.history.replaceState(window.history.state, "", window.location.href);
}

// An extract being made (templates/reports/_extract_status.html): its status is fetched again
// every few seconds and put in place until it is done; the region is aria-live, so a screen
// reader hears the progress. Without JavaScript the page has a "Refresh this page" link.
const progress = document.querySelector('[data-module="extract-progress"]');
if (progress && progress.dataset.done === "false") {
  const refresh = async () => {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.getElementById("extract-status");
    const current = document.getElementById("extract-status");
    if (!fresh || !current) return;
    current.replaceWith(fresh);
    if (fresh.dataset.done === "false") window.setTimeout(refresh, 2000);
  };
  window.setTimeout(refresh, 2000);
}

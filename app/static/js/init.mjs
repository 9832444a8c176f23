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

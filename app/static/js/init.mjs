// Starts GOV.UK Frontend's JavaScript components. Loaded as a module from
// templates/base.html so no inline script is needed (the CSP forbids them).
// The relative import resolves to /static/build/govuk-frontend.min.js (or the
// same path under any URL prefix the app is mounted at).
import { initAll } from "../build/govuk-frontend.min.js";

initAll();

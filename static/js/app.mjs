// Starts GOV.UK Frontend's components (character counts, error summary focus, and so on).
import { initAll } from "/static/vendor/govuk-frontend.min.js";

initAll();

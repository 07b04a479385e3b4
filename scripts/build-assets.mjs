// Builds GOV.UK Frontend into static/vendor/ (git-ignored): our own Sass settings
// (system fonts, not GDS Transport, which is reserved for GOV.UK), the JS bundle, and images.
import { cpSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import * as sass from "sass";

const out = "static/vendor";
const govuk = "node_modules/govuk-frontend/dist/govuk";
rmSync(out, { recursive: true, force: true });
mkdirSync(`${out}/images`, { recursive: true });

const css = sass.compile("static/src/app.scss", { loadPaths: ["node_modules"], style: "compressed", quietDeps: true, silenceDeprecations: ["import"] });
writeFileSync(`${out}/app.css`, css.css);
cpSync(`${govuk}/govuk-frontend.min.js`, `${out}/govuk-frontend.min.js`);
cpSync(`${govuk}/assets/images/favicon.ico`, `${out}/images/favicon.ico`);
writeFileSync(`${out}/.built`, new Date().toISOString());
console.log(`built ${out}/app.css (${css.css.length} bytes) and govuk-frontend.min.js`);

// Builds the front-end assets into app/static/build/:
//   main.css                - assets/scss/main.scss compiled with Dart Sass (compressed, no source map)
//   govuk-frontend.min.js   - GOV.UK Frontend's ES module bundle, copied unchanged
// No fonts and no GOV.UK images are copied: this service does not use GOV.UK branding.
// Run with `npm run build`.

import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "app", "static", "build");
const govukDist = join(root, "node_modules", "govuk-frontend", "dist", "govuk");

await mkdir(outDir, { recursive: true });

const result = await sass.compileAsync(join(root, "assets", "scss", "main.scss"), {
  style: "compressed",
  sourceMap: false,
  importers: [new sass.NodePackageImporter(root)],
  // Deprecation notices from inside node_modules are not ours to fix.
  quietDeps: true,
});

// Guard against GOV.UK branding creeping back in through a settings change.
for (const forbidden of ["GDS Transport", "@font-face"]) {
  if (result.css.includes(forbidden)) {
    throw new Error(`main.css must not contain "${forbidden}"; check $govuk-font-family in main.scss`);
  }
}

await writeFile(join(outDir, "main.css"), result.css + "\n");
await copyFile(join(govukDist, "govuk-frontend.min.js"), join(outDir, "govuk-frontend.min.js"));

console.log(`Built ${outDir}: main.css (${result.css.length} bytes), govuk-frontend.min.js`);

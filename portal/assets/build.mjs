// Builds the portal's assets from npm packages into portal/static/dist (git-ignored): MotCua's stylesheet
// compiled from GOV.UK Frontend's Sass, and the scripts the pages use, copied from their packages.
import { cpSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";
import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const modules = join(root, "node_modules");
const out = join(root, "portal", "static", "dist");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const css = sass.compile(join(here, "motcua.scss"), {
  loadPaths: [modules],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import", "global-builtin", "color-functions", "slash-div"],
});
writeFileSync(join(out, "motcua.css"), css.css);

const copy = (from, to) => cpSync(join(modules, from), join(out, to), { recursive: true });
copy("govuk-frontend/dist/govuk/govuk-frontend.min.js", "govuk-frontend.min.js");
copy("htmx.org/dist/htmx.min.js", "htmx.min.js");
copy("chart.js/dist/chart.umd.min.js", "chart.umd.min.js");
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"]) {
  copy(`swagger-ui-dist/${name}`, `swagger-ui/${name}`);
}
for (const name of ["motcua.js", "verify.js", "stats.js"]) cpSync(join(here, name), join(out, name));
if (existsSync(join(modules, "axe-core", "axe.min.js"))) copy("axe-core/axe.min.js", "test/axe.min.js");

// The BPMN modeler (bpmn-js, its properties panel with MotCua's group, bpmnlint overlays) for the browser,
// and the same bpmnlint rule set as a Node program the server runs on uploaded diagrams.
const bundle = { bundle: true, minify: true, legalComments: "linked", logLevel: "error", absWorkingDir: root };
await esbuild.build({
  ...bundle,
  entryPoints: { modeler: join(here, "modeler.js"), "modeler-style": join(here, "modeler.css") },
  outdir: join(out, "bpmn"),
  format: "iife",
  target: ["es2020"],
  loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file" },
});
await esbuild.build({
  ...bundle,
  entryPoints: [join(here, "bpmnlint", "cli.mjs")],
  outfile: join(out, "bpmnlint", "motcua-lint.cjs"),
  platform: "node",
  format: "cjs",
  target: ["node20"],
});

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
writeFileSync(join(out, "VERSIONS.json"), JSON.stringify(pkg.dependencies, null, 2));

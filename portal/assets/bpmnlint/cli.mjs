// Server-side linter: BPMN XML on stdin, one JSON document on stdout.
//   {"problems": [{"element_id", "rule", "severity", "message_vi", "message_en"}], "warnings": [...]}
//   {"error": "..."} when the XML is not BPMN 2.0 that bpmn-moddle can read.
// Bundled by build.mjs into portal/static/dist/bpmnlint/motcua-lint.cjs; run by integrations/bpmnlint.
import { BpmnModdle } from "bpmn-moddle";
import { Linter } from "bpmnlint";
import descriptor from "../motcua-moddle.json";
import { messages, motcuaLintConfig } from "./index.mjs";

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function main() {
  const xml = await readStdin();
  const moddle = new BpmnModdle({ spiffworkflow: descriptor });
  let parsed;
  try {
    parsed = await moddle.fromXML(xml, "bpmn:Definitions");
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error.message || error).slice(0, 500) }));
    return;
  }
  const linter = new Linter(motcuaLintConfig());
  const results = await linter.lint(parsed.rootElement);
  const problems = [];
  for (const [rule, reports] of Object.entries(results)) {
    for (const report of reports) {
      const text = messages(rule, report);
      problems.push({
        element_id: report.id || "",
        rule,
        severity: report.category === "warn" ? "warning" : report.category,
        message_vi: text.vi,
        message_en: text.en,
      });
    }
  }
  const warnings = (parsed.warnings || []).map((warning) => String(warning.message || warning).slice(0, 300));
  process.stdout.write(JSON.stringify({ problems, warnings: warnings.slice(0, 20) }));
}

main().catch((error) => {
  process.stdout.write(JSON.stringify({ error: String(error && error.message ? error.message : error) }));
  process.exitCode = 1;
});

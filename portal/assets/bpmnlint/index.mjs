// MotCua's bpmnlint setup, shared by the browser modeler (portal/assets/modeler.js) and the server-side
// linter (cli.mjs, run by integrations/bpmnlint): the rule set, a static resolver and bilingual messages.
import StaticResolver from "bpmnlint/lib/resolver/static-resolver";
import adHocSubProcess from "bpmnlint/rules/ad-hoc-sub-process";
import conditionalFlows from "bpmnlint/rules/conditional-flows";
import endEventRequired from "bpmnlint/rules/end-event-required";
import eventBasedGateway from "bpmnlint/rules/event-based-gateway";
import eventSubProcessTypedStartEvent from "bpmnlint/rules/event-sub-process-typed-start-event";
import labelRequired from "bpmnlint/rules/label-required";
import linkEvent from "bpmnlint/rules/link-event";
import noBpmndi from "bpmnlint/rules/no-bpmndi";
import noComplexGateway from "bpmnlint/rules/no-complex-gateway";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import noDuplicateSequenceFlows from "bpmnlint/rules/no-duplicate-sequence-flows";
import noGatewayJoinFork from "bpmnlint/rules/no-gateway-join-fork";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split";
import singleBlankStartEvent from "bpmnlint/rules/single-blank-start-event";
import singleEventDefinition from "bpmnlint/rules/single-event-definition";
import startEventRequired from "bpmnlint/rules/start-event-required";
import subProcessBlankStartEvent from "bpmnlint/rules/sub-process-blank-start-event";
import superfluousGateway from "bpmnlint/rules/superfluous-gateway";
import superfluousTermination from "bpmnlint/rules/superfluous-termination";
import { RULES } from "./rules.mjs";

const CORE = {
  "ad-hoc-sub-process": [adHocSubProcess, "error"],
  "conditional-flows": [conditionalFlows, "error"],
  "end-event-required": [endEventRequired, "error"],
  "event-based-gateway": [eventBasedGateway, "error"],
  "event-sub-process-typed-start-event": [eventSubProcessTypedStartEvent, "error"],
  "label-required": [labelRequired, "warn"],
  "link-event": [linkEvent, "error"],
  "no-bpmndi": [noBpmndi, "warn"],
  "no-complex-gateway": [noComplexGateway, "error"],
  "no-disconnected": [noDisconnected, "error"],
  "no-duplicate-sequence-flows": [noDuplicateSequenceFlows, "error"],
  "no-gateway-join-fork": [noGatewayJoinFork, "warn"],
  "no-implicit-split": [noImplicitSplit, "error"],
  "single-blank-start-event": [singleBlankStartEvent, "error"],
  "single-event-definition": [singleEventDefinition, "error"],
  "start-event-required": [startEventRequired, "error"],
  "sub-process-blank-start-event": [subProcessBlankStartEvent, "error"],
  "superfluous-gateway": [superfluousGateway, "warn"],
  "superfluous-termination": [superfluousTermination, "warn"],
};

const LOCAL = {
  "lane-role": "error",
  "lane-role-known": "warn",
  "user-task-lane": "error",
  "user-task-form": "error",
  "user-task-status": "error",
  "user-task-step": "error",
  "end-event-status": "error",
  "gateway-default": "error",
  "timer-expression": "error",
  unreachable: "error",
};

/** Vietnamese for the core rules' messages: by exact English message, else by rule. */
export const VI_BY_MESSAGE = {
  "Duplicate outgoing sequence flows": "Các luồng đi ra bị trùng",
  "Duplicate incoming sequence flows": "Các luồng đi vào bị trùng",
  "SequenceFlow is a duplicate": "Luồng tuần tự bị trùng",
};
export const VI_BY_RULE = {
  "ad-hoc-sub-process": "Quy trình con ad-hoc không hợp lệ",
  "conditional-flows": "Luồng tuần tự thiếu điều kiện",
  "end-event-required": "Thiếu sự kiện kết thúc",
  "event-based-gateway": "Cổng dựa trên sự kiện không hợp lệ",
  "event-sub-process-typed-start-event": "Sự kiện bắt đầu của quy trình con sự kiện phải có loại sự kiện",
  "label-required": "Phần tử chưa có tên",
  "link-event": "Sự kiện liên kết không khớp tên liên kết",
  "no-bpmndi": "Phần tử chưa có hình vẽ trên sơ đồ (bpmndi)",
  "no-complex-gateway": "Không dùng cổng phức hợp (complex gateway)",
  "no-disconnected": "Phần tử không được nối với luồng nào",
  "no-duplicate-sequence-flows": "Luồng tuần tự bị trùng",
  "no-gateway-join-fork": "Cổng vừa hợp nhất vừa rẽ nhánh",
  "no-implicit-split": "Luồng rẽ nhánh ngầm (nên dùng cổng rẽ nhánh)",
  "single-blank-start-event": "Có nhiều sự kiện bắt đầu trống",
  "single-event-definition": "Sự kiện có nhiều định nghĩa sự kiện",
  "start-event-required": "Thiếu sự kiện bắt đầu",
  "sub-process-blank-start-event": "Sự kiện bắt đầu của quy trình con phải là sự kiện trống",
  "superfluous-gateway": "Cổng thừa: chỉ có một luồng vào và một luồng ra",
  "superfluous-termination": "Sự kiện kết thúc hủy (terminate) là thừa",
};

export const PLUGIN = "bpmnlint-plugin-motcua";

/** The rule names as bpmnlint reports them (core rules bare, ours as motcua/<rule>). */
export const RULE_NAMES = [...Object.keys(CORE), ...Object.keys(LOCAL).map((name) => `motcua/${name}`)];

/** Vietnamese and English text of one report. */
export function messages(rule, report) {
  const en = report.message || rule;
  const vi = report.vi || VI_BY_MESSAGE[en] || VI_BY_RULE[rule] || en;
  return { vi, en };
}

/**
 * bpmnlint's { config, resolver } for MotCua. With `language` ("vi" or "en") every report's message is
 * replaced by its text in that language (the browser overlays show `message`); without, reports keep the
 * English message and carry `vi` (the server reads both).
 */
export function motcuaLintConfig(language) {
  const cache = {};
  const wrap = (ruleName, factory) => (config) => {
    const rule = factory(config);
    if (!language) return rule;
    const translating = (reporter) => ({
      report(id, message, data) {
        const text = messages(ruleName, { message, ...(data && !Array.isArray(data) ? data : {}) });
        reporter.report(id, language === "en" ? text.en : text.vi, data);
      },
    });
    const check = rule.check;
    if (typeof check === "function") {
      return { ...rule, check: (node, reporter) => check(node, translating(reporter)) };
    }
    return {
      ...rule,
      check: {
        enter: check.enter && ((node, reporter) => check.enter(node, translating(reporter))),
        leave: check.leave && ((node, reporter) => check.leave(node, translating(reporter))),
      },
    };
  };
  const rules = {};
  for (const [name, [factory, category]] of Object.entries(CORE)) {
    cache[`rule:bpmnlint/${name}`] = wrap(name, factory);
    rules[name] = category;
  }
  for (const [name, category] of Object.entries(LOCAL)) {
    cache[`rule:${PLUGIN}/${name}`] = wrap(`motcua/${name}`, RULES[name]);
    rules[`motcua/${name}`] = category;
  }
  return { config: { rules }, resolver: new StaticResolver(cache) };
}

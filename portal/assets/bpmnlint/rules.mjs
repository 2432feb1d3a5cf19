// MotCua's own bpmnlint rules (the plugin "bpmnlint-plugin-motcua", rules named motcua/<rule>).
// Each rule reports an English message and, in the report's data, its Vietnamese text (`vi`).
// They check what the engine reads from a process (engine/workflow/spiff.py, engine/checks.py):
// lanes name roles, user tasks carry spiffworkflow:properties form/status/step, end events a status.
import { is, isAny } from "bpmnlint-utils";
import catalogue from "./catalogue.json";

const ROLES = new Set(catalogue.roles.map((role) => role.value));
const STATUSES = new Set(catalogue.statuses.map((status) => String(status.value)));

/** The spiffworkflow:property name → value pairs of an element (what the engine reads as `properties`). */
export function spiffProperties(node) {
  const values = {};
  const extensions = (node.extensionElements && node.extensionElements.values) || [];
  for (const extension of extensions) {
    if (extension.$type !== "spiffworkflow:properties") continue;
    for (const property of extension.properties || extension.$children || []) {
      const name = property.name ?? (property.$attrs && property.$attrs.name);
      const value = property.value ?? (property.$attrs && property.$attrs.value);
      if (name) values[name] = value ?? "";
    }
  }
  return values;
}

const rule = (name, check) => () => ({ meta: { documentation: { url: "" } }, check, name });

// --- lanes --------------------------------------------------------------------------------------------
export const laneRole = rule("lane-role", (node, reporter) => {
  if (is(node, "bpmn:Lane") && !(node.name || "").trim()) {
    reporter.report(node.id, "Lane has no role (its name is the role the engine assigns)", {
      vi: "Lane chưa có vai trò (tên lane là vai trò được giao bước xử lý)",
    });
  }
});

export const laneRoleKnown = rule("lane-role-known", (node, reporter) => {
  const name = (node.name || "").trim();
  if (is(node, "bpmn:Lane") && name && !ROLES.has(name) && !(node.childLaneSet && node.childLaneSet.lanes)) {
    const roles = [...ROLES].join(", ");
    reporter.report(node.id, `Lane «${name}» is not a MotCua role (${roles}): procedure.yaml must map it`, {
      vi: `Lane «${name}» không phải vai trò của MotCua (${roles}): procedure.yaml phải ánh xạ nó`,
    });
  }
});

export const userTaskLane = rule("user-task-lane", (node, reporter) => {
  if (!is(node, "bpmn:Process")) return;
  const inLane = new Set();
  const walk = (laneSet) => {
    for (const lane of (laneSet && laneSet.lanes) || []) {
      for (const ref of lane.flowNodeRef || []) inLane.add(ref.id);
      walk(lane.childLaneSet);
    }
  };
  for (const laneSet of node.laneSets || []) walk(laneSet);
  for (const element of node.flowElements || []) {
    if (is(element, "bpmn:UserTask") && !inLane.has(element.id)) {
      reporter.report(element.id, "User task is in no lane (no role would receive it)", {
        vi: "Bước xử lý không nằm trong lane nào (không vai trò nào nhận được bước này)",
      });
    }
  }
});

// --- user tasks and end events ---------------------------------------------------------------------------
export const userTaskForm = rule("user-task-form", (node, reporter) => {
  if (is(node, "bpmn:UserTask") && !(spiffProperties(node).form || "").trim()) {
    reporter.report(node.id, "User task has no form (property «form»)", {
      vi: "Bước xử lý chưa có biểu mẫu (thuộc tính «form»)",
    });
  }
});

export const userTaskStep = rule("user-task-step", (node, reporter) => {
  if (is(node, "bpmn:UserTask") && !(spiffProperties(node).step || "").trim()) {
    reporter.report(node.id, "User task has no step (property «step», the key of its time budget)", {
      vi: "Bước xử lý chưa có mã bước (thuộc tính «step», khóa thời hạn của bước)",
    });
  }
});

function checkStatus(node, reporter, what) {
  const status = spiffProperties(node).status;
  if (status === undefined || !String(status).trim()) {
    reporter.report(node.id, `${what.en} has no dossier status (property «status»)`, {
      vi: `${what.vi} chưa có trạng thái hồ sơ (thuộc tính «status»)`,
    });
  } else if (!STATUSES.has(String(status).trim())) {
    reporter.report(node.id, `${what.en}: status «${status}» is not in the catalogue (1–10)`, {
      vi: `${what.vi}: trạng thái «${status}» không có trong danh mục (1–10)`,
    });
  }
}

export const userTaskStatus = rule("user-task-status", (node, reporter) => {
  if (is(node, "bpmn:UserTask")) checkStatus(node, reporter, { en: "User task", vi: "Bước xử lý" });
});

export const endEventStatus = rule("end-event-status", (node, reporter) => {
  if (is(node, "bpmn:EndEvent")) checkStatus(node, reporter, { en: "End event", vi: "Sự kiện kết thúc" });
});

// --- gateways -------------------------------------------------------------------------------------------
export const gatewayDefault = rule("gateway-default", (node, reporter) => {
  if (isAny(node, ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway"]) && (node.outgoing || []).length > 1) {
    if (!node.default) {
      reporter.report(node.id, "Gateway has no default flow (a dossier matching no condition would stall)", {
        vi: "Cổng rẽ nhánh chưa có nhánh mặc định (hồ sơ không khớp điều kiện nào sẽ bị treo)",
      });
    }
  }
});

// --- timers ---------------------------------------------------------------------------------------------
const BARE_ISO = /^(R\d*\/)?(P(\d|T)|\d{4}-\d{2}-\d{2})/;

export const timerExpression = rule("timer-expression", (node, reporter) => {
  if (!is(node, "bpmn:TimerEventDefinition")) return;
  const expression = node.timeDuration || node.timeDate || node.timeCycle;
  const owner = node.$parent && node.$parent.id ? node.$parent.id : node.id;
  const body = ((expression && expression.body) || "").trim();
  if (!body) {
    reporter.report(owner, "Timer has no expression (e.g. \"P30D\")", {
      vi: "Bộ hẹn giờ chưa có biểu thức (ví dụ \"P30D\")",
    });
  } else if (BARE_ISO.test(body)) {
    reporter.report(owner, `Timer expression is Python: quote the ISO value ("${body}")`, {
      vi: `Biểu thức hẹn giờ là Python: đặt giá trị ISO trong dấu nháy ("${body}")`,
    });
  }
});

// --- reachability ---------------------------------------------------------------------------------------
function flowNodes(container) {
  return (container.flowElements || []).filter((element) => is(element, "bpmn:FlowNode"));
}

function reachableFrom(container) {
  const nodes = flowNodes(container);
  const seen = new Set();
  const queue = nodes.filter((node) => is(node, "bpmn:StartEvent"));
  for (const sub of nodes) {
    if (is(sub, "bpmn:SubProcess") && sub.triggeredByEvent) queue.push(sub);
  }
  const links = {};
  for (const node of nodes) {
    const definition = (node.eventDefinitions || [])[0];
    if (is(node, "bpmn:IntermediateCatchEvent") && definition && is(definition, "bpmn:LinkEventDefinition")) {
      (links[definition.name] ||= []).push(node);
    }
  }
  const boundary = {};
  for (const node of nodes) {
    if (is(node, "bpmn:BoundaryEvent") && node.attachedToRef) {
      (boundary[node.attachedToRef.id] ||= []).push(node);
    }
  }
  while (queue.length) {
    const node = queue.pop();
    if (!node || seen.has(node)) continue;
    seen.add(node);
    for (const flow of node.outgoing || []) queue.push(flow.targetRef);
    queue.push(...(boundary[node.id] || []));
    const definition = (node.eventDefinitions || [])[0];
    if (is(node, "bpmn:IntermediateThrowEvent") && definition && is(definition, "bpmn:LinkEventDefinition")) {
      queue.push(...(links[definition.name] || []));
    }
  }
  return { nodes, seen };
}

export const unreachable = rule("unreachable", (node, reporter) => {
  if (!isAny(node, ["bpmn:Process", "bpmn:SubProcess"])) return;
  if (is(node, "bpmn:AdHocSubProcess")) return;
  const { nodes, seen } = reachableFrom(node);
  if (!nodes.some((element) => is(element, "bpmn:StartEvent"))) return; // start-event-required says so
  for (const element of nodes) {
    if (!seen.has(element)) {
      reporter.report(element.id, "Element cannot be reached from a start event", {
        vi: "Không thể đi tới phần tử này từ sự kiện bắt đầu",
      });
    }
  }
});

export const RULES = {
  "lane-role": laneRole,
  "lane-role-known": laneRoleKnown,
  "user-task-lane": userTaskLane,
  "user-task-form": userTaskForm,
  "user-task-status": userTaskStatus,
  "user-task-step": userTaskStep,
  "end-event-status": endEventStatus,
  "gateway-default": gatewayDefault,
  "timer-expression": timerExpression,
  unreachable,
};

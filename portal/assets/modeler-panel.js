// The "MotCua" group of the properties panel: what the engine reads from a diagram, edited in place.
// Lanes name roles; user tasks carry spiffworkflow:properties form / status / step / decisions; end events a
// status; timers a Python expression; script tasks a script that may call the helpers listed.
import { SelectEntry, TextAreaEntry, TextFieldEntry, isSelectEntryEdited, isTextAreaEntryEdited, isTextFieldEntryEdited } from "@bpmn-io/properties-panel";
import { h } from "@bpmn-io/properties-panel/preact";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is } from "bpmn-js/lib/util/ModelUtil";
import catalogue from "./bpmnlint/catalogue.json";
import { spiffProperties } from "./bpmnlint/rules.mjs";

const LANG = (document.documentElement.lang || "vi").startsWith("en") ? "en" : "vi";
const t = (vi, en) => (LANG === "en" ? en : vi);

/** Set (or remove, when empty) one spiffworkflow:property, creating the containers it needs, in one undo step. */
export function setSpiffProperty(element, name, value, bpmnFactory, commandStack) {
  const bo = getBusinessObject(element);
  const commands = [];
  const update = (moddleElement, properties) =>
    commands.push({ cmd: "element.updateModdleProperties", context: { element, moddleElement, properties } });
  const text = (value || "").trim();
  let extensions = bo.get("extensionElements");
  if (!extensions) {
    if (!text) return;
    extensions = bpmnFactory.create("bpmn:ExtensionElements", { values: [] });
    extensions.$parent = bo;
    update(bo, { extensionElements: extensions });
  }
  let holder = extensions.get("values").find((value) => is(value, "spiffworkflow:properties"));
  if (!holder) {
    if (!text) return;
    holder = bpmnFactory.create("spiffworkflow:properties", { properties: [] });
    holder.$parent = extensions;
    update(extensions, { values: [...extensions.get("values"), holder] });
  }
  const current = holder.get("properties");
  const property = current.find((item) => item.name === name);
  if (!text) {
    if (property) update(holder, { properties: current.filter((item) => item !== property) });
  } else if (property) {
    update(property, { value: text });
  } else {
    const created = bpmnFactory.create("spiffworkflow:property", { name, value: text });
    created.$parent = holder;
    update(holder, { properties: [...current, created] });
  }
  if (commands.length) commandStack.execute("properties-panel.multi-command-executor", commands);
}

function usePropertyAccess(element, name) {
  const bpmnFactory = useService("bpmnFactory");
  const commandStack = useService("commandStack");
  return {
    getValue: () => spiffProperties(getBusinessObject(element))[name] || "",
    setValue: (value) => setSpiffProperty(element, name, value, bpmnFactory, commandStack),
  };
}

const required = (what) => (value) =>
  (value || "").trim() ? null : t(`Thiếu ${what.vi} — MotCua cần thuộc tính này`, `${what.en} is missing — MotCua needs it`);

function textProperty(name, label, description, what) {
  return function PropertyText({ element, id }) {
    const debounce = useService("debounceInput");
    return h(TextFieldEntry, {
      element, id, label, description, debounce, ...usePropertyAccess(element, name),
      validate: what ? required(what) : undefined,
    });
  };
}

const STATUS_OPTIONS = () => [
  { value: "", label: t("— chưa chọn —", "— not chosen —") },
  ...catalogue.statuses.map((status) => ({ value: String(status.value), label: `${status.value} · ${t(status.vi, status.en)}` })),
];

function StatusField({ element, id }) {
  const access = usePropertyAccess(element, "status");
  return h(SelectEntry, {
    element, id, ...access,
    label: t("Trạng thái hồ sơ (status)", "Dossier status (status)"),
    description: t("Trạng thái theo danh mục quốc gia khi hồ sơ tới đây", "National catalogue status once the dossier gets here"),
    getOptions: () => {
      const options = STATUS_OPTIONS();
      const value = access.getValue();
      if (value && !options.some((option) => option.value === value)) {
        options.push({ value, label: t(`${value} (không có trong danh mục)`, `${value} (not in the catalogue)`) });
      }
      return options;
    },
    validate: required({ vi: "trạng thái", en: "The status" }),
  });
}

/** The step budgets a page may give: <textarea data-bpmn-modeler data-bpmn-budgets='{"reception": 0.5}'>. */
function budgets() {
  const holder = document.querySelector("textarea[data-bpmn-budgets]");
  try {
    return holder ? JSON.parse(holder.dataset.bpmnBudgets) || {} : {};
  } catch {
    return {};
  }
}

function budgetHint(element) {
  const hours = budgets()[spiffProperties(getBusinessObject(element)).step];
  return hours === undefined ? "" : t(` Thời hạn của bước: ${hours} giờ làm việc.`, ` Step budget: ${hours} working hours.`);
}

const FormField = textProperty(
  "form",
  t("Biểu mẫu của bước (form)", "Task form (form)"),
  t("Tên biểu mẫu trong forms/tasks/, ví dụ reception", "A form in forms/tasks/, e.g. reception"),
  { vi: "biểu mẫu", en: "The form" },
);

function StepField({ element, id }) {
  const debounce = useService("debounceInput");
  return h(TextFieldEntry, {
    element, id, debounce, ...usePropertyAccess(element, "step"),
    label: t("Bước và thời hạn (step)", "Step and budget (step)"),
    description: t(
      "Khóa của bước trong budgets của procedure.yaml (số giờ làm việc của bước)." + budgetHint(element),
      "The step's key in procedure.yaml budgets (its working hours)." + budgetHint(element),
    ),
    validate: required({ vi: "mã bước", en: "The step" }),
  });
}

const DecisionsField = textProperty(
  "decisions",
  t("Các quyết định (decisions)", "Decisions (decisions)"),
  t("Cách nhau bởi dấu phẩy, ví dụ accept,supplement,refuse", "Comma-separated, e.g. accept,supplement,refuse"),
);

function LaneRoleField({ element, id }) {
  const modeling = useService("modeling");
  const getValue = () => getBusinessObject(element).name || "";
  return h(SelectEntry, {
    element, id, getValue,
    label: t("Vai trò (tên lane)", "Role (lane name)"),
    description: t("Bước trong lane được giao cho người có vai trò này", "Tasks in the lane go to people with this role"),
    setValue: (value) => modeling.updateProperties(element, { name: value }),
    getOptions: () => {
      const options = [
        { value: "", label: t("— chưa chọn —", "— not chosen —") },
        ...catalogue.roles.map((role) => ({ value: role.value, label: `${role.value} · ${t(role.vi, role.en)}` })),
      ];
      const value = getValue();
      if (value && !options.some((option) => option.value === value)) {
        options.push({ value, label: t(`${value} (procedure.yaml phải ánh xạ)`, `${value} (procedure.yaml must map it)`) });
      }
      return options;
    },
    validate: required({ vi: "vai trò", en: "The role" }),
  });
}

function timerOf(element) {
  const definitions = getBusinessObject(element).get("eventDefinitions") || [];
  return definitions.find((definition) => is(definition, "bpmn:TimerEventDefinition"));
}

const TIMER_KINDS = ["timeDuration", "timeDate", "timeCycle"];

function TimerField({ element, id }) {
  const debounce = useService("debounceInput");
  const bpmnFactory = useService("bpmnFactory");
  const commandStack = useService("commandStack");
  const timer = timerOf(element);
  const kind = TIMER_KINDS.find((name) => timer.get(name)) || "timeDuration";
  return h(TextFieldEntry, {
    element, id, debounce,
    label: t(`Hẹn giờ (${kind})`, `Timer (${kind})`),
    description: t(
      'Biểu thức Python: giá trị ISO phải trong dấu nháy, ví dụ "P30D" (30 ngày); thời điểm tính một lần khi bắt đầu chờ.',
      'A Python expression: quote ISO values, e.g. "P30D" (30 days); evaluated once when the wait starts.',
    ),
    getValue: () => (timer.get(kind) && timer.get(kind).body) || "",
    setValue: (value) => {
      const expression = timer.get(kind);
      if (expression) {
        commandStack.execute("element.updateModdleProperties", { element, moddleElement: expression, properties: { body: value } });
      } else {
        const created = bpmnFactory.create("bpmn:FormalExpression", { body: value });
        created.$parent = timer;
        commandStack.execute("element.updateModdleProperties", { element, moddleElement: timer, properties: { [kind]: created } });
      }
    },
    validate: required({ vi: "biểu thức hẹn giờ", en: "The timer expression" }),
  });
}

const HELPERS = () =>
  t("Hàm dùng được trong script: ", "Functions scripts may call: ") +
  catalogue.helpers.map((helper) => `${helper.signature} — ${t(helper.vi, helper.en)}`).join("; ") +
  t(". Không import, không truy cập thuộc tính __…__.", ". No imports, no __dunder__ access.");

function ScriptField({ element, id }) {
  const debounce = useService("debounceInput");
  const commandStack = useService("commandStack");
  const bo = getBusinessObject(element);
  return h(TextAreaEntry, {
    element, id, debounce, rows: 5, monospace: true,
    label: t("Script (Python hạn chế)", "Script (restricted Python)"),
    description: HELPERS(),
    getValue: () => bo.get("script") || "",
    setValue: (value) =>
      commandStack.execute("element.updateModdleProperties", { element, moddleElement: bo, properties: { script: value, scriptFormat: bo.get("scriptFormat") || "python" } }),
  });
}

/** The MotCua entries for one element (none for elements MotCua does not read). */
export function motcuaEntries(element) {
  const entries = [];
  const add = (id, component, isEdited) => entries.push({ id: `motcua-${id}`, element, component, isEdited });
  if (is(element, "bpmn:Lane")) add("role", LaneRoleField, isSelectEntryEdited);
  if (is(element, "bpmn:UserTask")) {
    add("form", FormField, isTextFieldEntryEdited);
    add("status", StatusField, isSelectEntryEdited);
    add("step", StepField, isTextFieldEntryEdited);
    add("decisions", DecisionsField, isTextFieldEntryEdited);
  }
  if (is(element, "bpmn:EndEvent")) add("end-status", StatusField, isSelectEntryEdited);
  if (is(element, "bpmn:Event") && timerOf(element)) add("timer", TimerField, isTextFieldEntryEdited);
  if (is(element, "bpmn:ScriptTask")) add("script", ScriptField, isTextAreaEntryEdited);
  return entries;
}

class MotCuaPropertiesProvider {
  constructor(propertiesPanel) {
    propertiesPanel.registerProvider(500, this);
  }

  getGroups(element) {
    return (groups) => {
      const entries = motcuaEntries(element);
      if (entries.length) groups.splice(1, 0, { id: "motcua", label: "MotCua", entries });
      return groups;
    };
  }
}
MotCuaPropertiesProvider.$inject = ["propertiesPanel"];

export default {
  __init__: ["motcuaPropertiesProvider"],
  motcuaPropertiesProvider: ["type", MotCuaPropertiesProvider],
};

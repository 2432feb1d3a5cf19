// Progressive enhancement of <textarea data-bpmn-modeler>: a bpmn-js modeler with the properties panel
// (MotCua group), MotCua's bpmnlint rules live as overlays, and the server's problems
// (<ul data-bpmn-problems><li data-element-id data-severity>) marked on their elements. The textarea stays
// the form field: it receives the edited XML before the form is sent. Without JavaScript, or on a narrow
// screen, the textarea is edited directly.
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import Modeler from "bpmn-js/lib/Modeler";
import { motcuaLintConfig } from "./bpmnlint/index.mjs";
import motcuaModdle from "./motcua-moddle.json";
import motcuaPanelModule from "./modeler-panel.js";

const LANG = (document.documentElement.lang || "vi").startsWith("en") ? "en" : "vi";
const t = (vi, en) => (LANG === "en" ? en : vi);

const VI = {
  "{errors} Errors, {warnings} Warnings": "{errors} lỗi, {warnings} cảnh báo",
  "No Issues": "Không có vấn đề",
  "Toggle linting overlays": "Bật/tắt đánh dấu vấn đề",
  "Issues for child elements": "Vấn đề của phần tử con",
  General: "Chung",
  Name: "Tên",
  ID: "Mã (ID)",
  Documentation: "Mô tả",
  "Element documentation": "Mô tả phần tử",
  "Process documentation": "Mô tả quy trình",
  "Select an element to edit its properties.": "Chọn một phần tử để sửa thuộc tính.",
};

function translateModule() {
  const translate = (template, replacements = {}) => {
    const text = LANG === "vi" && VI[template] ? VI[template] : template;
    return text.replace(/{([^}]+)}/g, (_, key) => (key in replacements ? replacements[key] : `{${key}}`));
  };
  return { translate: ["value", translate] };
}

function make(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function problemsFor(textarea) {
  const scope = textarea.form || document;
  return scope.querySelector("[data-bpmn-problems]") || document.querySelector("[data-bpmn-problems]");
}

function enhance(textarea, index) {
  const wrapper = make("div", "motcua-modeler");
  wrapper.setAttribute("role", "region");
  wrapper.setAttribute("aria-label", t("Trình sửa sơ đồ BPMN", "BPMN diagram editor"));
  const narrow = make(
    "p",
    "govuk-inset-text motcua-modeler__narrow",
    t(
      "Sửa sơ đồ bằng hình cần màn hình rộng hơn. Trên màn hình này, hãy sửa XML trong ô bên dưới.",
      "Editing the diagram needs a wider screen. On this screen, edit the XML in the box below.",
    ),
  );
  const body = make("div", "motcua-modeler__body");
  const canvas = make("div", "motcua-modeler__canvas");
  canvas.id = `bpmn-canvas-${index}`;
  const panel = make("div", "motcua-modeler__panel");
  panel.setAttribute("aria-label", t("Thuộc tính của phần tử", "Element properties"));
  panel.setAttribute("role", "complementary");
  body.append(canvas, panel);
  const status = make("p", "govuk-body-s motcua-modeler__status");
  status.setAttribute("role", "status");
  const toggle = make("button", "govuk-button govuk-button--secondary motcua-modeler__toggle", t("Sửa XML trực tiếp", "Edit the XML directly"));
  toggle.type = "button";
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-controls", textarea.id || "");
  wrapper.append(narrow, body, status, toggle);
  textarea.before(wrapper);
  textarea.classList.add("motcua-modeler__source", "motcua-modeler__source--hidden");
  toggle.addEventListener("click", () => {
    const hidden = textarea.classList.toggle("motcua-modeler__source--hidden");
    toggle.setAttribute("aria-expanded", String(!hidden));
  });

  const modeler = new Modeler({
    container: canvas,
    propertiesPanel: { parent: panel, layout: { groups: { motcua: { open: true } } } },
    additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, motcuaPanelModule, lintModule, translateModule()],
    moddleExtensions: { spiffworkflow: motcuaModdle },
    linting: { bpmnlint: motcuaLintConfig(LANG), active: true },
  });
  textarea.bpmnModeler = modeler;

  let dirty = false;
  let importing = false;
  const write = async () => {
    const { xml } = await modeler.saveXML({ format: true });
    textarea.value = xml;
    dirty = false;
  };
  modeler.on("commandStack.changed", () => {
    if (importing) return;
    dirty = true;
    clearTimeout(textarea.bpmnTimer);
    textarea.bpmnTimer = setTimeout(() => write().catch(() => {}), 300);
  });

  const open = async () => {
    importing = true;
    try {
      const xml = textarea.value.trim();
      if (xml) {
        const { warnings } = await modeler.importXML(xml);
        status.textContent = warnings.length
          ? t(`Đã mở sơ đồ (${warnings.length} cảnh báo khi đọc).`, `Diagram opened (${warnings.length} import warnings).`)
          : t("Đã mở sơ đồ.", "Diagram opened.");
      } else {
        await modeler.createDiagram();
        status.textContent = t("Sơ đồ mới.", "New diagram.");
      }
      wrapper.classList.remove("motcua-modeler--failed");
      markServerProblems(modeler, problemsFor(textarea));
      fit(modeler.get("canvas"));
    } catch (error) {
      wrapper.classList.add("motcua-modeler--failed");
      status.textContent = t(`Không mở được sơ đồ: ${error.message}`, `Could not open the diagram: ${error.message}`);
      textarea.classList.remove("motcua-modeler__source--hidden");
    } finally {
      importing = false;
    }
  };
  textarea.addEventListener("change", () => {
    dirty = false;
    open();
  });

  if (textarea.form) {
    textarea.form.addEventListener("submit", (event) => {
      if (!dirty) return;
      // The diagram changed since the textarea was last written: write it, then send the form ourselves
      // (form.submit() sends no submit event and no submitter, so the submitter's name/value is carried).
      event.preventDefault();
      const form = textarea.form;
      const submitter = event.submitter;
      clearTimeout(textarea.bpmnTimer);
      write().finally(() => {
        if (submitter && submitter.name) {
          const carried = make("input");
          carried.type = "hidden";
          carried.name = submitter.name;
          carried.value = submitter.value;
          form.append(carried);
        }
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }
  linkProblems(modeler, problemsFor(textarea), canvas);
  textarea.bpmnReady = open();
}

/** Fit the diagram in the canvas, leaving room for the palette on its left. */
function fit(canvas) {
  canvas.zoom("fit-viewport", "auto");
  const box = canvas.viewbox();
  const scale = Math.min(1, box.scale * 0.9);
  canvas.zoom(scale, "auto");
  canvas.scroll({ dx: 40, dy: 0 });
}

function markServerProblems(modeler, list) {
  if (!list) return;
  const overlays = modeler.get("overlays");
  const registry = modeler.get("elementRegistry");
  overlays.remove({ type: "motcua-server" });
  const byElement = {};
  for (const item of list.querySelectorAll("li[data-element-id]")) {
    const id = item.dataset.elementId;
    if (id && registry.get(id)) (byElement[id] ||= []).push(item);
  }
  for (const [id, items] of Object.entries(byElement)) {
    const error = items.some((item) => item.dataset.severity !== "warning");
    const badge = make("span", `motcua-server-problem motcua-server-problem--${error ? "error" : "warning"}`, String(items.length));
    badge.title = items.map((item) => item.textContent.trim()).join("\n");
    badge.dataset.elementId = id;
    overlays.add(id, "motcua-server", { position: { bottom: 8, left: -8 }, html: badge });
  }
}

function linkProblems(modeler, list, canvas) {
  if (!list) return;
  for (const item of list.querySelectorAll("li[data-element-id]")) {
    const id = item.dataset.elementId;
    if (!id) continue;
    const button = make("button", "motcua-problem-link", t("Xem trên sơ đồ", "Show on the diagram"));
    button.type = "button";
    button.addEventListener("click", () => {
      const element = modeler.get("elementRegistry").get(id);
      if (!element) return;
      modeler.get("selection").select(element);
      modeler.get("canvas").scrollToElement(element);
      canvas.scrollIntoView({ block: "center" });
    });
    item.append(" ", button);
  }
}

document.querySelectorAll("textarea[data-bpmn-modeler]").forEach(enhance);

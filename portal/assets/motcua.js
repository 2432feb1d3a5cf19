// Small enhancements; every page works without this file.
import { initAll } from "/static/dist/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// Conditional parts of a form: [data-show-when="name=value"] shows only when that field holds that value.
function refreshConditionals(root) {
  for (const el of root.querySelectorAll("[data-show-when]")) {
    const [name, value] = el.dataset.showWhen.split("=");
    const inputs = root.querySelectorAll(`[name="${CSS.escape(name)}"]`);
    let current = "";
    for (const input of inputs) {
      if ((input.type === "radio" || input.type === "checkbox") ? input.checked : true) current = input.value;
    }
    el.hidden = current !== value;
  }
}
document.addEventListener("change", () => refreshConditionals(document));
refreshConditionals(document);

// Add a row to a repeated group ("Thêm thành viên") by cloning its template.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-repeat-add]");
  if (!button) return;
  const group = document.getElementById(button.dataset.repeatAdd);
  const template = group && group.querySelector("template");
  if (!template) return;
  event.preventDefault();
  const index = group.querySelectorAll("[data-repeat-item]").length;
  const html = template.innerHTML.replaceAll("__INDEX__", String(index)).replaceAll("__NUMBER__", String(index + 1));
  template.insertAdjacentHTML("beforebegin", html);
});

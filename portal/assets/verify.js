// Verification page: compute the SHA-256 of a chosen PDF in the browser (the file never leaves the machine).
const input = document.getElementById("file");
if (input && window.crypto && crypto.subtle) {
  input.addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    document.getElementById("f-sha256").value = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
  });
}

// The deal page. No inline scripts or handler attributes: the CSP forbids them.

// Escape leaves an inline edit the way its Cancel link does.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !(event.target instanceof Element)) return;
  const cancel = event.target.closest("[data-inline-edit]")?.querySelector("[data-cancel-edit]");
  if (cancel instanceof HTMLElement) {
    event.preventDefault();
    cancel.click();
  }
});

// When a refusal brings a form back, put the cursor in the first field it complains about.
document.addEventListener("htmx:afterSettle", (event) => {
  if (!(event.detail?.xhr?.status >= 400)) return;
  const invalid = document.querySelector('[aria-invalid="true"]');
  if (invalid instanceof HTMLElement && !invalid.contains(document.activeElement)) invalid.focus();
});

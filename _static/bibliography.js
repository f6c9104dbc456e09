/*
 * The bibliography's list is announced as a list of its entries. docutils marks the list
 * role="list" and each entry role="doc-biblioentry", which ARIA 1.2 no longer lets a list
 * hold (axe-core: aria-required-children, critical); each entry becomes a list item.
 */
document.addEventListener("DOMContentLoaded", () => {
  document
    .querySelectorAll('[role="list"] > [role="doc-biblioentry"]')
    .forEach((entry) => entry.setAttribute("role", "listitem"));
});

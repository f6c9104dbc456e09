/*
 * Solutions open wherever a reader clicks their title, and from the keyboard.
 *
 * sphinx-togglebutton 0.4 listens for clicks on a dropdown's title but only understands a
 * click on the title box itself or on its chevron button: a click on the title's text, or on
 * the link that sphinx-exercise puts there ("Solution to Exercise 3.1"), finds no button and
 * throws `button is not defined`. This listener runs first (capture phase on the document),
 * toggles the dropdown that holds the click with sphinx-togglebutton's own `toggleHidden`,
 * and keeps the click from reaching the broken handler. A plain click on the title's link
 * toggles too (the exercise it names sits just above); a ctrl/cmd/shift click still follows it.
 * The chevron is a <button>: Tab reaches it, Enter and Space press it.
 */
document.addEventListener(
  "click",
  (event) => {
    if (!(event.target instanceof Element)) return;
    const title = event.target.closest(".admonition.toggle > .admonition-title");
    if (!title) return;
    const button = title.querySelector(".toggle-button");
    if (!button || typeof toggleHidden !== "function") return;
    event.stopPropagation(); // sphinx-togglebutton's own handler would throw
    const link = event.target.closest("a[href]");
    if (link && (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey)) return;
    event.preventDefault();
    toggleHidden(button);
  },
  true
);

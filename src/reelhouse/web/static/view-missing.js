// The page for an address the app does not know.
import { h } from "/static/dom.js";
import { setTitle } from "/static/app.js";

export function render({ main }) {
  setTitle("Not found");
  main.append(h("h1", {}, "Page not found"), h("p", {}, "There is no page at this address. ", h("a", { href: "#/" }, "Go to the home page"), "."));
}

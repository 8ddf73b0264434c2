"""Accessibility checks for browser tests: axe-core (the copy that the ``axe-playwright-python``
package ships, installed by ``make setup``) injected into a Playwright page and run with the
WCAG 2.1 A and AA rules.

    from zina.portal.tests.a11y import assert_accessible
    assert_accessible(page, "portal home (lv, 375px)")

``run_axe`` returns axe's violations (dicts as axe-core reports them); ``blocking`` keeps the
serious and critical ones; ``describe`` turns violations into text a person can act on.
"""

from __future__ import annotations

import functools
import importlib.resources
from typing import Any

# WCAG 2.0 and 2.1, levels A and AA: what the portal promises (issue 7, section 5).
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")


@functools.cache
def axe_source() -> str:
    """axe.min.js from the installed ``axe_playwright_python`` package (nothing downloaded)."""
    try:
        files = importlib.resources.files("axe_playwright_python")
    except ModuleNotFoundError as exc:  # pragma: no cover - a set-up problem, said plainly
        raise RuntimeError(
            "axe-core is missing: run `make setup` (installs axe-playwright-python)"
        ) from exc
    return files.joinpath("axe.min.js").read_text(encoding="utf-8")


def axe_version(page: Any) -> str:
    _inject(page)
    return str(page.evaluate("() => window.axe.version"))


def _inject(page: Any) -> None:
    # Evaluated through the DevTools protocol, so the page's Content-Security-Policy (which
    # allows no inline scripts) neither blocks it nor reports it.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())


def run_axe(
    page: Any, *, tags: list[str] | None = None, selector: str | None = None
) -> list[dict[str, Any]]:
    """Inject axe-core into ``page`` (once per document) and return its violations of the
    given rule tags (WCAG 2.1 A and AA by default), for the whole document or ``selector``."""
    _inject(page)
    options = {
        "runOnly": {"type": "tag", "values": tags or WCAG_21_AA},
        "resultTypes": ["violations"],
    }
    violations = page.evaluate(
        """async ([selector, options]) => {
             const results = await window.axe.run(selector || document, options);
             return results.violations;
           }""",
        [selector, options],
    )
    return list(violations)


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The serious and critical violations (issue 7 allows none)."""
    return [v for v in violations if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]], label: str = "") -> str:
    """Readable text: each rule with its impact and help link, each element with its selector,
    its HTML and what to fix."""
    lines = [f"{label}: {len(violations)} accessibility violation(s)" if label else ""]
    for v in violations:
        lines.append(f"- [{v.get('impact')}] {v['id']}: {v.get('help')} ({v.get('helpUrl')})")
        for node in v.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    at {target}")
            lines.append(f"       {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", "\n       ")
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(line for line in lines if line)


def assert_accessible(page: Any, label: str = "", *, selector: str | None = None) -> list[Any]:
    """Fail with readable details when axe finds a serious or critical WCAG 2.1 A/AA
    violation; return the lesser ones (moderate, minor) for the caller to report."""
    violations = run_axe(page, selector=selector)
    serious = blocking(violations)
    assert not serious, describe(serious, label or page.url)
    return [v for v in violations if v not in serious]


# --- Keyboard -------------------------------------------------------------------------------

# Every element a keyboard user should be able to reach on the page (visible, enabled, not
# taken out of the tab order), each tagged with data-kbd so the walk can tell them apart.
TAG_FOCUSABLE_JS = """() => {
  const sel = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, '
            + 'summary, iframe, [tabindex], [contenteditable=""], [contenteditable=true]';
  const out = [];
  const groups = new Map();  // a radio group is one Tab stop; arrow keys move inside it
  document.querySelectorAll(sel).forEach((el) => {
    if (el.disabled || el.tabIndex < 0 || el.closest('[inert], [hidden]')) return;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden' || s.display === 'none' || !el.getClientRects().length) return;
    if (el.type === 'radio' && el.name) {
      const key = (el.form ? 'f' + [...document.forms].indexOf(el.form) : 'doc') + ':' + el.name;
      if (groups.has(key)) { el.setAttribute('data-kbd', groups.get(key)); return; }
      groups.set(key, String(out.length));
    }
    el.setAttribute('data-kbd', String(out.length));
    out.push(describe(el));
  });
  function describe(el) {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 60);
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.className && typeof el.className === 'string'
         ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
      + (text ? ' "' + text + '"' : '');
  }
  return out;
}"""

ACTIVE_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = !!s.boxShadow && s.boxShadow !== 'none';
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
    .trim().replace(/\\s+/g, ' ').slice(0, 60);
  return {kbd: el.getAttribute('data-kbd'), tag: el.tagName.toLowerCase(), id: el.id,
          cls: typeof el.className === 'string' ? el.className : '',
          type: el.getAttribute('type') || '', text: text, href: el.getAttribute('href') || '',
          visible: outline || shadow,
          style: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor
                 + ' / ' + s.boxShadow};
}"""


def active(page: Any) -> dict[str, Any] | None:
    """The focused element: what it is and whether its focus is visible (outline or
    box-shadow in its computed style); None when nothing (the body) has focus."""
    found = page.evaluate(ACTIVE_JS)
    return dict(found) if found else None


def tab(page: Any, *, shift: bool = False) -> dict[str, Any] | None:
    page.keyboard.press("Shift+Tab" if shift else "Tab")
    return active(page)


def assert_focus_visible(focused: dict[str, Any] | None, where: str = "") -> None:
    assert focused is not None, f"{where}: nothing has keyboard focus"
    assert focused["visible"], (
        f"{where}: keyboard focus is not visible on <{focused['tag']}"
        f"{' id=' + focused['id'] if focused['id'] else ''}> {focused['text']!r} "
        f"(outline / box-shadow: {focused['style']})"
    )


def tab_to(page: Any, matches: Any, *, limit: int = 120, where: str = "") -> dict[str, Any]:
    """Press Tab until ``matches(focused)`` holds, checking that the focus is visible at every
    stop; fail when the element is not reached within ``limit`` presses."""
    seen: list[str] = []
    for _ in range(limit):
        focused = tab(page)
        if focused is None:
            seen.append("(body)")
            continue
        assert_focus_visible(focused, where or page.url)
        if matches(focused):
            return focused
        seen.append(f"{focused['tag']} {focused['text']!r}")
    raise AssertionError(f"{where or page.url}: not reached by Tab; went through {seen}")


def tab_walk(page: Any, *, where: str = "", limit: int = 300) -> list[str]:
    """On a freshly loaded page (nothing focused yet), Tab from the top through every stop
    until focus leaves the document; assert that every visible interactive element is reached
    and shows its focus. Returns the elements' descriptions, in page order."""
    elements: list[str] = page.evaluate(TAG_FOCUSABLE_JS)
    reached: set[str] = set()
    problems: list[str] = []
    for _ in range(limit):
        focused = tab(page)
        if focused is None:
            break
        key = focused["kbd"]
        if key is not None and key in reached:
            break  # wrapped around
        if not focused["visible"]:
            problems.append(f"focus not visible on {focused['tag']} {focused['text']!r}")
        if key is not None:
            reached.add(key)
    unreached = [e for i, e in enumerate(elements) if str(i) not in reached]
    assert not unreached, f"{where}: not reachable by Tab: {unreached}"
    assert not problems, f"{where}: " + "; ".join(problems)
    return elements

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

# Keyboard focus is "visible" when the focused element has one of these (computed style).
FOCUS_STYLE_JS = """(el) => {
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow && s.boxShadow !== 'none';
  return {outline: outline, shadow: !!shadow,
          describe: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor
                    + ' / ' + s.boxShadow};
}"""


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


def focus_style(page: Any) -> dict[str, Any] | None:
    """The focused element's outline and box-shadow (None when nothing has focus)."""
    handle = page.evaluate_handle("() => document.activeElement")
    element = handle.as_element()
    if element is None or page.evaluate("(el) => el === document.body", element):
        return None
    return dict(page.evaluate(FOCUS_STYLE_JS, element))

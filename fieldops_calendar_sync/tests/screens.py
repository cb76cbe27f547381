"""Opening screens in the real web client: every window action of given addons, in every view mode,
and the actions reached only from buttons, failing on any client or server error.

The click bot (``startClickEverywhere``) clicks menus, view switchers and filters only; this
covers what it cannot reach. Each step runs in the browser through the action service, as a
click would, and an error dialog or an error in the console fails the test.
"""

import json

OPEN_STEPS_JS = """
(async () => {
    const env = odoo.__WOWL_DEBUG__.root.env;
    const actions = env.services.action;
    const steps = %s;
    const settle = () => new Promise((resolve) => setTimeout(resolve, 350));
    for (const step of steps) {
        console.log("fieldops screens: opening " + step.label);
        if (step.button) {
            await actions.doActionButton({type: "object", name: step.button, resModel: step.model,
                                          resId: step.res_id, resIds: [step.res_id], context: {}});
        } else if (step.xmlid) {
            await actions.doAction(step.xmlid, {clearBreadcrumbs: true, viewType: step.view,
                                                props: step.res_id ? {resId: step.res_id} : {}});
        } else {
            await actions.doAction(step.action, {clearBreadcrumbs: true,
                                                 props: step.res_id ? {resId: step.res_id} : {}});
        }
        await settle();
        if (document.querySelector(".o_error_dialog")) {
            console.error("fieldops screens: an error dialog opened on " + step.label);
            return;
        }
        const dialog = document.querySelector(".modal .btn-close");
        if (dialog) {
            dialog.click();
            await settle();
        }
    }
    console.log("test successful");
})();
"""


def window_action_steps(env, modules, login="admin"):
    """One step per window action of ``modules`` and per view mode (a form on the first record ``login``
    sees in their current company, as the web client would open it)."""
    user = env["res.users"].search([("login", "=", login)])
    seen = env(user=user, context={"allowed_company_ids": [user.company_id.id]})
    steps = []
    data = env["ir.model.data"].search([("module", "in", list(modules)), ("model", "=", "ir.actions.act_window")])
    for row in data.sorted(lambda r: (r.module, r.name)):
        action = env["ir.actions.act_window"].browse(row.res_id)
        xmlid = f"{row.module}.{row.name}"
        for mode in action.view_mode.split(","):
            step = {"label": f"{xmlid} ({mode})", "xmlid": xmlid, "view": mode}
            if mode == "form" and action.target != "new":
                first = seen[action.res_model].search([], limit=1)
                if first:
                    step["res_id"] = first.id
            steps.append(step)
    return steps


def button_steps(record, methods):
    """For each button method: the click itself, then each view mode of the action it returns."""
    steps = []
    for method in methods:
        label = f"{record._name}.{method} on {record.display_name}"
        steps.append({"label": label, "button": method, "model": record._name, "res_id": record.id})
        action = getattr(record, method)()
        if action.get("type") != "ir.actions.act_window":
            continue
        modes = action.get("view_mode", "form").split(",")
        for mode in modes:
            single = dict(action, views=[[False, mode]], view_mode=mode)
            single.pop("view_id", None)
            step = {"label": f"{label} ({mode})", "action": single}
            if mode == "form" and action.get("res_id"):
                step["res_id"] = action["res_id"]
            elif mode == "form":
                first = record.env[action["res_model"]].search(action.get("domain") or [], limit=1)
                if not first:
                    continue
                step["res_id"] = first.id
            steps.append(step)
    return steps


def open_steps(case, steps, login="admin", timeout=600):
    """Run the steps in Chromium as ``login``; any console error or error dialog fails ``case``."""
    case.browser_js("/odoo", OPEN_STEPS_JS % json.dumps(steps, default=str), "odoo.isReady === true",
                    login=login, timeout=timeout)


def click_everywhere(case, login, app="fieldservice.root", timeout=1500):
    """Odoo's own click bot over the app's menus, view switchers and filters, as ``login``."""
    case.browser_js(
        "/odoo",
        f"odoo.loader.modules.get('@web/webclient/clickbot/clickbot_loader').startClickEverywhere('{app}');",
        "odoo.isReady === true", login=login, timeout=timeout, success_signal="clickbot test succeeded")

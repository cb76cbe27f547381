{
    "name": "FieldOps benchmark floor (not shipped)",
    "summary": "A route that answers 200 at once: what Odoo's HTTP stack costs before any addon code",
    "version": "18.0.1.0.0",
    "license": "LGPL-3",
    "depends": ["base"],
    "installable": True,
}

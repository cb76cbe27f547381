{
    "name": "FieldOps Calendar Sync: recurring orders",
    "summary": "Recurring field-service orders as one calendar series, each order linked to its occurrence",
    "version": "18.0.1.0.0",
    "category": "Field Service",
    "license": "AGPL-3",
    "development_status": "Beta",
    "author": "FieldOps",
    "website": "https://fieldops.example",
    "depends": ["fieldops_calendar_sync", "fieldservice_recurring"],
    "external_dependencies": {"python": ["fieldops-calsync"]},
    "data": [
        "security/ir.model.access.csv",
        "security/security.xml",
        "views/calendar_series_views.xml",
    ],
    "auto_install": True,
    "installable": True,
}

{
    "name": "FieldOps test harness: Odoo's own calendar clients against the sandbox",
    "summary": "Test only, never shipped: drives google_calendar and microsoft_calendar against the emulators",
    "version": "18.0.1.0.0",
    "category": "Hidden/Tests",
    "license": "LGPL-3",
    "author": "FieldOps",
    "website": "https://fieldops.example",
    "depends": ["google_calendar", "microsoft_calendar"],
    "data": [],
    "installable": True,
}

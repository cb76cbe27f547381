{
    "name": "FieldOps Calendar Sync",
    "summary": "Two-way sync of field-service jobs with Google Calendar and Microsoft 365 / Outlook",
    "version": "18.0.1.0.0",
    "category": "Field Service",
    "license": "LGPL-3",
    "author": "FieldOps",
    "website": "https://fieldops.example",
    "depends": ["fieldservice", "mail", "queue_job"],
    "external_dependencies": {
        "python": [
            "fieldops-calsync",
            "google-api-python-client",
            "google-auth-oauthlib",
            "msal",
            "cryptography",
        ],
    },
    "data": [
        "security/ir.model.access.csv",
    ],
    "installable": True,
    "application": False,
}

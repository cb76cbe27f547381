"""The live contract run: the provider contract against a real Google or Microsoft 365 test account."""

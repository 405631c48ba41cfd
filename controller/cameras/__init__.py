"""One-stop-desk cameras in the service: registry, CSV import, (next) ingest, health, relay.

schemas       the API's request and response models
registry      create / update / delete / list, credentials encrypted, CSV import
"""

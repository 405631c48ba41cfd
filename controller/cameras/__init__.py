"""One-stop-desk cameras in the service: registry, hub, health monitor, WHEP viewing.

schemas       the API's request and response models
registry      create / update / delete / list, credentials encrypted, CSV import
hub           one ingest per camera, shared by the monitor, snapshots and the relay
monitor       one watch task per camera: stream timing and picture analytics to health
api           the thin router (registry, health, snapshot); whep_api: watching a camera
"""

"""Events to the IOC: the outbox delivered to sinks (webhook, MQTT), with retries.

sinks         the sinks service: URL and secret rules, writes, replay, audit records
signing       Standard Webhooks signatures (HMAC-SHA256 over id.timestamp.body)
webhook       one POST of one event; mqtt: one publish of one event
dispatcher    per sink: outbox -> deliveries (cursor), due deliveries sent in entity order
metrics       Prometheus metrics of the controller; metrics_api: the scrape route
api           the thin router (admin)
"""

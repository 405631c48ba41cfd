"""Events to the IOC: the outbox delivered to sinks (webhook now; MQTT next), with retries.

signing       Standard Webhooks signatures (HMAC-SHA256 over id.timestamp.body)
webhook       one POST of one event
dispatcher    per sink: outbox -> deliveries (cursor), due deliveries sent in entity order
"""

"""ONVIF (device and media services, SOAP 1.2) for camera provisioning: client, messages, simulator side."""

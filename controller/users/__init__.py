"""People and machines that call the controller: users, API keys, password logins.

service       users and API keys, with audit
logins        password logins, throttled per user name and per client address
api           users and API keys (admin); auth_api: login and who-am-I
"""

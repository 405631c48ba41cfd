"""The administrative tree (province, district, commune; any depth, levels as data).

service       the tree, create / update / delete with audit, the province import
api           the thin router
"""

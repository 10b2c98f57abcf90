"""The policy decision point: roles, the action matrix, needs, scoping, explanations.

Imports no resource: what an identity is (its patron records) comes from a
provider the patrons module registers (see ``needs.register_record_provider``).
"""

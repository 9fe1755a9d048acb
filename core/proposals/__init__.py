"""Proposals: how to publish a render, waiting for a person with the editor role to decide.

States go pending → approved | rejected | expired. Every decision and edit is a conditional
UPDATE on a pending, unexpired row, so two people deciding at once resolve to one decision.
"""

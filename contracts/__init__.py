"""The published language of Keyuan: pydantic v2 models for every RPC payload and event.

Services, the gateway and ERP integrators import this package and nothing of each other.
"""

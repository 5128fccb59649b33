"""Pure computation for Manyi (no Django): statistics, scoring, queueing, simulation.

Analysts can import these modules from a notebook with pandas alone.
"""

"""Branch queues: service types with number series, counters, staff sessions, tickets and
appointments."""
